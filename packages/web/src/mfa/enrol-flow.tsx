/**
 * Setting up an authenticator app, in three steps: the current password (startTotp answers a new
 * secret as a QR code and as text), a code from the app to prove it holds the secret
 * (confirmTotp turns MFA on and answers ten recovery codes), and the recovery codes, shown once.
 * The same flow serves the profile page and the full-screen enrolment an org's policy forces; it
 * talks to the server through `api` (the running client's, or the restricted session's).
 */
import { useState, type FormEvent } from "react";
import type { Org } from "@parley/protocol";
import type { Api } from "@parley/sdk";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { CodeField } from "./code-field.tsx";
import { groupSecret, isTotpCode, svgDataUrl } from "./codes.ts";
import { describeMfaError } from "./mfa-errors.ts";
import { RecoveryCodes } from "./recovery-codes.tsx";

type Secret = { secret: string; otpauthUri: string; qrSvg: string };

export function EnrolFlow(props: {
  api: Pick<Api, "call">;
  username: string;
  org: Pick<Org, "name" | "slug">;
  /** MFA is on (the recovery codes show next). */
  onConfirmed?: () => void;
  /** The user saved the recovery codes. */
  onDone: () => void | Promise<void>;
  doneLabel: string;
  /** Leave before MFA is on (none: the flow cannot be left, e.g. when the org requires it). */
  onCancel?: () => void;
}) {
  const [secret, setSecret] = useState<Secret>();
  const [codes, setCodes] = useState<string[]>();
  if (codes) return <RecoveryCodes codes={codes} username={props.username} org={props.org} doneLabel={props.doneLabel} onDone={props.onDone} />;
  if (secret)
    return (
      <ScanStep
        api={props.api}
        secret={secret}
        org={props.org}
        onCancel={props.onCancel}
        onConfirmed={(c) => {
          setCodes(c);
          props.onConfirmed?.();
        }}
      />
    );
  return <PasswordStep api={props.api} username={props.username} onStarted={setSecret} onCancel={props.onCancel} />;
}

function PasswordStep(props: { api: Pick<Api, "call">; username: string; onStarted: (s: Secret) => void; onCancel: (() => void) | undefined }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      props.onStarted(await props.api.call("startTotp", { body: { currentPassword: password } }));
    } catch (err) {
      setError(describeMfaError(err, "enrol-password"));
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Set up two-factor authentication" className="enrol-flow">
      <p>
        You need an authenticator app on your phone: any app for time-based codes works, such as the one in your password manager. First, confirm it is you.
      </p>
      <input type="text" name="username" autoComplete="username" value={props.username} readOnly hidden />
      <Field label="Current password" name="currentPassword" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy || !password}>
          {busy ? "Checking…" : "Continue"}
        </button>
        {props.onCancel ? (
          <button type="button" onClick={props.onCancel} disabled={busy}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function ScanStep(props: {
  api: Pick<Api, "call">;
  secret: Secret;
  org: Pick<Org, "name">;
  onConfirmed: (codes: string[]) => void;
  onCancel: (() => void) | undefined;
}) {
  const { secret } = props;
  const [code, setCode] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!isTotpCode(code)) return setError("Enter all 6 digits of the code the app shows for the new entry.");
    setBusy(true);
    setError(undefined);
    try {
      props.onConfirmed((await props.api.call("confirmTotp", { body: { code } })).recoveryCodes);
    } catch (err) {
      setError(describeMfaError(err, "enrol-code"));
      setCode("");
      setBusy(false);
    }
  }

  return (
    <div className="enrol-flow">
      <div className="totp-setup">
        {/* The server's SVG as an image: its markup never becomes part of this page. */}
        <img className="totp-qr" src={svgDataUrl(secret.qrSvg)} alt="QR code to scan with your authenticator app" width={176} height={176} />
        <div>
          <p>
            <strong>Scan this QR code</strong> with your authenticator app. It adds an entry for Parley ({props.org.name}).
          </p>
          <p className="small">Cannot scan it? Add an entry by hand with this key (time-based):</p>
          <p className="totp-secret">
            <code data-testid="totp-secret" aria-label="Key for entering by hand">
              {groupSecret(secret.secret)}
            </code>
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard?.writeText(secret.secret).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? "Copied" : "Copy key"}
            </button>
          </p>
          <p className="small">
            On your phone already? <a href={secret.otpauthUri}>Open the key in your authenticator app</a>.
          </p>
        </div>
      </div>
      <form onSubmit={submit} aria-label="Confirm your authenticator app" noValidate>
        <CodeField
          label="Code from the app"
          value={code}
          onChange={setCode}
          autoFocus
          hint="Type the 6-digit code the app shows for the new entry, to prove it works."
        />
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : "Turn on two-factor authentication"}
          </button>
          {props.onCancel ? (
            <button type="button" onClick={props.onCancel} disabled={busy}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </div>
  );
}
