import { useEffect, useRef, useState, type FormEvent } from "react";
import type { MfaChallenge } from "@parley/protocol";
import { isParleyError, type ParleyError, type SecondFactor } from "@parley/sdk";
import { defaultDeviceName, describeError, signIn, type SignedIn } from "../../client/session.ts";
import { signedOutPath } from "../../router.ts";
import { describeMfaError } from "../../mfa/mfa-errors.ts";
import { SecondFactorStep } from "../../mfa/second-factor-step.tsx";
import { AuthCard, Field, FormError, PathLink } from "./auth-card.tsx";
import { SsoButtons } from "../../sso/sso-buttons.tsx";
import { PasskeySignIn } from "../../passkeys/passkey-sign-in.tsx";

/** Where the organisation of the last sign-in is remembered (pre-fills sign-in and "Forgot password?"). */
export const LAST_ORG_KEY = "parley.lastOrg";

/** Failures that end the second step: the password must be typed again. */
const BACK_TO_PASSWORD = new Set(["mfa_challenge_invalid", "invalid_credentials", "user_deactivated"]);

/**
 * Sign in; `org` and `username` pre-fill the form (a link from a finished password reset). On an
 * account with two-factor authentication, a right password leads to the code step: the worker's
 * sign-in waits for the code (asking again after a wrong one). When that sign-in ends without
 * one — throttled, or the network — the step stays, and the next code starts a new sign-in with
 * the same password, answering its first question with that code.
 */
export function SignInScreen(props: { notice: string | undefined; org?: string; username?: string; onSignedIn: (s: SignedIn) => void }) {
  const [org, setOrg] = useState(() => props.org ?? localStorage.getItem(LAST_ORG_KEY) ?? "");
  const [username, setUsername] = useState(props.username ?? "");
  const [password, setPassword] = useState("");
  const [deviceName, setDeviceName] = useState(defaultDeviceName);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  /** The code step is showing, with the last answer's error. */
  const [codeStep, setCodeStep] = useState<{ error: string | undefined }>();
  const answer = useRef<(a: SecondFactor) => void>(undefined);
  const queued = useRef<SecondFactor>(undefined);
  const lastAnswer = useRef<"sign-in-code" | "sign-in-recovery" | "sign-in-passkey">("sign-in-code");
  /** The second step's challenge: the factors the account has, and the token a passkey's options need. */
  const [mfaChallenge, setMfaChallenge] = useState<MfaChallenge>();
  const running = useRef<AbortController>(undefined);
  // Whether the code step shows, for the sign-in's callbacks (they outlive the render that started them).
  const onCodeStep = useRef(false);
  const showCodeStep = (step: { error: string | undefined } | undefined) => {
    onCodeStep.current = step !== undefined;
    setCodeStep(step);
  };

  // Leaving the screen mid-sign-in (a link to "Forgot password?") stops its worker.
  useEffect(() => () => running.current?.abort(), []);

  function askForCode(challenge: MfaChallenge, previous: ParleyError | undefined): Promise<SecondFactor> {
    setMfaChallenge(challenge);
    const ready = queued.current;
    queued.current = undefined;
    if (ready && !previous) return Promise.resolve(ready);
    return new Promise((resolve) => {
      answer.current = resolve;
      showCodeStep({ error: previous ? describeMfaError(previous, lastAnswer.current) : undefined });
      setBusy(false);
    });
  }

  async function run() {
    const ctl = new AbortController();
    running.current = ctl;
    setBusy(true);
    setError(undefined);
    try {
      const signedIn = await signIn(
        { org: org.trim().toLowerCase(), username: username.trim().toLowerCase(), password, deviceName },
        { secondFactor: askForCode, signal: ctl.signal },
      );
      localStorage.setItem(LAST_ORG_KEY, org.trim().toLowerCase());
      props.onSignedIn(signedIn);
    } catch (err) {
      if (ctl.signal.aborted) return;
      answer.current = undefined;
      setBusy(false);
      if (!onCodeStep.current) return setError(describeError(err));
      if (isParleyError(err) && BACK_TO_PASSWORD.has(err.code)) {
        setPassword("");
        setError(describeMfaError(err, lastAnswer.current));
        return showCodeStep(undefined);
      }
      showCodeStep({ error: describeMfaError(err, lastAnswer.current) });
    }
  }

  function submitPassword(e: FormEvent) {
    e.preventDefault();
    queued.current = undefined;
    onCodeStep.current = false;
    void run();
  }

  function submitCode(a: SecondFactor) {
    lastAnswer.current = "code" in a ? "sign-in-code" : "passkey" in a ? "sign-in-passkey" : "sign-in-recovery";
    setBusy(true);
    showCodeStep({ error: undefined });
    const waiting = answer.current;
    answer.current = undefined;
    if (waiting) return waiting(a);
    // The last sign-in ended (throttled, offline): a new one, whose first question this answers.
    queued.current = a;
    void run();
  }

  function backToPassword() {
    running.current?.abort();
    answer.current = undefined;
    queued.current = undefined;
    showCodeStep(undefined);
    setBusy(false);
    setError(undefined);
  }

  if (codeStep) return <SecondFactorStep challenge={mfaChallenge} error={codeStep.error} busy={busy} onSubmit={submitCode} onCancel={backToPassword} />;

  const forgotPath = signedOutPath("/forgot-password", { org: org.trim().toLowerCase(), login: username.trim().toLowerCase() });
  return (
    <AuthCard title="Sign in" subtitle="Use the organisation, username and password your admin gave you.">
      {props.notice ? (
        <p className="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <form onSubmit={submitPassword} aria-label="Sign in">
        <Field label="Organisation" name="org" value={org} onChange={setOrg} autoComplete="organization" autoFocus={!org} />
        <Field label="Username" name="username" value={username} onChange={setUsername} autoComplete="username" autoFocus={!!org && !username} />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          autoFocus={!!org && !!username}
        />
        <PathLink path={forgotPath}>Forgot password?</PathLink>
        <Field
          label="This device"
          name="deviceName"
          value={deviceName}
          onChange={setDeviceName}
          hint="Shown in your device list, so you can recognise and revoke it."
        />
        <FormError error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <SsoButtons org={org} deviceName={deviceName} />
      <PasskeySignIn
        org={org.trim().toLowerCase()}
        deviceName={deviceName}
        onSignedIn={(s) => {
          localStorage.setItem(LAST_ORG_KEY, org.trim().toLowerCase());
          props.onSignedIn(s);
        }}
      />
    </AuthCard>
  );
}
