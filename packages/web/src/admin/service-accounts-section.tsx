/**
 * Admin console → API keys → Service accounts: non-human users of the org (an integration, a
 * bot) with no password; they sign in only with API keys, which the form above creates for
 * them. Deactivating one (Users tab) ends its sessions.
 */
import { useId, useState, type FormEvent } from "react";
import type { OrgRole, User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";

type ServiceRole = Exclude<OrgRole, "owner">;

export function ServiceAccountsSection(props: { accounts: User[]; onChange: () => void }) {
  const chat = useChat();
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<ServiceRole>("member");
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const roleId = useId();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const u = await chat.client.api.call("createServiceAccount", { body: { username: username.trim(), displayName: displayName.trim(), role } });
      setDone(`Service account @${u.username} created. Create an API key for it above.`);
      setUsername("");
      setDisplayName("");
      props.onChange();
      void chat.refreshUsers().catch(() => undefined);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="service-accounts-h">
      <h2 id="service-accounts-h">Service accounts</h2>
      {props.accounts.length ? (
        <table className="table" aria-label="Service accounts">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {props.accounts.map((u) => (
              <tr key={u.id} className={u.deactivated ? "inactive" : ""}>
                <td>{u.displayName}</td>
                <td>@{u.username}</td>
                <td>{u.role}</td>
                <td>{u.deactivated ? "Deactivated" : "Active"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No service accounts yet.</p>
      )}
      <form onSubmit={submit} aria-label="Create service account">
        <Field
          label="Service account username"
          name="saUsername"
          value={username}
          onChange={setUsername}
          autoComplete="off"
          maxLength={40}
          hint="Lowercase letters, digits, dot, dash, underscore."
        />
        <Field label="Service account display name" name="saDisplayName" value={displayName} onChange={setDisplayName} autoComplete="off" maxLength={80} />
        <div className="field">
          <label htmlFor={roleId}>Service account role</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as ServiceRole)}>
            <option>member</option>
            <option>admin</option>
            <option>guest</option>
          </select>
        </div>
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" disabled={busy || !username.trim() || !displayName.trim()}>
            Create service account
          </button>
          {done ? (
            <span className="verified" role="status">
              {done}
            </span>
          ) : null}
        </div>
      </form>
    </section>
  );
}
