/**
 * /forgot-password: ask for a reset link by organisation and username or email address.
 * The answer is the same whether or not the account exists or has an address, so the
 * screen cannot be used to find out who has an account.
 */
import { useState, type FormEvent } from "react";
import { AuthCard, Field, FormError, PathLink } from "../components/auth/auth-card.tsx";
import { LAST_ORG_KEY } from "../components/auth/sign-in-screen.tsx";
import { signedOutPath } from "../router.ts";
import { describeAccountError } from "./account-errors.ts";
import { publicApi } from "./public-api.ts";

export function ForgotPasswordScreen(props: { org: string | undefined; login: string | undefined }) {
  const [org, setOrg] = useState(() => props.org ?? localStorage.getItem(LAST_ORG_KEY) ?? "");
  const [login, setLogin] = useState(props.login ?? "");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const slug = org.trim().toLowerCase();
  const signInPath = signedOutPath("/sign-in", { org: slug, username: login.includes("@") ? undefined : login.trim().toLowerCase() });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await publicApi().call("requestPasswordReset", { body: { org: slug, login: login.trim().toLowerCase() } });
      setSent(true);
    } catch (err) {
      setError(describeAccountError(err, "forgot-password"));
    } finally {
      setBusy(false);
    }
  }

  const back = <PathLink path={signInPath}>Back to sign in</PathLink>;

  if (sent)
    return (
      <AuthCard title="Check your email">
        <p className="notice" role="status">
          If that account has an email address, a link is on its way. It works once, for one hour.
        </p>
        <p className="muted">
          Nothing arrives within a few minutes? Look in your spam folder, or ask an admin of your organisation to reset your password: accounts without an email
          address get their link from an admin.
        </p>
        {back}
      </AuthCard>
    );

  return (
    <AuthCard title="Forgot your password?" subtitle="We email a link to choose a new password to the address of your account.">
      <form onSubmit={submit} aria-label="Forgot password">
        <Field label="Organisation" name="org" value={org} onChange={setOrg} autoComplete="organization" autoFocus={!org} />
        <Field label="Username or email" name="login" value={login} onChange={setLogin} autoComplete="username" autoFocus={!!org} />
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Sending…" : "Email me a link"}
        </button>
      </form>
      {back}
    </AuthCard>
  );
}
