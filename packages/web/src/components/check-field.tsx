/** A labelled checkbox with an optional hint under it (the hint is its accessible description). */
import { useId } from "react";

export function CheckField(props: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <div>
      <div className="check">
        <input
          id={id}
          type="checkbox"
          checked={props.checked}
          disabled={props.disabled}
          onChange={(e) => props.onChange(e.target.checked)}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
        />
        <label htmlFor={id}>{props.label}</label>
      </div>
      {props.hint ? (
        <small id={`${id}-hint`} className="muted">
          {props.hint}
        </small>
      ) : null}
    </div>
  );
}
