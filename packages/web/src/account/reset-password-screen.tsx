/**
 * /reset-password#token=…: the link of a password-reset email (or the one an admin handed
 * over). Shows whose password it resets and the org's policy, takes the new password
 * twice, and ends at "Password changed — sign in" with the sign-in form pre-filled. The
 * token is read from the fragment once and taken out of the address bar at once.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { Org, PasswordPolicy } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { AuthCard, Field, FormError, PathLink } from "../components/auth/auth-card.tsx";
import { signedOutPath } from "../router.ts";
import { describeAccountError } from "./account-errors.ts";
import { forgetFragment, tokenFromFragment } from "./link-token.ts";
import { checkNewPassword, passwordHint } from "./password-rules.ts";
import { publicApi } from "./public-api.ts";

type Target = { org: Org; username: string; expiresAt: number; policy: PasswordPolicy };
type State = { step: "checking" } | { step: "invalid"; message: string } | { step: "choose"; target: Target } | { step: "done"; target: Target };

const NO_TOKEN = "This link is incomplete. Open it again from the email, or copy the whole link into the address bar; or ask for a new one.";

export function ResetPasswordScreen() {
  // Read during the first render (no side effect), forgotten from the address bar right after.
  const [token] = useState(() => tokenFromFragment(location.hash));
  const [state, setState] = useState<State>(() => (token ? { step: "checking" } : { step: "invalid", message: NO_TOKEN }));
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => forgetFragment(), []);
  useEffect(() => {
    if (!token) return;
    let live = true;
    publicApi()
      .call("checkPasswordReset", { body: { token } })
      .then(
        (target) => live && setState({ step: "choose", target }),
        (err: unknown) => live && setState({ step: "invalid", message: describeAccountError(err, "reset-password") }),
      );
    return () => {
      live = false;
    };
  }, [token]);

  async function submit(e: FormEvent, target: Target) {
    e.preventDefault();
    const problem = checkNewPassword(password, confirm, target.policy.minLength);
    if (problem) return setError(problem);
    setBusy(true);
    setError(undefined);
    try {
      await publicApi().call("completePasswordReset", { body: { token: token!, newPassword: password } });
      setState({ step: "done", target });
    } catch (err) {
      const message = describeAccountError(err, "reset-password");
      // A link that stopped working mid-way (used in another tab, expired) cannot be retried here.
      if (isParleyError(err) && err.code === "token_invalid") setState({ step: "invalid", message });
      else setError(message);
    } finally {
      setBusy(false);
    }
  }

  if (state.step === "checking")
    return (
      <AuthCard title="Choose a new password">
        <p className="muted" role="status">
          Checking the link…
        </p>
      </AuthCard>
    );

  if (state.step === "invalid") {
    const forgot = signedOutPath("/forgot-password", {});
    return (
      <AuthCard title="This link does not work">
        <p className="form-error" role="alert">
          {state.message}
        </p>
        <PathLink path={forgot}>Ask for a new link</PathLink>
      </AuthCard>
    );
  }

  const { target } = state;
  if (state.step === "done") {
    const signIn = signedOutPath("/sign-in", { org: target.org.slug, username: target.username });
    return (
      <AuthCard title="Password changed — sign in">
        <p className="notice" role="status">
          The password of @{target.username} in {target.org.name} is changed. Every session of the account has ended: sign in again with the new password on
          each of your devices.
        </p>
        <PathLink path={signIn} primary>
          Sign in
        </PathLink>
      </AuthCard>
    );
  }

  const hint = passwordHint(target.policy.minLength);
  return (
    <AuthCard
      title="Choose a new password"
      subtitle={
        <>
          For <strong>@{target.username}</strong> in <strong>{target.org.name}</strong>. This link works until {new Date(target.expiresAt).toLocaleTimeString()}
          .
        </>
      }
    >
      <form onSubmit={(e) => void submit(e, target)} aria-label="Choose a new password" noValidate>
        {/* The username lets a password manager file the new password under the right account. */}
        <input type="text" name="username" autoComplete="username" value={target.username} readOnly hidden />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="new-password"
          autoFocus
          hint={hint}
        />
        <Field label="Confirm new password" name="confirm" type="password" value={confirm} onChange={setConfirm} autoComplete="new-password" />
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : "Set new password"}
        </button>
      </form>
      <p className="muted small">Setting it signs the account out everywhere, and this link and any other reset link stop working.</p>
    </AuthCard>
  );
}
