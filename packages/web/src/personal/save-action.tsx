/** The message menu's save / unsave button: saved messages are private to the user and synced across their devices, sealed (ADR 0009). */
import { useChat } from "../client/use-chat.ts";
import { MenuToggle } from "../components/menu-toggle.tsx";
import { usePersonalShelf } from "./shelf.ts";

const NO_LOCKER = "Saving needs this device's key locker: restore it with your recovery key or approve this device.";

export function SaveAction(props: { channelId: string; seq: number; senderId: string; text: string | undefined }) {
  const chat = useChat();
  const shelf = usePersonalShelf(chat);
  const saved = shelf.isSaved(props.channelId, props.seq);
  return (
    <MenuToggle
      on={saved}
      labels={["Save message", "Remove from saved"]}
      titles={["Save for later (only you see it)", "Remove from Saved"]}
      icon={<span aria-hidden="true">{saved ? "★" : "☆"}</span>}
      toggle={async (next) => {
        if (next) await shelf.save({ channelId: props.channelId, seq: props.seq, senderId: props.senderId, ...(props.text ? { text: props.text } : {}) });
        else await shelf.unsave(props.channelId, props.seq);
        if (!shelf.available) return NO_LOCKER;
      }}
    />
  );
}
