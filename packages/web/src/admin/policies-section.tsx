/**
 * Admin console → Roles & policies → Policies: the org's Cedar policies (name, enabled,
 * last change) with an Enabled switch, Edit and Delete (confirmed), the editor, and the dry
 * run, which can try the editor's draft before it is saved.
 */
import { useState } from "react";
import type { OrgPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeAccessError, describePolicyRefusal, type PolicyRefusal } from "./access-text.ts";
import { PolicyEditor } from "./policy-editor.tsx";
import { PolicyRefusalView } from "./policy-refusal.tsx";
import { DryRunPanel } from "./dry-run-panel.tsx";

export function PoliciesSection(props: { policies: OrgPolicy[] | undefined; schema: string; onChange: () => void }) {
  const api = useChat().client.api;
  const [editing, setEditing] = useState<OrgPolicy>();
  const [text, setText] = useState("");
  const [deleting, setDeleting] = useState<OrgPolicy>();
  const [refusal, setRefusal] = useState<PolicyRefusal>();
  // A fresh editor after each save (its name and description are its own state).
  const [saves, setSaves] = useState(0);
  const edit = (p: OrgPolicy | undefined) => {
    setEditing(p);
    setText(p?.text ?? "");
  };
  const toggle = (p: OrgPolicy, enabled: boolean) => {
    setRefusal(undefined);
    api.call("updatePolicy", { params: { id: p.id }, body: { enabled } }).then(props.onChange, (err: unknown) => setRefusal(describePolicyRefusal(err)));
  };

  return (
    <section aria-labelledby="policies-title">
      <h2 id="policies-title">Policies</h2>
      <p className="note">
        Policies only take away: after roles allow something, any enabled policy that forbids it wins. A change that would leave no owner or admin able to
        manage security is refused.
      </p>
      <PolicyRefusalView refusal={refusal} />
      {props.policies === undefined ? (
        <p className="muted">Loading…</p>
      ) : props.policies.length === 0 ? (
        <p className="muted">No policies yet: roles alone decide.</p>
      ) : (
        <table className="table" aria-label="Policies">
          <thead>
            <tr>
              <th scope="col">Policy</th>
              <th scope="col">Enabled</th>
              <th scope="col">Updated</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.policies.map((p) => (
              <tr key={p.id} className={p.enabled ? "" : "inactive"}>
                <td>
                  {p.name}
                  {p.description ? <div className="muted">{p.description}</div> : null}
                </td>
                <td>
                  <input type="checkbox" aria-label={`Enable policy ${p.name}`} checked={p.enabled} onChange={(ev) => toggle(p, ev.target.checked)} />
                </td>
                <td>{new Date(p.updatedAt).toLocaleString()}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => edit(p)} aria-label={`Edit policy ${p.name}`}>
                    Edit
                  </button>
                  <button type="button" className="danger" onClick={() => setDeleting(p)} aria-label={`Delete policy ${p.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PolicyEditor
        key={`${editing?.id ?? "new"}-${saves}`}
        schema={props.schema}
        editing={editing}
        text={text}
        onText={setText}
        onSaved={() => {
          edit(undefined);
          setSaves((n) => n + 1);
          props.onChange();
        }}
        onCancel={() => edit(undefined)}
      />
      <DryRunPanel draft={text.trim() ? { text, ...(editing ? { replaces: editing.id } : {}) } : undefined} />
      {deleting ? (
        <ConfirmDialog
          title={`Delete policy “${deleting.name}”?`}
          confirmLabel="Delete policy"
          busyLabel="Deleting…"
          describe={describeAccessError}
          onConfirm={async () => {
            await api.call("deletePolicy", { params: { id: deleting.id } });
            if (editing?.id === deleting.id) edit(undefined);
            setDeleting(undefined);
            props.onChange();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>What it forbids is allowed again at once (if roles allow it). To stop it only for a while, disable it instead.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
