/**
 * "Reset encryption?": says in plain words what a reset does before it is
 * done, then asks the client (in the worker) to open the channel's next MLS
 * group generation. Shown only to those who may reset (mayResetEncryption).
 */
import { useState } from "react";
import type { MyChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { resetEncryption } from "../client/extras.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { describeResetError } from "./reset-text.ts";

export function ResetEncryptionDialog(props: { channel: MyChannel; onCancel: () => void; onDone: () => void }) {
  const chat = useChat();
  const c = props.channel;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const title = chat.channelTitle(c);
  const name = c.kind === "dm" || c.kind === "group_dm" ? `your conversation with ${title}` : `#${title}`;
  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      await resetEncryption(chat, c.id);
      props.onDone();
    } catch (err) {
      setError(describeResetError(err));
      setBusy(false);
    }
  }
  // While the reset runs the dialog stays (Esc and the backdrop do nothing): its outcome is shown here.
  const cancel = () => {
    if (!busy) props.onCancel();
  };
  return (
    <Modal title="Reset encryption?" onClose={cancel}>
      <p>
        This gives {name} a new encryption group. Use it when the channel's encryption is broken — for example when messages show as "Unable to decrypt" on
        members' devices.
      </p>
      <ul className="reset-facts">
        <li>Everyone's devices leave the old group and join the new one automatically. No one has to do anything.</li>
        <li>Messages already read stay readable on the devices that read them.</li>
        <li>The members stay the same, and so do safety numbers.</li>
        <li>Everyone sees a note in the conversation that you reset its encryption.</li>
      </ul>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="dialog-actions">
        <button type="button" onClick={cancel} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={() => void confirm()} disabled={busy}>
          {busy ? "Resetting…" : "Reset encryption"}
        </button>
      </div>
    </Modal>
  );
}
