/**
 * Admin console → Users → Roles: which custom roles one user holds, on top of their built-in
 * role. Lists the org's custom roles with what they grant; Save sets the whole list.
 */
import { useEffect, useState } from "react";
import type { CustomRole, User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import "./roles-policies.css";

export function UserRolesDialog(props: { user: User; onClose: () => void }) {
  const api = useChat().client.api;
  const u = props.user;
  const [roles, setRoles] = useState<CustomRole[]>();
  const [held, setHeld] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.call("listCustomRoles").then(
      (r) => {
        setRoles(r.roles);
        setHeld(new Set(r.roles.filter((x) => x.memberIds.includes(u.id)).map((x) => x.id)));
      },
      (err: unknown) => setError(describeAccessError(err)),
    );
  }, [api, u.id]);

  async function save() {
    setBusy(true);
    try {
      await api.call("setUserCustomRoles", { params: { id: u.id }, body: { roleIds: [...held] } });
      props.onClose();
    } catch (err) {
      setError(describeAccessError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal title={`Custom roles of @${u.username}`} onClose={props.onClose}>
      <p>
        {u.displayName} is <strong>{u.role}</strong>. Custom roles add their permissions to that.
      </p>
      {roles === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : roles.length === 0 ? (
        <p className="muted">The org has no custom roles yet: define them under Admin → Roles &amp; policies.</p>
      ) : (
        <ul className="plain-list">
          {roles.map((r) => (
            <li key={r.id}>
              <label>
                <input
                  type="checkbox"
                  checked={held.has(r.id)}
                  onChange={(ev) =>
                    setHeld((s) => {
                      const n = new Set(s);
                      if (ev.target.checked) n.add(r.id);
                      else n.delete(r.id);
                      return n;
                    })
                  }
                />{" "}
                {r.name} <span className="muted">({r.permissions.join(", ")})</span>
              </label>
            </li>
          ))}
        </ul>
      )}
      <FormError error={error} />
      <div className="dialog-actions">
        <button type="button" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={() => void save()} disabled={busy || !roles?.length}>
          {busy ? "Saving…" : "Save roles"}
        </button>
      </div>
    </Modal>
  );
}
