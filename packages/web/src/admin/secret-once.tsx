/**
 * A secret the server returns once (an API key, a SCIM token): highlighted, with a Copy
 * button and the reminder that it cannot be shown again, plus any values that go with it
 * (the SCIM base URL), until the admin dismisses it.
 */
import type { ReactNode } from "react";
import { CopyField } from "../components/copy-field.tsx";

export function SecretOnce(props: { title: string; fields: Array<{ label: string; value: string }>; onDone: () => void; children?: ReactNode }) {
  return (
    <div className="secret-once" role="status" aria-label={props.title}>
      <p>
        <strong>{props.title}.</strong> Copy it now: it is shown only this once and stored only as a hash. Lost it? Revoke it and create another.
      </p>
      {props.fields.map((f) => (
        <CopyField key={f.label} label={f.label} value={f.value} mono />
      ))}
      {props.children}
      <div className="form-actions">
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
