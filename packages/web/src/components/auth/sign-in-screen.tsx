import { useState, type FormEvent } from "react";
import type { ChatStore } from "../../client/chat-store.ts";
import { defaultDeviceName, describeError, signIn } from "../../client/session.ts";
import { signedOutPath } from "../../router.ts";
import { AuthCard, Field, FormError, PathLink } from "./auth-card.tsx";

/** Where the organisation of the last sign-in is remembered (pre-fills sign-in and "Forgot password?"). */
export const LAST_ORG_KEY = "parley.lastOrg";

/** Sign in; `org` and `username` pre-fill the form (a link from a finished password reset). */
export function SignInScreen(props: { notice: string | undefined; org?: string; username?: string; onSignedIn: (c: ChatStore) => void }) {
  const [org, setOrg] = useState(() => props.org ?? localStorage.getItem(LAST_ORG_KEY) ?? "");
  const [username, setUsername] = useState(props.username ?? "");
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
      localStorage.setItem(LAST_ORG_KEY, org.trim().toLowerCase());
      props.onSignedIn(chat);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  const forgotPath = signedOutPath("/forgot-password", { org: org.trim().toLowerCase(), login: username.trim().toLowerCase() });
  return (
    <AuthCard title="Sign in" subtitle="Use the organisation, username and password your admin gave you.">
      {props.notice ? (
        <p className="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Sign in">
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
    </AuthCard>
  );
}
