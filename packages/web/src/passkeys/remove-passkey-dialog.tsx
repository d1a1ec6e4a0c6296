/**
 * "Remove passkey?": says what changes (it no longer signs in or serves as the second factor;
 * the device or password manager keeps its copy until the user deletes it there), then removes
 * it. The server refuses to remove the last second factor while the organisation requires one:
 * the dialog then says what to add first.
 */
import { useState } from "react";
import type { Passkey } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { describePasskeyError } from "./passkey-errors.ts";

export function RemovePasskeyDialog(props: { passkey: Passkey; onRemoved: () => void; onClose: () => void }) {
  const chat = useChat();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const p = props.passkey;

  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("deletePasskey", { params: { id: p.id } });
      props.onRemoved();
    } catch (err) {
      setError(describePasskeyError(err, "remove"));
      setBusy(false);
    }
  }
  const close = () => {
    if (!busy) props.onClose();
  };

  return (
    <Modal title="Remove passkey?" onClose={close}>
      <p>
        <strong>{p.name}</strong> will no longer sign you in to Parley or serve as your second factor.
      </p>
      <p className="muted small">
        Your device or password manager keeps its copy until you delete it there. Sign in with your password, or with another passkey, from now on.
      </p>
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
          {busy ? "Removing…" : "Remove passkey"}
        </button>
      </div>
    </Modal>
  );
}
