import { useEffect, useState, type FormEvent } from "react";
import type { Org, OrgRole } from "@parley/protocol";
import { acceptInvite, defaultDeviceName, describeError, type SignedIn } from "../../client/session.ts";
import { AuthCard, Field, FormError } from "./auth-card.tsx";

/** /invite/:token — create an account from an invite link. */
export function InviteScreen(props: { token: string; onSignedIn: (s: SignedIn) => void }) {
  const [invite, setInvite] = useState<{ org: Org; role: OrgRole; expiresAt: number }>();
  const [f, setF] = useState({ displayName: "", username: "", password: "" });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string) => setF((old) => ({ ...old, [k]: v }));

  useEffect(() => {
    fetch(`/api/v1/invites/token/${encodeURIComponent(props.token)}`, { headers: { accept: "application/json" } })
      .then(async (r) => (r.ok ? setInvite(await r.json()) : setError("This invite link is invalid, expired or used up. Ask an admin for a new one.")))
      .catch(() => setError("Cannot reach the server. Check your connection and reload."));
  }, [props.token]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await acceptInvite({ token: props.token, ...f, username: f.username.trim().toLowerCase(), deviceName: defaultDeviceName() }));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  const subtitle = invite ? (
    <>
      You are invited to <strong>{invite.org.name}</strong> as {invite.role}. Create your account.
    </>
  ) : (
    "Checking the invite…"
  );
  return (
    <AuthCard title="Join your team" subtitle={subtitle}>
      <form onSubmit={submit} aria-label="Accept invite">
        <Field label="Your name" name="displayName" value={f.displayName} onChange={set("displayName")} autoComplete="name" autoFocus />
        <Field
          label="Username"
          name="username"
          value={f.username}
          onChange={set("username")}
          autoComplete="username"
          pattern="[a-z0-9][a-z0-9._\-]*"
          hint="Lowercase letters, digits, dot, dash, underscore."
        />
        <Field
          label="Password"
          name="password"
          type="password"
          value={f.password}
          onChange={set("password")}
          autoComplete="new-password"
          minLength={10}
          hint="At least 10 characters."
        />
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy || !invite}>
          {busy ? "Joining…" : "Join"}
        </button>
      </form>
    </AuthCard>
  );
}
