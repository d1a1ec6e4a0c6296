import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Invite } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { FormError } from "../auth/auth-card.tsx";
import { describeAccountError } from "../../account/account-errors.ts";

export function InvitesTab() {
  const chat = useChat();
  const [invites, setInvites] = useState<Invite[]>([]);
  const [role, setRole] = useState<"admin" | "member" | "guest">("member");
  const [maxUses, setMaxUses] = useState(1);
  const [days, setDays] = useState(7);
  const [email, setEmail] = useState("");
  const [link, setLink] = useState<string>();
  const [emailedTo, setEmailedTo] = useState<string>();
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
    setError(undefined);
    const to = email.trim();
    try {
      const inv = await chat.client.api.call("createInvite", {
        body: { role, maxUses: to ? 1 : maxUses, expiresInSeconds: days * 86_400, ...(to ? { email: to } : {}) },
      });
      setLink(`${location.origin}/invite/${inv.token}`);
      setEmailedTo(inv.emailed ? (inv.email ?? to) : undefined);
      setEmail("");
      await load();
    } catch (err) {
      setError(describeAccountError(err, "invite"));
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
          Uses{" "}
          <input
            type="number"
            min={1}
            max={10000}
            value={email.trim() ? 1 : maxUses}
            disabled={!!email.trim()}
            onChange={(e) => setMaxUses(Number(e.target.value))}
          />
        </label>
        <label>
          Valid for (days) <input type="number" min={1} max={30} value={days} onChange={(e) => setDays(Number(e.target.value))} />
        </label>
        <label className="wide">
          Email to (optional){" "}
          <input type="email" value={email} maxLength={254} placeholder="name@example.org" autoComplete="off" onChange={(e) => setEmail(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          Create invite link
        </button>
      </form>
      {email.trim() ? <p className="muted small">An emailed invite is for one person: it can be used once, and the account gets that address.</p> : null}
      {link ? (
        <div className="invite-link" role="status">
          {emailedTo ? (
            <p className="verified" data-testid="invite-emailed">
              Invite emailed to {emailedTo}.
            </p>
          ) : null}
          <label htmlFor="invite-link">
            {emailedTo ? "Invite link (shown once; already in their inbox)" : "Invite link (shown once — send it to the person you invite)"}
          </label>
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
            <th scope="col">Emailed to</th>
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
                <td>{i.email ?? <span className="muted">—</span>}</td>
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
