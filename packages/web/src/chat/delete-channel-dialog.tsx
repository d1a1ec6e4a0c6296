/**
 * Delete a channel for good (channel admins and org admins): the dialog says what goes and
 * asks for the channel's name before the red button works. A legal hold's refusal shows in it.
 */
import { useState } from "react";
import type { Channel } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";

/** Whether the user may delete `c`: its channel admins and org admins, never a DM. */
export function mayDeleteChannel(chat: ChatStore, c: Pick<Channel, "kind"> & { myRole?: string | null | undefined }): boolean {
  if (c.kind === "dm" || c.kind === "group_dm") return false;
  return c.myRole === "admin" || chat.can("channel.manage_any");
}

export function DeleteChannelDialog(props: { chat: ChatStore; channel: Pick<Channel, "id" | "name">; onDeleted: () => void; onClose: () => void }) {
  const [typed, setTyped] = useState("");
  const matches = typed.trim() === props.channel.name;
  return (
    <ConfirmDialog
      title={`Delete #${props.channel.name}?`}
      confirmLabel="Delete channel"
      busyLabel="Deleting…"
      onClose={props.onClose}
      onConfirm={async () => {
        if (!matches) throw new Error(`type the channel's name, ${props.channel.name}, to confirm`);
        await props.chat.client.api.call("deleteChannel", { params: { channelId: props.channel.id } });
        await props.chat.refreshChannels();
        props.onDeleted();
      }}
    >
      <p>
        This deletes the channel for everyone, for good: every message, file and pin in it, and its members&apos; access. It cannot be undone. A legal hold on
        the channel or its members prevents it.
      </p>
      <label>
        Type <strong>{props.channel.name}</strong> to confirm
        <input type="text" aria-label="Channel name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus />
      </label>
    </ConfirmDialog>
  );
}
