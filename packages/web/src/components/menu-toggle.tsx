/** A message menu's on/off icon button (pin, save): runs the change and shows its refusal beside it. */
import { useState, type ReactNode } from "react";
import { describeError } from "../client/session.ts";

export function MenuToggle(props: {
  on: boolean;
  /** Accessible names: when off (turns it on) and when on (turns it off). */
  labels: [off: string, on: string];
  titles: [off: string, on: string];
  icon: ReactNode;
  /** Make the change; resolves with a message to show (it did not take effect), or nothing. */
  toggle: (next: boolean) => Promise<string | void>;
}) {
  const [error, setError] = useState<string>();
  const i = props.on ? 1 : 0;
  return (
    <>
      <button
        type="button"
        className="icon"
        aria-label={props.labels[i]}
        aria-pressed={props.on}
        title={props.titles[i]}
        onClick={() => {
          setError(undefined);
          void props.toggle(!props.on).then(
            (note) => setError(note || undefined),
            (err: unknown) => setError(describeError(err)),
          );
        }}
      >
        {props.icon}
      </button>
      {error ? (
        <span className="form-error" role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}
