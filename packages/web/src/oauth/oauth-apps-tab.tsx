/**
 * Admin console → OAuth apps: the org's registered apps (client id, redirect URIs, scopes,
 * users connected) with Delete (every grant revoked), the form to register one, and every
 * live grant in the org with Revoke. Apps are public clients (PKCE, no secret), so there is
 * nothing to show once: the client id is not a secret.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { ApiKeyScope, OAuthApp, OAuthGrant } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { GrantsTable } from "./grants-table.tsx";

const SCOPES: ApiKeyScope[] = ["read", "write", "admin"];

export function OAuthAppsTab() {
  const chat = useChat();
  const api = chat.client.api;
  const [apps, setApps] = useState<OAuthApp[]>();
  const [grants, setGrants] = useState<OAuthGrant[]>([]);
  const [error, setError] = useState<string>();
  const [confirm, setConfirm] = useState<{ app: OAuthApp } | { grant: OAuthGrant }>();
  const [name, setName] = useState("");
  const [uris, setUris] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["read"]);
  const load = useCallback(async () => {
    try {
      const [a, g] = await Promise.all([api.call("listOAuthApps"), api.call("listOAuthGrants")]);
      setApps(a.apps);
      setGrants(g.grants);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  const who = (id: string) => {
    const u = chat.users.get(id);
    return u ? `${u.displayName} (@${u.username})` : id;
  };

  async function register(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      const redirectUris = uris
        .split(/\s+/)
        .map((u) => u.trim())
        .filter(Boolean);
      await api.call("createOAuthApp", { body: { name, redirectUris, scopes } });
      setName("");
      setUris("");
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div className="settings-form identity-admin">
      <h2>OAuth apps</h2>
      <p className="note">
        Third-party apps users connect with “Sign in with Parley” (authorization code + PKCE). An app acts as the user within the scopes they allow, over the
        REST API only: it never gets encryption keys or message content.
      </p>
      <FormError error={error} />
      {apps === undefined ? (
        <p className="muted">Loading…</p>
      ) : apps.length === 0 ? (
        <p className="muted">No apps registered.</p>
      ) : (
        <table className="table" aria-label="OAuth apps">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Client id</th>
              <th scope="col">Redirect URIs</th>
              <th scope="col">Scopes</th>
              <th scope="col">Users</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {apps.map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td className="mono">{a.clientId}</td>
                <td>{a.redirectUris.join(" ")}</td>
                <td>{a.scopes.join(", ")}</td>
                <td>{a.activeGrants}</td>
                <td className="row-actions">
                  <button type="button" className="danger" onClick={() => setConfirm({ app: a })} aria-label={`Delete app ${a.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={(e) => void register(e)} aria-label="Register an app">
        <h3>Register an app</h3>
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={80} />
        </label>
        <label>
          Redirect URIs (one per line) <textarea value={uris} onChange={(e) => setUris(e.target.value)} required rows={2} />
        </label>
        <fieldset>
          <legend>Scopes it may ask for</legend>
          {SCOPES.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))}
              />{" "}
              {s}
            </label>
          ))}
        </fieldset>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={!scopes.length}>
            Register app
          </button>
        </div>
      </form>
      <h3>Connected users</h3>
      {grants.length === 0 ? (
        <p className="muted">Nobody has connected an app.</p>
      ) : (
        <GrantsTable grants={grants} label="OAuth grants" who={who} action="Revoke" onAction={(grant) => setConfirm({ grant })} />
      )}
      {confirm ? (
        <ConfirmDialog
          title={"app" in confirm ? `Delete app “${confirm.app.name}”?` : `Revoke ${confirm.grant.appName} for ${who(confirm.grant.userId)}?`}
          confirmLabel={"app" in confirm ? "Delete app" : "Revoke"}
          busyLabel="Working…"
          onConfirm={async () => {
            if ("app" in confirm) await api.call("deleteOAuthApp", { params: { id: confirm.app.id } });
            else await api.call("revokeOAuthGrant", { params: { id: confirm.grant.id } });
            setConfirm(undefined);
            await load();
          }}
          onClose={() => setConfirm(undefined)}
        >
          <p>
            {"app" in confirm ? "Every user's connection to it ends at once and it can no longer sign anyone in." : "The app loses this user's access at once."}
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
