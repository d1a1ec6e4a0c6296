/**
 * /oauth-consent/:uid: an OAuth2 app asks the signed-in user for access. Shows the app, what
 * each scope allows (and any scope the user's role cannot grant), and where the answer goes,
 * with Allow and Deny; the server's answer says where the browser goes next (back into the
 * authorization flow, which redirects to the app). The app never gets end-to-end-encryption
 * keys, which the page says.
 */
import { useEffect, useState } from "react";
import type { OAuthConsentDetails } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";
import { describeError } from "../client/session.ts";
import { AuthCard, FormError } from "../components/auth/auth-card.tsx";
import { SCOPE_TEXT } from "./scope-text.ts";

export function OAuthConsentScreen(props: { chat: ChatStore; uid: string }) {
  const api = props.chat.client.api;
  const [details, setDetails] = useState<OAuthConsentDetails>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.call("getOAuthConsent", { params: { uid: props.uid } }).then(setDetails, (err: unknown) => setError(describeError(err)));
  }, [api, props.uid]);

  async function answer(allow: boolean) {
    setBusy(true);
    try {
      const r = await api.call("answerOAuthConsent", { params: { uid: props.uid }, body: { allow } });
      location.assign(r.redirectTo);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  if (!details)
    return (
      <AuthCard title="Connect an app">
        {error ? <FormError error={`This request cannot be answered: ${error}. Start again from the app.`} /> : <p className="muted">Loading…</p>}
      </AuthCard>
    );
  let where = details.redirectUri;
  try {
    where = new URL(details.redirectUri).host || details.redirectUri;
  } catch {
    /* shown as given */
  }
  return (
    <AuthCard title={`${details.app.name} wants access to your account`} subtitle={`Signed in as @${props.chat.me.username} · ${props.chat.org.name}`}>
      <p>If you allow it, {details.app.name} can:</p>
      <ul className="consent-scopes" aria-label="What the app may do">
        {details.scopes.map((s) => (
          <li key={s}>
            <strong>{s}</strong> — {SCOPE_TEXT[s]}
          </li>
        ))}
      </ul>
      {details.withheld.length ? <p className="note">Not granted (your role does not allow it): {details.withheld.join(", ")}.</p> : null}
      <p className="note">
        It cannot read your messages or files: they stay end-to-end encrypted, and apps get no keys. You can disconnect it any time under Profile → Connected
        apps.
      </p>
      <p className="muted">You will be sent back to {where}.</p>
      <FormError error={error} />
      <div className="form-actions">
        <button type="button" className="primary" disabled={busy || !details.scopes.length} onClick={() => void answer(true)}>
          Allow
        </button>
        <button type="button" disabled={busy} onClick={() => void answer(false)}>
          Deny
        </button>
      </div>
    </AuthCard>
  );
}
