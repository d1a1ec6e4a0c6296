/**
 * Admin console → Roles & policies → Custom roles: the org's custom roles (what they grant,
 * who holds them) with Edit and Delete (confirmed), and the form to define one. Who holds a
 * role is set per user from the Users tab ("Roles").
 */
import { useState } from "react";
import type { CustomRole } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeAccessError } from "./access-text.ts";
import { CustomRoleForm, type Catalogue } from "./custom-role-form.tsx";

export function CustomRolesSection(props: { roles: CustomRole[] | undefined; catalogue: Catalogue; onChange: () => void }) {
  const chat = useChat();
  const [editing, setEditing] = useState<CustomRole>();
  const [deleting, setDeleting] = useState<CustomRole>();
  const holders = (r: CustomRole) => r.memberIds.map((id) => chat.userName(id)).join(", ");

  return (
    <section aria-labelledby="custom-roles-title">
      <h2 id="custom-roles-title">Custom roles</h2>
      <p className="note">
        A custom role adds permissions to its holders' built-in role (owner, admin, member, guest). Give it to people from <strong>Users → Roles</strong>.
      </p>
      {props.roles === undefined ? (
        <p className="muted">Loading…</p>
      ) : props.roles.length === 0 ? (
        <p className="muted">No custom roles yet.</p>
      ) : (
        <table className="table" aria-label="Custom roles">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Permissions</th>
              <th scope="col">Held by</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.roles.map((r) => (
              <tr key={r.id}>
                <td>
                  {r.name}
                  {r.description ? <div className="muted">{r.description}</div> : null}
                </td>
                <td>
                  {r.permissions.map((p) => (
                    <code key={p} className="perm">
                      {p}
                    </code>
                  ))}
                </td>
                <td>{r.memberIds.length ? holders(r) : <span className="muted">nobody</span>}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setEditing(r)} aria-label={`Edit role ${r.name}`}>
                    Edit
                  </button>
                  <button type="button" className="danger" onClick={() => setDeleting(r)} aria-label={`Delete role ${r.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <CustomRoleForm
        key={editing?.id ?? "new"}
        catalogue={props.catalogue}
        {...(editing ? { editing, onCancel: () => setEditing(undefined) } : {})}
        onSaved={() => {
          setEditing(undefined);
          props.onChange();
        }}
      />
      {deleting ? (
        <ConfirmDialog
          title={`Delete role “${deleting.name}”?`}
          confirmLabel="Delete role"
          busyLabel="Deleting…"
          describe={describeAccessError}
          onConfirm={async () => {
            await chat.client.api.call("deleteCustomRole", { params: { id: deleting.id } });
            setDeleting(undefined);
            props.onChange();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>
            {deleting.memberIds.length
              ? `Its ${deleting.memberIds.length} holder(s) (${holders(deleting)}) lose its permissions at once; their built-in role stays.`
              : "Nobody holds it."}
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
