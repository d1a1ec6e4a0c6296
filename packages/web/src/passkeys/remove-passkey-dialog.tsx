/**
 * "Remove passkey?": says what changes (it no longer signs in or serves as the second factor;
 * the device or password manager keeps its copy until the user deletes it there), then removes
 * it. The server refuses to remove the last second factor while the organisation requires one:
 * the dialog then says what to add first.
 */
import type { Passkey } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describePasskeyError } from "./passkey-errors.ts";

export function RemovePasskeyDialog(props: { passkey: Passkey; onRemoved: () => void; onClose: () => void }) {
  const chat = useChat();
  const p = props.passkey;

  return (
    <ConfirmDialog
      title="Remove passkey?"
      confirmLabel="Remove passkey"
      busyLabel="Removing…"
      onConfirm={async () => {
        await chat.client.api.call("deletePasskey", { params: { id: p.id } });
        props.onRemoved();
      }}
      describe={(err) => describePasskeyError(err, "remove")}
      onClose={props.onClose}
    >
      <p>
        <strong>{p.name}</strong> will no longer sign you in to Parley or serve as your second factor.
      </p>
      <p className="muted small">
        Your device or password manager keeps its copy until you delete it there. Sign in with your password, or with another passkey, from now on.
      </p>
    </ConfirmDialog>
  );
}
