import { useState, type FormEvent } from "react";
import type { ChatStore } from "../../client/chat-store.ts";
import { defaultDeviceName, describeError, signIn } from "../../client/session.ts";
import { AuthCard, Field, FormError } from "./auth-card.tsx";

const LAST_ORG = "parley.lastOrg";

export function SignInScreen(props: { notice: string | undefined; onSignedIn: (c: ChatStore) => void }) {
  const [org, setOrg] = useState(() => localStorage.getItem(LAST_ORG) ?? "");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [deviceName, setDeviceName] = useState(defaultDeviceName);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const chat = await signIn({ org: org.trim().toLowerCase(), username: username.trim().toLowerCase(), password, deviceName });
      localStorage.setItem(LAST_ORG, org.trim().toLowerCase());
      props.onSignedIn(chat);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthCard title="Sign in" subtitle="Use the organisation, username and password your admin gave you.">
      {props.notice ? (
        <p className="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Sign in">
        <Field label="Organisation" name="org" value={org} onChange={setOrg} autoComplete="organization" autoFocus={!org} />
        <Field label="Username" name="username" value={username} onChange={setUsername} autoComplete="username" autoFocus={!!org} />
        <Field label="Password" name="password" type="password" value={password} onChange={setPassword} autoComplete="current-password" />
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
    </AuthCard>
  );
}
