/** The last row of an admin policy form: its Save button, "Saved." once saved, and the error. */
import { FormError } from "../components/auth/auth-card.tsx";

export function PolicySaveRow(props: { label: string; disabled: boolean; done: boolean; error: string | undefined }) {
  return (
    <>
      <div>
        <button type="submit" className="primary" disabled={props.disabled}>
          {props.label}
        </button>
        {props.done ? (
          <span className="verified" role="status">
            {" "}
            Saved.
          </span>
        ) : null}
      </div>
      <FormError error={props.error} />
    </>
  );
}
