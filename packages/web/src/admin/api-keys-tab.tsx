/**
 * Admin console → API keys: every API key of the org (whose, which scopes, when it expires
 * and was last used) with Revoke, the form to create one (api-key-form.tsx), and service
 * accounts — users with no password whose only credentials are API keys.
 */
import { useCallback, useEffect, useState } from "react";
import type { ApiKey, User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { ApiKeyForm } from "./api-key-form.tsx";
import { ServiceAccountsSection } from "./service-accounts-section.tsx";
import "./identity-admin.css";

const when = (t: number | null) => (t === null ? "never" : new Date(t).toLocaleString());

export function ApiKeysTab() {
  const chat = useChat();
  const api = chat.client.api;
  const [keys, setKeys] = useState<ApiKey[]>();
  const [accounts, setAccounts] = useState<User[]>([]);
  const [error, setError] = useState<string>();
  const [revoking, setRevoking] = useState<ApiKey>();
  const load = useCallback(async () => {
    try {
      const [k, s] = await Promise.all([api.call("listApiKeys"), api.call("listServiceAccounts")]);
      setKeys(k.apiKeys.sort((a, b) => Number(a.revoked) - Number(b.revoked) || b.createdAt - a.createdAt));
      setAccounts(s.serviceAccounts);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  const ownerOf = (k: ApiKey) => {
    const u = chat.users.get(k.userId) ?? accounts.find((a) => a.id === k.userId);
    return u ? `${u.displayName} (@${u.username})` : k.userId;
  };
  const now = Date.now();

  return (
    <div className="settings-form identity-admin">
      <h2>API keys</h2>
      <p className="note">
        Scripts, bots and integrations sign in with an API key: limited to its scopes, ending when it expires or is revoked, every use in the audit log.
      </p>
      <FormError error={error} />
      {keys === undefined ? (
        <p className="muted">Loading…</p>
      ) : keys.length === 0 ? (
        <p className="muted">No API keys yet.</p>
      ) : (
        <table className="table" aria-label="API keys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Owner</th>
              <th scope="col">Key</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const expired = k.expiresAt <= now;
              return (
                <tr key={k.id} className={k.revoked || expired ? "inactive" : ""}>
                  <td>{k.name}</td>
                  <td>{ownerOf(k)}</td>
                  <td className="mono">{k.prefix}…</td>
                  <td>{k.scopes.join(", ")}</td>
                  <td>{new Date(k.createdAt).toLocaleDateString()}</td>
                  <td>{new Date(k.expiresAt).toLocaleDateString()}</td>
                  <td>{when(k.lastUsedAt)}</td>
                  <td>{k.revoked ? "Revoked" : expired ? "Expired" : "Active"}</td>
                  <td className="row-actions">
                    {k.revoked || expired ? null : (
                      <button type="button" className="danger" onClick={() => setRevoking(k)} aria-label={`Revoke API key ${k.name}`}>
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
      <ApiKeyForm serviceAccounts={accounts} onCreated={() => void load()} />
      <ServiceAccountsSection accounts={accounts} onChange={() => void load()} />
      {revoking ? (
        <ConfirmDialog
          title={`Revoke API key “${revoking.name}”?`}
          confirmLabel="Revoke key"
          busyLabel="Revoking…"
          onConfirm={async () => {
            await api.call("revokeApiKey", { params: { id: revoking.id } });
            setRevoking(undefined);
            await load();
          }}
          onClose={() => setRevoking(undefined)}
        >
          <p>
            The key {revoking.prefix}… of {ownerOf(revoking)} stops working at once and every session opened with it ends. Whatever uses it needs a new key.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
