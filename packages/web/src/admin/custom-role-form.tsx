/**
 * Admin console → Roles & policies: the form that defines or edits a custom role — a name,
 * a description and the permissions it grants, chosen from the catalogue with what each
 * allows. Permissions only owners hold (org.manage_admins) are not offered.
 */
import { useState } from "react";
import type { CustomRole, OrgPermission } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError, PERMISSION_TEXT } from "./access-text.ts";

export type Catalogue = { permission: OrgPermission; builtIn: string[]; grantable: boolean }[];

export function CustomRoleForm(props: { catalogue: Catalogue; editing?: CustomRole; onSaved: () => void; onCancel?: () => void }) {
  const api = useChat().client.api;
  const e = props.editing;
  const [name, setName] = useState(e?.name ?? "");
  const [description, setDescription] = useState(e?.description ?? "");
  const [perms, setPerms] = useState<Set<OrgPermission>>(new Set(e?.permissions ?? []));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const title = e ? `Edit role “${e.name}”` : "New custom role";

  async function save() {
    const body = { name: name.trim(), description: description.trim(), permissions: [...perms] };
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(body.name)) return setError("Name the role with lower-case letters, digits, '-' or '_' (e.g. auditor).");
    if (body.permissions.length === 0) return setError("Choose at least one permission.");
    setBusy(true);
    try {
      if (e) await api.call("updateCustomRole", { params: { id: e.id }, body });
      else await api.call("createCustomRole", { body });
      setError(undefined);
      if (!e) {
        setName("");
        setDescription("");
        setPerms(new Set());
      }
      props.onSaved();
    } catch (err) {
      setError(describeAccessError(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (p: OrgPermission, on: boolean) =>
    setPerms((s) => {
      const n = new Set(s);
      if (on) n.add(p);
      else n.delete(p);
      return n;
    });

  return (
    <form
      aria-label={title}
      className="role-form"
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <h3>{title}</h3>
      <div className="inline-fields">
        <label>
          Role name
          <input value={name} onChange={(ev) => setName(ev.target.value)} placeholder="auditor" maxLength={40} />
        </label>
        <label className="grow">
          Description
          <input value={description} onChange={(ev) => setDescription(ev.target.value)} maxLength={500} />
        </label>
      </div>
      <fieldset>
        <legend>Permissions (in addition to the holder's built-in role)</legend>
        <ul className="permission-list">
          {props.catalogue
            .filter((c) => c.grantable)
            .map((c) => (
              <li key={c.permission}>
                <label>
                  <input type="checkbox" checked={perms.has(c.permission)} onChange={(ev) => toggle(c.permission, ev.target.checked)} />{" "}
                  <code>{c.permission}</code> — {PERMISSION_TEXT[c.permission]}
                  <span className="muted"> (built in for {c.builtIn.join(", ")})</span>
                </label>
              </li>
            ))}
        </ul>
      </fieldset>
      <FormError error={error} />
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>
          {e ? "Save role" : "Create role"}
        </button>
        {props.onCancel ? (
          <button type="button" onClick={props.onCancel} disabled={busy}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
