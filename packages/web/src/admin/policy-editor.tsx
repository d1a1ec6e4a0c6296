/**
 * Admin console → Roles & policies: the policy editor — a name, a description and the Cedar
 * text (one `forbid`), with example policies to insert and the schema to write against.
 * Validate asks the server (nothing stored) and lists the problems; Save stores it, or shows
 * why it was refused (not valid, or it would lock every admin out, naming the policies).
 * The text is the caller's state, so the dry run can try the draft.
 */
import { useState } from "react";
import type { OrgPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describePolicyRefusal, POLICY_EXAMPLES, type PolicyRefusal } from "./access-text.ts";
import { PolicyRefusalView } from "./policy-refusal.tsx";

export function PolicyEditor(props: {
  schema: string;
  editing: OrgPolicy | undefined;
  text: string;
  onText: (text: string) => void;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const api = useChat().client.api;
  const e = props.editing;
  const [name, setName] = useState(e?.name ?? "");
  const [description, setDescription] = useState(e?.description ?? "");
  const [refusal, setRefusal] = useState<PolicyRefusal>();
  const [valid, setValid] = useState<string>();
  const [busy, setBusy] = useState(false);
  const title = e ? `Edit policy “${e.name}”` : "New policy";

  async function act(what: "validate" | "save") {
    setRefusal(undefined);
    setValid(undefined);
    if (!props.text.trim()) return setRefusal({ message: "Write the policy first (or insert an example).", problems: [], policies: [] });
    if (what === "save" && !name.trim()) return setRefusal({ message: "Name the policy.", problems: [], policies: [] });
    setBusy(true);
    try {
      if (what === "validate") {
        const r = await api.call("validatePolicy", { body: { text: props.text } });
        if (r.valid) setValid("Valid: one forbid statement that matches the schema. Nothing was saved.");
        else setRefusal({ message: "The policy is not valid:", problems: r.problems, policies: [] });
      } else {
        const body = { name: name.trim(), description: description.trim(), text: props.text };
        if (e) await api.call("updatePolicy", { params: { id: e.id }, body });
        else await api.call("createPolicy", { body: { ...body, enabled: true } });
        props.onSaved();
      }
    } catch (err) {
      setRefusal(describePolicyRefusal(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      aria-label={title}
      className="policy-editor"
      onSubmit={(ev) => {
        ev.preventDefault();
        void act("save");
      }}
    >
      <h3>{title}</h3>
      <div className="inline-fields">
        <label>
          Policy name
          <input value={name} onChange={(ev) => setName(ev.target.value)} maxLength={80} placeholder="confidential: no guests" />
        </label>
        <label className="grow">
          Description
          <input value={description} onChange={(ev) => setDescription(ev.target.value)} maxLength={500} />
        </label>
      </div>
      <label>
        Insert an example{" "}
        <select
          aria-label="Insert an example"
          value=""
          onChange={(ev) => {
            const x = POLICY_EXAMPLES.find((p) => p.label === ev.target.value);
            if (!x) return;
            props.onText(x.text);
            if (!name.trim()) setName(x.name);
          }}
        >
          <option value="">Choose…</option>
          {POLICY_EXAMPLES.map((x) => (
            <option key={x.label}>{x.label}</option>
          ))}
        </select>
      </label>
      <label className="block">
        Cedar policy (one <code>forbid</code> statement)
        <textarea className="mono cedar" rows={6} spellCheck={false} value={props.text} onChange={(ev) => props.onText(ev.target.value)} />
      </label>
      <details className="cedar-schema">
        <summary>Schema: what a policy can name</summary>
        <p className="note">
          <code>principal</code> is a User (<code>role</code>, <code>customRoles</code>, <code>groups</code>, <code>mfa</code>, <code>deviceApproved</code>
          ); <code>resource</code> is a Channel (<code>kind</code>, <code>labels</code>, <code>archived</code>) or the Org; <code>context</code> has{" "}
          <code>hour</code>, <code>weekday</code> (UTC) and <code>ip</code>. Policies can only forbid: grants come from roles.
        </p>
        <pre className="mono">{props.schema}</pre>
      </details>
      {valid ? (
        <p className="notice" role="status">
          {valid}
        </p>
      ) : null}
      <PolicyRefusalView refusal={refusal} />
      <div className="row-actions">
        <button type="button" onClick={() => void act("validate")} disabled={busy}>
          Validate
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {e ? "Save policy" : "Add policy"}
        </button>
        {e || props.text ? (
          <button type="button" onClick={props.onCancel} disabled={busy}>
            {e ? "Cancel" : "Clear"}
          </button>
        ) : null}
      </div>
    </form>
  );
}
