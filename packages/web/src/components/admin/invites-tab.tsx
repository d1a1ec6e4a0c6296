import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Invite } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { FormError } from "../auth/auth-card.tsx";

export function InvitesTab() {
  const chat = useChat();
  const [invites, setInvites] = useState<Invite[]>([]);
  const [role, setRole] = useState<"admin" | "member" | "guest">("member");
  const [maxUses, setMaxUses] = useState(1);
  const [days, setDays] = useState(7);
  const [link, setLink] = useState<string>();
  const [error, setError] = useState<string>();
  const load = useCallback(
    () =>
      chat.client.api.call("listInvites").then(
        (r) => setInvites(r.invites),
        (err: unknown) => setError(describeError(err)),
      ),
    [chat],
  );
  useEffect(() => {
    void load();
  }, [load]);

  async function create(e: FormEvent) {
    e.preventDefault();
    try {
      const inv = await chat.client.api.call("createInvite", { body: { role, maxUses, expiresInSeconds: days * 86_400 } });
      setLink(`${location.origin}/invite/${inv.token}`);
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <>
      <form className="inline-form" onSubmit={create} aria-label="Create invite">
        <label>
          Role{" "}
          <select value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
            <option value="member">member</option>
            <option value="admin">admin</option>
            <option value="guest">guest</option>
          </select>
        </label>
        <label>
          Uses <input type="number" min={1} max={10000} value={maxUses} onChange={(e) => setMaxUses(Number(e.target.value))} />
        </label>
        <label>
          Valid for (days) <input type="number" min={1} max={30} value={days} onChange={(e) => setDays(Number(e.target.value))} />
        </label>
        <button type="submit" className="primary">
          Create invite link
        </button>
      </form>
      {link ? (
        <div className="invite-link" role="status">
          <label htmlFor="invite-link">Invite link (shown once — send it to the person you invite)</label>
          <input id="invite-link" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          <button type="button" onClick={() => void navigator.clipboard?.writeText(link)}>
            Copy
          </button>
        </div>
      ) : null}
      <FormError error={error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Uses</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {invites.map((i) => {
            const live = !i.revoked && i.expiresAt > Date.now() && i.uses < i.maxUses;
            return (
              <tr key={i.id} className={live ? "" : "inactive"}>
                <td>{i.role}</td>
                <td>
                  {i.uses} / {i.maxUses}
                </td>
                <td>{new Date(i.expiresAt).toLocaleString()}</td>
                <td>{i.revoked ? "Revoked" : live ? "Active" : "Used up or expired"}</td>
                <td>
                  {live ? (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => chat.client.api.call("revokeInvite", { params: { id: i.id } }).then(load, (err: unknown) => setError(describeError(err)))}
                    >
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
