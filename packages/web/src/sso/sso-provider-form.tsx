/**
 * Adding or editing an OpenID Connect provider: the IdP (issuer, client id, client secret —
 * write-only: an edit leaves it empty to keep the stored one), what Parley reads from its
 * claims, and what it may do to accounts (sso-access-fields.tsx).
 */
import { useId, useState, type FormEvent } from "react";
import type { IdTokenAlg, OidcSettings, SsoProvider } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { ACCESS_DEFAULTS, SsoAccessFields } from "./sso-access-fields.tsx";

type OidcProvider = Extract<SsoProvider, { kind: "oidc" }>;

const ALGS: IdTokenAlg[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const DEFAULTS: OidcSettings = {
  ...ACCESS_DEFAULTS,
  issuer: "",
  clientId: "",
  scopes: ["openid", "email", "profile"],
  claims: { username: "preferred_username", email: "email", name: "name", groups: "groups" },
  idTokenSigningAlg: "RS256",
};

/** The settings part of a provider (what the form edits and sends back). */
function settingsOf(p: OidcProvider): OidcSettings {
  return Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, p[k as keyof OidcSettings]])) as unknown as OidcSettings;
}

export function SsoProviderForm(props: { provider: OidcProvider | undefined; onDone: () => void | Promise<void>; onCancel: () => void }) {
  const chat = useChat();
  const api = chat.client.api;
  const editing = props.provider;
  const [s, setS] = useState<OidcSettings>(() => (editing ? settingsOf(editing) : DEFAULTS));
  const [scopes, setScopes] = useState(() => s.scopes.join(" "));
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const algId = useId();
  const set = <K extends keyof OidcSettings>(k: K, v: OidcSettings[K]) => setS((prev) => ({ ...prev, [k]: v }));
  const claim = (k: keyof OidcSettings["claims"], v: string) => set("claims", { ...s.claims, [k]: v });

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body = { ...s, scopes: scopes.split(/\s+/).filter(Boolean), ...(secret ? { clientSecret: secret } : {}) };
    try {
      if (editing) await api.call("updateSsoProvider", { params: { id: editing.id }, body });
      else await api.call("createSsoProvider", { body });
      await props.onDone();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const origin = location.origin;
  const urls = editing ?? {
    redirectUri: `${origin}/auth/sso/oidc/callback`,
    postLogoutRedirectUri: `${origin}/`,
    backchannelLogoutUri: `${origin}/auth/sso/oidc/backchannel`,
  };
  return (
    <form className="settings-form sso-admin" onSubmit={submit} aria-label={editing ? `Edit ${editing.name}` : "Add OpenID Connect provider"} noValidate>
      <h2>{editing ? `Edit ${editing.name}` : "Add OpenID Connect provider"}</h2>
      <p className="note">Register Parley at your identity provider as a confidential web client (authorization code flow with PKCE) with these URLs:</p>
      <dl className="urls">
        <dt>Redirect URI</dt>
        <dd>{urls.redirectUri}</dd>
        <dt>Post-logout redirect URI</dt>
        <dd>{urls.postLogoutRedirectUri}</dd>
        <dt>Back-channel logout URI (session required)</dt>
        <dd>{urls.backchannelLogoutUri}</dd>
      </dl>
      <Field label="Name on the sign-in screen" name="name" value={s.name} onChange={(v) => set("name", v)} hint="“Sign in with …”" />
      <Field label="Issuer URL" name="issuer" value={s.issuer} onChange={(v) => set("issuer", v)} hint="e.g. https://login.example.org/realms/acme" />
      <Field label="Client ID" name="clientId" value={s.clientId} onChange={(v) => set("clientId", v)} />
      <Field
        label="Client secret"
        name="clientSecret"
        type="password"
        value={secret}
        onChange={setSecret}
        required={false}
        autoComplete="off"
        hint={editing?.clientSecretSet ? "Stored sealed and never shown. Leave empty to keep it." : "Stored sealed and never shown."}
      />
      <Field label="Scopes" name="scopes" value={scopes} onChange={setScopes} hint="Space-separated; openid is required. Add groups if your IdP needs it." />
      <fieldset>
        <legend>Claims</legend>
        <Field label="Username claim" name="claimUsername" value={s.claims.username} onChange={(v) => claim("username", v)} />
        <Field label="Email claim" name="claimEmail" value={s.claims.email} onChange={(v) => claim("email", v)} />
        <Field label="Name claim" name="claimName" value={s.claims.name} onChange={(v) => claim("name", v)} />
        <Field label="Groups claim" name="claimGroups" value={s.claims.groups} onChange={(v) => claim("groups", v)} />
      </fieldset>
      <SsoAccessFields value={s} set={set} />
      <div className="field">
        <label htmlFor={algId}>ID token signature algorithm</label>
        <select id={algId} value={s.idTokenSigningAlg} onChange={(e) => set("idTokenSigningAlg", e.target.value as IdTokenAlg)}>
          {ALGS.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </div>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? "Save provider" : "Add provider"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
