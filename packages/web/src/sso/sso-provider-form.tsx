/**
 * Adding or editing an OpenID Connect provider: the IdP (issuer, client id, client secret —
 * write-only: an edit leaves it empty to keep the stored one), what Parley reads from its
 * claims, group → role and group → channel mappings, and the sign-in rules (just-in-time
 * accounts, linking by verified email, only single sign-on and its break glass).
 */
import { useEffect, useId, useState, type FormEvent } from "react";
import type { Channel, IdTokenAlg, OidcSettings, OrgRole, SsoProvider } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";

const ROLES: OrgRole[] = ["owner", "admin", "member", "guest"];
const ALGS: IdTokenAlg[] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

const DEFAULTS: OidcSettings = {
  name: "",
  enabled: true,
  issuer: "",
  clientId: "",
  scopes: ["openid", "email", "profile"],
  claims: { username: "preferred_username", email: "email", name: "name", groups: "groups" },
  roleMapping: [],
  channelMapping: [],
  defaultRole: "member",
  jit: true,
  linkByVerifiedEmail: false,
  enforce: false,
  localAdminsWhenDown: true,
  idTokenSigningAlg: "RS256",
};

/** The settings part of a provider (what the form edits and sends back). */
function settingsOf(p: SsoProvider): OidcSettings {
  return Object.fromEntries(Object.keys(DEFAULTS).map((k) => [k, p[k as keyof OidcSettings]])) as unknown as OidcSettings;
}

function Check(props: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void }) {
  const id = useId();
  return (
    <div>
      <div className="check">
        <input
          id={id}
          type="checkbox"
          checked={props.checked}
          onChange={(e) => props.onChange(e.target.checked)}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
        />
        <label htmlFor={id}>{props.label}</label>
      </div>
      {props.hint ? (
        <small id={`${id}-hint`} className="muted">
          {props.hint}
        </small>
      ) : null}
    </div>
  );
}

export function SsoProviderForm(props: { provider: SsoProvider | undefined; onDone: () => void | Promise<void>; onCancel: () => void }) {
  const chat = useChat();
  const api = chat.client.api;
  const editing = props.provider;
  const [s, setS] = useState<OidcSettings>(() => (editing ? settingsOf(editing) : DEFAULTS));
  const [scopes, setScopes] = useState(() => s.scopes.join(" "));
  const [secret, setSecret] = useState("");
  const [channels, setChannels] = useState<Channel[]>([]);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const algId = useId();
  const defaultRoleId = useId();
  useEffect(() => {
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => !c.archived)),
      () => setChannels([]),
    );
  }, [chat]);
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
      <fieldset>
        <legend>Group → role</legend>
        {s.roleMapping.map((m, i) => (
          <div className="mapping-row" key={i}>
            <input
              aria-label={`Group of role mapping ${i + 1}`}
              value={m.group}
              onChange={(e) =>
                set(
                  "roleMapping",
                  s.roleMapping.map((x, j) => (j === i ? { ...x, group: e.target.value } : x)),
                )
              }
            />
            <select
              aria-label={`Role of role mapping ${i + 1}`}
              value={m.role}
              onChange={(e) =>
                set(
                  "roleMapping",
                  s.roleMapping.map((x, j) => (j === i ? { ...x, role: e.target.value as OrgRole } : x)),
                )
              }
            >
              {ROLES.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
            <button
              type="button"
              onClick={() =>
                set(
                  "roleMapping",
                  s.roleMapping.filter((_, j) => j !== i),
                )
              }
            >
              Remove
            </button>
          </div>
        ))}
        <button type="button" onClick={() => set("roleMapping", [...s.roleMapping, { group: "", role: "member" }])}>
          Add role mapping
        </button>
        <div className="field">
          <label htmlFor={defaultRoleId}>Role of new accounts (and of those in no mapped group)</label>
          <select id={defaultRoleId} value={s.defaultRole} onChange={(e) => set("defaultRole", e.target.value as OidcSettings["defaultRole"])}>
            <option>member</option>
            <option>guest</option>
          </select>
        </div>
      </fieldset>
      <fieldset>
        <legend>Group → channel</legend>
        {s.channelMapping.map((m, i) => (
          <div className="mapping-row" key={i}>
            <input
              aria-label={`Group of channel mapping ${i + 1}`}
              value={m.group}
              onChange={(e) =>
                set(
                  "channelMapping",
                  s.channelMapping.map((x, j) => (j === i ? { ...x, group: e.target.value } : x)),
                )
              }
            />
            <select
              aria-label={`Channel of channel mapping ${i + 1}`}
              value={m.channelId}
              onChange={(e) =>
                set(
                  "channelMapping",
                  s.channelMapping.map((x, j) => (j === i ? { ...x, channelId: e.target.value } : x)),
                )
              }
            >
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  #{c.name}
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={() =>
                set(
                  "channelMapping",
                  s.channelMapping.filter((_, j) => j !== i),
                )
              }
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          disabled={!channels.length}
          onClick={() => set("channelMapping", [...s.channelMapping, { group: "", channelId: channels[0]!.id }])}
        >
          Add channel mapping
        </button>
      </fieldset>
      <Check label="Enabled" checked={s.enabled} onChange={(v) => set("enabled", v)} />
      <Check
        label="Create accounts at the first sign-in"
        hint="Off: only people with a linked account sign in."
        checked={s.jit}
        onChange={(v) => set("jit", v)}
      />
      <Check
        label="Link existing accounts by verified email"
        hint="A first sign-in whose email the IdP has verified takes over the account with that address. Only owners may turn this on."
        checked={s.linkByVerifiedEmail}
        onChange={(v) => set("linkByVerifiedEmail", v)}
      />
      <Check
        label="Only single sign-on"
        hint="Parley passwords stop working in this organisation. Sign in with this provider yourself first."
        checked={s.enforce}
        onChange={(v) => set("enforce", v)}
      />
      <Check
        label="Owners and admins may use their password while the IdP is down"
        checked={s.localAdminsWhenDown}
        onChange={(v) => set("localAdminsWhenDown", v)}
      />
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
