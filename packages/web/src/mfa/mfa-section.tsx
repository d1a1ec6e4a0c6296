/**
 * The profile's "Two-factor authentication": whether it is on and how many recovery codes are
 * left, whether the org requires it (and by when, for a user who has not set it up); set it up
 * (enrol-flow.tsx), make new recovery codes (a code from the app), or turn it off (the current
 * password and a code; the server refuses while the org requires it). Passkeys (passkeys/) are a
 * second factor too: with `passkeys`, their count, the status says so when there is no app.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { MfaStatus } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { CodeField } from "./code-field.tsx";
import { isTotpCode } from "./codes.ts";
import { EnrolFlow } from "./enrol-flow.tsx";
import { describeMfaError } from "./mfa-errors.ts";
import { RecoveryCodes } from "./recovery-codes.tsx";

type Mode = "setup" | "new-codes" | "turn-off";

/** Recovery codes left at or below which the page suggests new ones. */
const FEW_CODES = 3;

export function MfaSection(props: { passkeys?: number | undefined }) {
  const chat = useChat();
  const [status, setStatus] = useState<MfaStatus>();
  const [mode, setMode] = useState<Mode>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const load = useCallback(() => {
    chat.client.api.call("getMfa").then(setStatus, (err: unknown) => setError(describeError(err)));
  }, [chat]);
  useEffect(load, [load]);
  const open = (m: Mode | undefined) => {
    setMode(m);
    setDone(undefined);
  };
  const finish = (message?: string) => {
    setMode(undefined);
    setDone(message);
    load();
  };
  const org = chat.org;

  return (
    <section aria-labelledby="profile-mfa-h">
      <h2 id="profile-mfa-h" className="section-title">
        Two-factor authentication
      </h2>
      <FormError error={error} />
      {status ? <StatusLine status={status} passkeys={props.passkeys ?? 0} /> : <p className="muted">Loading…</p>}
      {mode === "setup" ? (
        <EnrolFlow
          api={chat.client.api}
          username={chat.me.username}
          org={org}
          doneLabel="Done"
          onConfirmed={load}
          onDone={() => finish("Two-factor authentication is on.")}
          onCancel={() => open(undefined)}
        />
      ) : mode === "new-codes" ? (
        <NewCodes onDone={finish} />
      ) : mode === "turn-off" ? (
        <TurnOff onDone={finish} passkeys={props.passkeys ?? 0} />
      ) : status ? (
        <div className="form-actions">
          {status.totp.enabled ? (
            <>
              <button type="button" onClick={() => open("new-codes")}>
                New recovery codes
              </button>
              <button type="button" className="danger" onClick={() => open("turn-off")}>
                Turn off
              </button>
            </>
          ) : (
            <button type="button" className="primary" onClick={() => open("setup")}>
              {props.passkeys ? "Add an authenticator app" : "Set up two-factor authentication"}
            </button>
          )}
          {done ? (
            <span className="verified" role="status">
              {done}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function StatusLine(props: { status: MfaStatus; passkeys: number }) {
  const { totp, recoveryCodesLeft, required } = props.status;
  // A passkey meets the requirement as well as an app does (the server's enrollBy counts only the app).
  const enrollBy = props.passkeys ? null : props.status.enrollBy;
  return (
    <div data-testid="mfa-status">
      {totp.enabled ? (
        <p>
          <strong>On</strong>
          {totp.enabledAt ? ` since ${new Date(totp.enabledAt).toLocaleDateString()}` : ""}: signing in takes your password and a code from your authenticator
          app{props.passkeys ? " (or a passkey)" : ""}. {recoveryCodesLeft === 1 ? "1 recovery code left" : `${recoveryCodesLeft} recovery codes left`}.
          {recoveryCodesLeft <= FEW_CODES ? <span className="warn-text"> Make new ones before you run out.</span> : null}
        </p>
      ) : props.passkeys ? (
        <p>
          <strong>On with {props.passkeys === 1 ? "your passkey" : "your passkeys"}:</strong> signing in with your password also asks for{" "}
          {props.passkeys === 1 ? "it" : "one of them"} (see Passkeys below). You can add an authenticator app as another second factor.
        </p>
      ) : (
        <p>
          <strong>Off.</strong> With it on, signing in takes your password and a code from an authenticator app on your phone, so a stolen password alone is not
          enough.
        </p>
      )}
      {required ? (
        <p className="notice">
          Required by your organisation.
          {!totp.enabled && enrollBy
            ? ` Set it up by ${new Date(enrollBy).toLocaleString()}: after that, you can only use Parley once you have set it up.`
            : ""}
        </p>
      ) : null}
    </div>
  );
}

/** New recovery codes: a code from the app, then the ten new codes, shown once (the old ones stop working). */
function NewCodes(props: { onDone: (message?: string) => void }) {
  const chat = useChat();
  const [code, setCode] = useState("");
  const [codes, setCodes] = useState<string[]>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!isTotpCode(code)) return setError("Enter all 6 digits of the code your app shows.");
    setBusy(true);
    setError(undefined);
    try {
      setCodes((await chat.client.api.call("regenerateRecoveryCodes", { body: { code } })).recoveryCodes);
    } catch (err) {
      setError(describeMfaError(err, "recovery-codes"));
      setCode("");
    } finally {
      setBusy(false);
    }
  }

  if (codes)
    return <RecoveryCodes codes={codes} username={chat.me.username} org={chat.org} doneLabel="Done" onDone={() => props.onDone("New recovery codes saved.")} />;
  return (
    <form onSubmit={submit} aria-label="New recovery codes" noValidate>
      <p>New codes replace all your current ones: the old codes stop working at once.</p>
      <CodeField value={code} onChange={setCode} autoFocus />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Making codes…" : "Make new codes"}
        </button>
        <button type="button" onClick={() => props.onDone()} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Turn it off: the current password and a code from the app. */
function TurnOff(props: { onDone: (message?: string) => void; passkeys: number }) {
  const chat = useChat();
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!isTotpCode(code)) return setError("Enter all 6 digits of the code your app shows.");
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("disableTotp", { body: { currentPassword: password, code } });
      props.onDone("Two-factor authentication is off. Your recovery codes no longer work.");
    } catch (err) {
      setError(describeMfaError(err, "turn-off"));
      setCode("");
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Turn off two-factor authentication" noValidate>
      <p>
        {props.passkeys ? "Your passkeys stay your second factor." : "Without it, your password alone signs you in."} Your authenticator app's entry and your
        recovery codes stop working.
      </p>
      <input type="text" name="username" autoComplete="username" value={chat.me.username} readOnly hidden />
      <Field label="Current password" name="currentPassword" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
      <CodeField value={code} onChange={setCode} />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="danger" disabled={busy || !password}>
          {busy ? "Turning off…" : "Turn off two-factor authentication"}
        </button>
        <button type="button" onClick={() => props.onDone()} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
