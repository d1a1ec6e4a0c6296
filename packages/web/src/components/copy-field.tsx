/**
 * A value shown to be copied — a one-time secret, a link, a URL: a labelled read-only field
 * (selected on focus) and a Copy button that says "Copied" once the clipboard took it.
 */
import { useId, useState } from "react";

export function CopyField(props: { label: string; value: string; mono?: boolean }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  return (
    <div className="copy-field">
      <label htmlFor={id}>{props.label}</label>
      <input id={id} readOnly value={props.value} className={props.mono ? "mono" : undefined} onFocus={(e) => e.currentTarget.select()} />
      <button
        type="button"
        aria-label={`Copy ${props.label}`}
        onClick={() =>
          void navigator.clipboard?.writeText(props.value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}
