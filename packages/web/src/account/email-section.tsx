/**
 * The email address: where password-reset links and security notices go. Changing it
 * takes the current password, and the new address only counts once the link sent to it
 * is followed (/verify-email); until then the old one stays.
 */
import { useState, type FormEvent } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";

export function EmailSection(props: { me: User }) {
  const chat = useChat();
  const current = props.me.email;
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState<{ to: string; until: number }>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSent(undefined);
    try {
      const r = await chat.client.api.call("changeEmail", { body: { currentPassword: password, email: email.trim() } });
      setSent({ to: r.pendingEmail, until: r.expiresAt });
      setEmail("");
      setPassword("");
    } catch (err) {
      setError(describeAccountError(err, "change-email"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="profile-email-h">
      <h2 id="profile-email-h" className="section-title">
        Email address
      </h2>
      <p>
        {current ? (
          <>
            Your address: <strong data-testid="current-email">{current}</strong>. Password-reset links and security notices go there.
          </>
        ) : (
          <>
            <strong data-testid="current-email">No email address.</strong> Add one so you can reset a forgotten password yourself; without it, only an admin
            can.
          </>
        )}
      </p>
      {sent ? (
        <p className="notice" role="status">
          We sent a link to <strong>{sent.to}</strong>. Open it before {new Date(sent.until).toLocaleString()} to confirm the change; until then your current
          address stays.
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Change email address">
        <Field label="New email address" name="email" type="email" value={email} onChange={setEmail} autoComplete="email" maxLength={254} />
        <Field label="Current password" name="currentPassword" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
        <FormError error={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Sending…" : current ? "Change email address" : "Add email address"}
        </button>
      </form>
    </section>
  );
}
