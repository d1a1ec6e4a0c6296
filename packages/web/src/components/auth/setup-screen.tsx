import { useState, type FormEvent } from "react";
import { defaultDeviceName, describeError, setupOrg, type SignedIn } from "../../client/session.ts";
import { AuthCard, Field, FormError } from "./auth-card.tsx";

/** First run: no org exists yet; the one-time setup token from the server's log creates the first org and owner. */
export function SetupScreen(props: { onSignedIn: (s: SignedIn) => void; onHaveAccount: () => void }) {
  const [f, setF] = useState({ setupToken: "", orgName: "", orgSlug: "", displayName: "", username: "", password: "" });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string) =>
    setF((old) => ({
      ...old,
      [k]: v,
      // Suggest a slug from the org name until the user edits the slug.
      ...(k === "orgName" && old.orgSlug === slugify(old.orgName) ? { orgSlug: slugify(v) } : {}),
    }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onSignedIn(await setupOrg({ ...f, setupToken: f.setupToken.trim(), deviceName: defaultDeviceName() }));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Set up Parley" subtitle="Create your organisation and its owner account. The setup token is printed by the server at first start.">
      <form onSubmit={submit} aria-label="First-run setup">
        <Field
          label="Setup token"
          name="setupToken"
          value={f.setupToken}
          onChange={set("setupToken")}
          autoComplete="off"
          autoFocus
          minLength={16}
          hint="From the server's first-start output (parley start)."
        />
        <Field label="Organisation name" name="orgName" value={f.orgName} onChange={set("orgName")} />
        <Field
          label="Organisation id"
          name="orgSlug"
          value={f.orgSlug}
          onChange={set("orgSlug")}
          pattern="[a-z0-9][a-z0-9\-]*"
          hint="Lowercase letters, digits and dashes; people type it to sign in."
        />
        <Field label="Your name" name="displayName" value={f.displayName} onChange={set("displayName")} autoComplete="name" />
        <Field label="Username" name="username" value={f.username} onChange={set("username")} autoComplete="username" pattern="[a-z0-9][a-z0-9._\-]*" />
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
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create organisation"}
        </button>
      </form>
      <button type="button" className="link" onClick={props.onHaveAccount}>
        I already have an account
      </button>
    </AuthCard>
  );
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
}
