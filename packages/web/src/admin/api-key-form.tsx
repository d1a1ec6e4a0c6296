/**
 * Admin console → API keys: create a key for yourself or for a service account: a name,
 * its scopes (read, write, admin) and when it expires (at most a year). The key comes back
 * once and is shown with a Copy button (secret-once.tsx).
 */
import { useId, useState, type FormEvent } from "react";
import type { ApiKeyScope, User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { CheckField } from "../components/check-field.tsx";
import { SecretOnce } from "./secret-once.tsx";

/** What each scope allows, as the server enforces it (packages/protocol/src/api-key-routes.ts). */
const SCOPES: Array<{ scope: ApiKeyScope; label: string; hint: string }> = [
  { scope: "read", label: "Read", hint: "Read the API and receive live updates." },
  { scope: "write", label: "Write", hint: "Everything else a member may do, sending messages included." },
  { scope: "admin", label: "Admin", hint: "Administration routes, as far as the key owner's role allows." },
];

export function ApiKeyForm(props: { serviceAccounts: User[]; onCreated: () => void }) {
  const chat = useChat();
  const api = chat.client.api;
  const [owner, setOwner] = useState("");
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>(["read"]);
  const [days, setDays] = useState("90");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ key: string; name: string; owner: string }>();
  const ownerId = useId();
  const daysId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    const expiresInDays = Number(days);
    if (!name.trim()) return setError("Give the key a name, such as the script or integration that uses it.");
    if (!scopes.length) return setError("Choose at least one scope.");
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 365) return setError("The key expires after 1 to 365 days.");
    setBusy(true);
    setError(undefined);
    const body = { name: name.trim(), scopes, expiresInDays };
    try {
      const r = owner ? await api.call("createServiceAccountKey", { params: { id: owner }, body }) : await api.call("createApiKey", { body });
      const who = owner ? props.serviceAccounts.find((s) => s.id === owner) : undefined;
      setCreated({ key: r.key, name: r.apiKey.name, owner: who ? `@${who.username}` : "you" });
      setName("");
      props.onCreated();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  if (created)
    return (
      <SecretOnce
        title={`API key “${created.name}” for ${created.owner}`}
        fields={[{ label: "New API key", value: created.key }]}
        onDone={() => setCreated(undefined)}
      >
        <p className="muted small">
          Use it as PARLEY_API_KEY with the CLI or the SDK (ParleyClient.loginWithApiKey), or exchange it at POST /auth/api-key for a session.
        </p>
      </SecretOnce>
    );
  return (
    <form onSubmit={submit} aria-label="Create API key" noValidate>
      <h2>Create an API key</h2>
      <div className="field">
        <label htmlFor={ownerId}>For</label>
        <select id={ownerId} value={owner} onChange={(e) => setOwner(e.target.value)}>
          <option value="">Yourself (@{chat.me.username})</option>
          {props.serviceAccounts
            .filter((s) => !s.deactivated)
            .map((s) => (
              <option key={s.id} value={s.id}>
                Service account {s.displayName} (@{s.username})
              </option>
            ))}
        </select>
      </div>
      <Field label="Key name" name="apiKeyName" value={name} onChange={setName} maxLength={80} autoComplete="off" hint="What uses it, e.g. “Nightly export”." />
      <fieldset className="scopes" aria-label="Scopes">
        <legend>Scopes</legend>
        {SCOPES.map((s) => (
          <CheckField
            key={s.scope}
            label={s.label}
            hint={s.hint}
            checked={scopes.includes(s.scope)}
            onChange={(on) => setScopes((old) => (on ? [...old, s.scope] : old.filter((x) => x !== s.scope)))}
          />
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={daysId}>Expires after (days)</label>
        <input id={daysId} type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} className="narrow" />
      </div>
      <FormError error={error} />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          Create API key
        </button>
      </div>
    </form>
  );
}
