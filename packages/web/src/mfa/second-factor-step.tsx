/**
 * Sign-in's second step, shown once the password was right on an account with two-factor
 * authentication: the code from the authenticator app, a passkey, or a recovery code — whichever
 * the account has (the challenge's `methods`), the app's code first. The sign-in screen owns the
 * sign-in; this form only collects the answer (for a passkey: the browser's prompt, run here). A
 * refused answer clears the field and puts the cursor back in it, for the next code.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";
import type { MfaChallenge } from "@parley/protocol";
import type { SecondFactor } from "@parley/sdk";
import { AuthCard, FormError } from "../components/auth/auth-card.tsx";
import { cancelPasskeyPrompt, passkeySecondFactor, passkeysSupported } from "../passkeys/ceremony.ts";
import { describePasskeyError } from "../passkeys/passkey-errors.ts";
import { CodeField, RecoveryCodeField } from "./code-field.tsx";
import { isTotpCode, recoveryCodeInput } from "./codes.ts";

type Method = "totp" | "passkey" | "recovery";

const SUBTITLES: Record<Method, string> = {
  totp: "Open your authenticator app and enter the 6-digit code it shows for Parley.",
  passkey: "Use the passkey you added to your account: your device or password manager asks for your fingerprint, face or PIN.",
  recovery: "Enter one of the recovery codes you saved when you set up two-factor authentication.",
};
const SWITCH_LABELS: Record<Method, string> = {
  totp: "Use your authenticator app instead",
  passkey: "Use a passkey instead",
  recovery: "Use a recovery code instead",
};

/** The ways this account can answer (without a challenge: the app's code and recovery codes, as before passkeys). */
function methodsOf(challenge: MfaChallenge | undefined): Method[] {
  const offered = challenge?.methods ?? ["totp", "recovery_code"];
  const out: Method[] = [];
  if (offered.includes("totp")) out.push("totp");
  if (offered.includes("passkey")) out.push("passkey");
  if (offered.includes("recovery_code")) out.push("recovery");
  return out.length ? out : ["totp"];
}

export function SecondFactorStep(props: {
  /** The sign-in's challenge: which factors the account has, and the token a passkey's options need. */
  challenge?: MfaChallenge | undefined;
  error: string | undefined;
  busy: boolean;
  onSubmit: (answer: SecondFactor) => void;
  onCancel: () => void;
}) {
  const methods = methodsOf(props.challenge);
  const [method, setMethod] = useState<Method>(methods[0]!);
  const [code, setCode] = useState("");
  const [recoveryCode, setRecoveryCode] = useState("");
  const [problem, setProblem] = useState<string>();
  const [prompting, setPrompting] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const passkeyButton = useRef<HTMLButtonElement>(null);
  const { error, busy } = props;

  // An answer came back refused (the same words as last time, maybe): start the next one empty.
  useEffect(() => {
    if (!error || busy) return;
    setCode("");
    setRecoveryCode("");
    (input.current ?? passkeyButton.current)?.focus();
  }, [error, busy]);
  // Leaving the step (back to the password, or signed in) closes a passkey prompt still open.
  useEffect(() => () => cancelPasskeyPrompt(), []);

  function submit(e: FormEvent) {
    e.preventDefault();
    setProblem(undefined);
    if (method === "passkey") return void withPasskey();
    if (method === "totp") {
      if (!isTotpCode(code)) return setProblem("Enter all 6 digits of the code your app shows.");
      return props.onSubmit({ code });
    }
    const typed = recoveryCodeInput(recoveryCode);
    if (!typed) return setProblem("A recovery code has 10 letters and digits, like abcde-23456. Check it and try again.");
    props.onSubmit({ recoveryCode: typed });
  }

  // The browser's prompt runs here, in the page; the answer goes to the sign-in like a code.
  async function withPasskey() {
    if (!props.challenge) return;
    if (!passkeysSupported())
      return setProblem(
        "This browser cannot use passkeys. Sign in with a current version of Chrome, Edge, Firefox or Safari, or use another way to verify if you have one.",
      );
    setProblem(undefined);
    setPrompting(true);
    try {
      props.onSubmit(await passkeySecondFactor(props.challenge.mfaToken));
    } catch (err) {
      setProblem(describePasskeyError(err, "second-factor"));
    } finally {
      setPrompting(false);
    }
  }

  function switchTo(m: Method) {
    setMethod(m);
    setProblem(undefined);
    // Choosing "Use a passkey instead" is the click the browser's prompt needs: no second one.
    if (m === "passkey") void withPasskey();
  }

  const waiting = busy || prompting;
  return (
    <AuthCard title="Two-factor authentication" subtitle={SUBTITLES[method]}>
      <form onSubmit={submit} aria-label="Two-factor authentication" noValidate>
        {method === "recovery" ? (
          <RecoveryCodeField value={recoveryCode} onChange={setRecoveryCode} autoFocus inputRef={input} />
        ) : method === "totp" ? (
          <CodeField value={code} onChange={setCode} autoFocus inputRef={input} />
        ) : null}
        <FormError error={problem ?? error} />
        {method === "passkey" ? (
          <button type="submit" className="primary" disabled={waiting} ref={passkeyButton} autoFocus>
            {prompting ? "Waiting for your passkey…" : busy ? "Checking…" : "Use a passkey"}
          </button>
        ) : (
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : "Verify"}
          </button>
        )}
        {methods
          .filter((m) => m !== method)
          .map((m) => (
            <button key={m} type="button" className="link switch-factor" onClick={() => switchTo(m)} disabled={prompting}>
              {SWITCH_LABELS[m]}
            </button>
          ))}
      </form>
      <button type="button" className="link back-link" onClick={props.onCancel}>
        Back to sign in
      </button>
    </AuthCard>
  );
}
