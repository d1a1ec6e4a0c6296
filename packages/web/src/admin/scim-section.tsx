/**
 * Admin console → Directory → SCIM provisioning: the bearer tokens the identity provider
 * (Okta, Entra ID, Keycloak…) uses at the SCIM base URL — created and shown once with that
 * URL, listed with their last use, revoked — and the groups it pushed, each mapped to an org
 * role and channels (scim-group-mappings.tsx).
 */
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import type { ScimToken } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { SecretOnce } from "./secret-once.tsx";
import { ScimGroupMappings } from "./scim-group-mappings.tsx";

function stateOf(t: ScimToken, now: number): string {
  if (t.revokedAt !== null) return "Revoked";
  if (t.expiresAt !== null && t.expiresAt <= now) return "Expired";
  return "Active";
}

export function ScimSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [tokens, setTokens] = useState<ScimToken[]>();
  const [error, setError] = useState<string>();
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string; scimUrl: string }>();
  const [revoking, setRevoking] = useState<ScimToken>();
  const daysId = useId();
  const load = useCallback(
    () =>
      api.call("listScimTokens").then(
        (r) => setTokens(r.tokens.sort((a, b) => Number(a.revokedAt !== null) - Number(b.revokedAt !== null) || b.createdAt - a.createdAt)),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);

  async function create(e: FormEvent) {
    e.preventDefault();
    const expiresInDays = days.trim() ? Number(days) : undefined;
    if (!name.trim()) return setError("Name the token after the identity provider that uses it, e.g. “Okta”.");
    if (expiresInDays !== undefined && !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= 3650))
      return setError("A token expires after 1 to 3650 days, or never (leave it empty).");
    setBusy(true);
    setError(undefined);
    try {
      const r = await api.call("createScimToken", { body: { name: name.trim(), ...(expiresInDays ? { expiresInDays } : {}) } });
      setCreated({ name: r.name, token: r.token, scimUrl: r.scimUrl });
      setName("");
      setDays("");
      await load();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  const now = Date.now();
  return (
    <section aria-labelledby="scim-h">
      <h2 id="scim-h">SCIM provisioning</h2>
      <p className="note">
        Your identity provider creates, updates and deactivates the people of {chat.org.name} over SCIM 2.0, and pushes its groups. Give it the SCIM base URL
        and a token from here. A token acts with your role: an admin's provisions members and guests, an owner's may also change admins.
      </p>
      <FormError error={error} />
      {tokens === undefined ? (
        <p className="muted">Loading…</p>
      ) : tokens.length === 0 ? (
        <p className="muted">No SCIM tokens yet.</p>
      ) : (
        <table className="table" aria-label="SCIM tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Acts as</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Expires</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => {
              const state = stateOf(t, now);
              return (
                <tr key={t.id} className={state === "Active" ? "" : "inactive"}>
                  <td>{t.name}</td>
                  <td>{t.authority}</td>
                  <td>{new Date(t.createdAt).toLocaleString()}</td>
                  <td>{t.lastUsedAt === null ? "never" : new Date(t.lastUsedAt).toLocaleString()}</td>
                  <td>{t.expiresAt === null ? "never" : new Date(t.expiresAt).toLocaleDateString()}</td>
                  <td>{state}</td>
                  <td className="row-actions">
                    {state === "Revoked" ? null : (
                      <button type="button" className="danger" onClick={() => setRevoking(t)} aria-label={`Revoke SCIM token ${t.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {created ? (
        <SecretOnce
          title={`SCIM token “${created.name}”`}
          fields={[
            { label: "SCIM base URL", value: created.scimUrl },
            { label: "SCIM token", value: created.token },
          ]}
          onDone={() => setCreated(undefined)}
        >
          <p className="muted small">In the identity provider: base URL as above, authentication “HTTP header / bearer token” with this token.</p>
        </SecretOnce>
      ) : (
        <form onSubmit={create} aria-label="Create SCIM token" noValidate>
          <div className="inline-fields">
            <Field label="Token name" name="scimTokenName" value={name} onChange={setName} maxLength={80} autoComplete="off" />
            <div className="field">
              <label htmlFor={daysId}>Expires after (days)</label>
              <input
                id={daysId}
                type="number"
                min={1}
                max={3650}
                value={days}
                placeholder="never"
                onChange={(e) => setDays(e.target.value)}
                className="narrow"
              />
            </div>
          </div>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              Create SCIM token
            </button>
          </div>
        </form>
      )}
      <ScimGroupMappings />
      {revoking ? (
        <ConfirmDialog
          title={`Revoke SCIM token “${revoking.name}”?`}
          confirmLabel="Revoke token"
          busyLabel="Revoking…"
          onConfirm={async () => {
            await api.call("revokeScimToken", { params: { id: revoking.id } });
            setRevoking(undefined);
            await load();
          }}
          onClose={() => setRevoking(undefined)}
        >
          <p>
            The identity provider's next request with this token is refused: provisioning stops until you give it a new token. Accounts it created stay as they
            are.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
