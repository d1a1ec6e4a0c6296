/**
 * The one "Do X?" dialog for destructive actions: the title asks, the body says in plain
 * words what happens, Cancel and a red button confirm. While the action runs the dialog
 * stays (Esc, the backdrop and Cancel do nothing) and the button says so; a refusal shows
 * in the dialog, which stays open to try again or cancel. What follows a success is the
 * caller's: close the dialog, or render an outcome in its place.
 */
import { useState, type ReactNode } from "react";
import { Modal } from "./modal.tsx";
import { describeError } from "../../client/session.ts";

export function ConfirmDialog(props: {
  title: string;
  /** The red button's label, e.g. "Revoke token". */
  confirmLabel: string;
  /** Its label while the action runs, e.g. "Revoking…". */
  busyLabel: string;
  /** Runs the action; a rejection is shown in the dialog (through `describe`). */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  describe?: (err: unknown) => string;
  children: ReactNode;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
    } catch (err) {
      setError((props.describe ?? describeError)(err));
    } finally {
      setBusy(false);
    }
  }
  const close = () => {
    if (!busy) props.onClose();
  };
  return (
    <Modal title={props.title} onClose={close}>
      {props.children}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={close} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => void confirm()} disabled={busy}>
          {busy ? props.busyLabel : props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
