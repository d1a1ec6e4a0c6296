/**
 * The sign-in screen's "Sign in with a passkey": no username or password. The page asks the
 * server for the organisation's options and runs the browser's prompt (the user picks a passkey
 * and unlocks it); the answer goes to a new client worker, which signs in with it
 * (client/session.ts), as a password sign-in does. A passkey checks it is the user (fingerprint,
 * face or PIN), so no second factor follows.
 */
import { useEffect, useRef, useState } from "react";
import { signInWithPasskey, type SignedIn } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { cancelPasskeyPrompt, passkeySignInAnswer, passkeysSupported } from "./ceremony.ts";
import { describePasskeyError } from "./passkey-errors.ts";
import "./passkeys.css";

type Phase = "prompt" | "signing-in";

export function PasskeySignIn(props: { org: string; deviceName: string; onSignedIn: (s: SignedIn) => void }) {
  const [phase, setPhase] = useState<Phase>();
  const [error, setError] = useState<string>();
  const running = useRef<AbortController>(undefined);
  // Leaving the screen (a link to "Forgot password?") closes the prompt and stops the sign-in's worker.
  useEffect(
    () => () => {
      running.current?.abort();
      cancelPasskeyPrompt();
    },
    [],
  );
  if (!passkeysSupported()) return null;

  async function start() {
    setError(undefined);
    if (!props.org) return setError("Type your organisation first: your passkey signs you in to it.");
    const ctl = new AbortController();
    running.current = ctl;
    setPhase("prompt");
    try {
      const { challengeId, response } = await passkeySignInAnswer(props.org);
      setPhase("signing-in");
      const signedIn = await signInWithPasskey({ challengeId, response, deviceName: props.deviceName }, { signal: ctl.signal });
      props.onSignedIn(signedIn);
    } catch (err) {
      if (ctl.signal.aborted) return;
      setError(describePasskeyError(err, "sign-in"));
      setPhase(undefined);
    }
  }

  return (
    <div className="passkey-sign-in">
      <p className="passkey-or muted">or</p>
      <button type="button" className="passkey-button" onClick={() => void start()} disabled={phase !== undefined} aria-describedby="passkey-sign-in-hint">
        {phase === "prompt" ? "Waiting for your passkey…" : phase === "signing-in" ? "Signing in…" : "Sign in with a passkey"}
      </button>
      <small id="passkey-sign-in-hint" className="muted">
        For the organisation above, without username or password: your device asks for your fingerprint, face or PIN.
      </small>
      <FormError error={error} />
    </div>
  );
}
