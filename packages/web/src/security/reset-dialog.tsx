/**
 * "Reset encryption?": says in plain words what a reset does before it is
 * done, then asks the client (in the worker) to open the channel's next MLS
 * group generation. Shown only to those who may reset (mayResetEncryption).
 */
import type { MyChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { resetEncryption } from "../client/extras.ts";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeResetError } from "./reset-text.ts";

export function ResetEncryptionDialog(props: { channel: MyChannel; onCancel: () => void; onDone: () => void }) {
  const chat = useChat();
  const c = props.channel;
  const title = chat.channelTitle(c);
  const name = c.kind === "dm" || c.kind === "group_dm" ? `your conversation with ${title}` : `#${title}`;
  return (
    <ConfirmDialog
      title="Reset encryption?"
      confirmLabel="Reset encryption"
      busyLabel="Resetting…"
      onConfirm={async () => {
        await resetEncryption(chat, c.id);
        props.onDone();
      }}
      describe={describeResetError}
      onClose={props.onCancel}
    >
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
    </ConfirmDialog>
  );
}
