/**
 * Change the password: the current one, the new one twice (checked against the org's
 * policy here for length, by the server for the rest), and optionally sign out every
 * other session (this one stays; the devices stay registered and sign in again).
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import type { PasswordPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { describeAccountError } from "./account-errors.ts";
import { checkNewPassword, passwordHint } from "./password-rules.ts";

/** The wire's minimum, used until the org's policy has loaded. */
const WIRE_MIN_LENGTH = 8;

export function PasswordSection() {
  const chat = useChat();
  const [policy, setPolicy] = useState<PasswordPolicy>();
  const [f, setF] = useState({ current: "", next: "", confirm: "" });
  const [signOutOthers, setSignOutOthers] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const checkboxId = useId();
  const set = (k: keyof typeof f) => (v: string) => setF((old) => ({ ...old, [k]: v }));
  useEffect(() => {
    chat.client.api.call("getPasswordPolicy").then(setPolicy, () => undefined);
  }, [chat]);
  const minLength = policy?.minLength ?? WIRE_MIN_LENGTH;

  async function submit(e: FormEvent) {
    e.preventDefault();
    setDone(undefined);
    const problem = checkNewPassword(f.next, f.confirm, minLength);
    if (problem) return setError(problem);
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("changePassword", { body: { currentPassword: f.current, newPassword: f.next, signOutOtherSessions: signOutOthers } });
      setF({ current: "", next: "", confirm: "" });
      setDone(signOutOthers ? "Password changed. Your other sessions are signed out." : "Password changed.");
    } catch (err) {
      setError(describeAccountError(err, "change-password"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="profile-password-h">
      <h2 id="profile-password-h" className="section-title">
        Password
      </h2>
      <form onSubmit={submit} aria-label="Change password" noValidate>
        <input type="text" name="username" autoComplete="username" value={chat.me.username} readOnly hidden />
        <Field label="Current password" name="currentPassword" type="password" value={f.current} onChange={set("current")} autoComplete="current-password" />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          value={f.next}
          onChange={set("next")}
          autoComplete="new-password"
          hint={passwordHint(minLength)}
        />
        <Field label="Confirm new password" name="confirmPassword" type="password" value={f.confirm} onChange={set("confirm")} autoComplete="new-password" />
        <div className="check">
          <input id={checkboxId} type="checkbox" checked={signOutOthers} onChange={(e) => setSignOutOthers(e.target.checked)} />
          <label htmlFor={checkboxId}>Sign out my other sessions</label>
        </div>
        <p className="muted small">
          Do this if someone else may know your old password. Your other browsers and apps stay your devices: they sign in again with the new password.
        </p>
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Changing…" : "Change password"}
          </button>
          {done ? (
            <span className="verified" role="status">
              {done}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
