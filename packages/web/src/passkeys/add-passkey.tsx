/**
 * Adding a passkey, in two steps: the current password (passkeyRegistrationOptions checks it and
 * answers the WebAuthn options, and the browser's prompt creates the passkey at once), then a
 * name to recognise it by (registerPasskey stores it with the authenticator's answer). The server
 * gives the prompt five minutes; a passkey named later is refused and the flow starts again.
 */
import { useState, type FormEvent } from "react";
import { isParleyError } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { defaultDeviceName } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { createPasskey, type WebAuthnJson } from "./ceremony.ts";
import { describePasskeyError } from "./passkey-errors.ts";

type Created = { challengeId: string; response: WebAuthnJson };

/** A first name for a new passkey, from where the authenticator says it lives. */
function suggestedName(response: WebAuthnJson, browser = defaultDeviceName()): string {
  const transports = (response.response as { transports?: unknown } | undefined)?.transports;
  if (response.authenticatorAttachment === "cross-platform") {
    return Array.isArray(transports) && transports.includes("hybrid") ? "Phone" : "Security key";
  }
  return browser;
}

export function AddPasskey(props: { onDone: (name: string) => void; onCancel: () => void }) {
  const [created, setCreated] = useState<Created>();
  const [restartError, setRestartError] = useState<string>();
  if (created)
    return (
      <NameStep
        created={created}
        onDone={props.onDone}
        onCancel={props.onCancel}
        onExpired={(message) => {
          setCreated(undefined);
          setRestartError(message);
        }}
      />
    );
  return <PasswordStep initialError={restartError} onCreated={setCreated} onCancel={props.onCancel} />;
}

function PasswordStep(props: { initialError: string | undefined; onCreated: (c: Created) => void; onCancel: () => void }) {
  const chat = useChat();
  const [password, setPassword] = useState("");
  const [error, setError] = useState(props.initialError);
  const [phase, setPhase] = useState<"checking" | "prompt">();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setPhase("checking");
    setError(undefined);
    try {
      const { challengeId, options } = await chat.client.api.call("passkeyRegistrationOptions", { body: { currentPassword: password } });
      setPhase("prompt");
      props.onCreated({ challengeId, response: await createPasskey(options) });
    } catch (err) {
      setError(describePasskeyError(err, "add"));
      if (isParleyError(err, "invalid_credentials")) setPassword("");
      setPhase(undefined);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Add a passkey" className="add-passkey">
      <p>
        First, confirm it is you. Then your browser asks where to save the passkey (this device, your phone, a password manager or a security key) and for your
        fingerprint, face or PIN.
      </p>
      <input type="text" name="username" autoComplete="username" value={chat.me.username} readOnly hidden />
      <Field label="Current password" name="currentPassword" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={phase !== undefined || !password}>
          {phase === "checking" ? "Checking…" : phase === "prompt" ? "Waiting for your passkey…" : "Continue"}
        </button>
        <button type="button" onClick={props.onCancel} disabled={phase === "checking"}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function NameStep(props: { created: Created; onDone: (name: string) => void; onCancel: () => void; onExpired: (message: string) => void }) {
  const chat = useChat();
  const [name, setName] = useState(() => suggestedName(props.created.response));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setError("Give the passkey a name, such as “Work laptop” or “Phone”.");
    setBusy(true);
    setError(undefined);
    try {
      const saved = await chat.client.api.call("registerPasskey", {
        body: { challengeId: props.created.challengeId, name: name.trim(), response: props.created.response },
      });
      props.onDone(saved.name);
    } catch (err) {
      const message = describePasskeyError(err, "add-name");
      // The prompt's challenge is spent or expired: only a new prompt can add the passkey.
      if (isParleyError(err, "passkey_invalid")) return props.onExpired(message);
      setError(message);
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} aria-label="Name your passkey" className="add-passkey" noValidate>
      <p>
        <strong>Passkey created.</strong> Give it a name, so you can tell your passkeys apart later.
      </p>
      <Field
        label="Passkey name"
        name="passkeyName"
        value={name}
        onChange={setName}
        maxLength={80}
        autoFocus
        hint="Where it is kept, such as “Work laptop”, “Phone” or “Password manager”."
      />
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Saving…" : "Save passkey"}
        </button>
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
