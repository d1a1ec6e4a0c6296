/**
 * "Jump to first unread" in a channel: shown when the channel had unread messages as it was
 * opened (or was marked unread); the first unread is the first message after the read receipt.
 */
import { useState } from "react";
import "./inbox.css";
import { useChat } from "../client/use-chat.ts";
import { navigate } from "../router.ts";
import { Icon } from "../components/icon.tsx";

export function FirstUnreadBar(props: { channelId: string }) {
  const chat = useChat();
  const [dismissed, setDismissed] = useState<number>();
  const { channelId } = props;
  const from = chat.firstUnread.get(channelId);
  if (from === undefined || from === dismissed) return null;
  const jump = async () => {
    await chat.loadUntil(channelId, from);
    // The receipt may sit before a reaction or an own message: the first later message is shown.
    const first = chat
      .history(channelId)
      .messages()
      .find((m) => m.seq >= from);
    chat.firstUnread.delete(channelId);
    setDismissed(from);
    navigate(`/c/${channelId}?at=${first?.seq ?? from}`);
  };
  return (
    <div className="first-unread-bar notice" role="status">
      <span>New messages since you last read this channel</span>
      <button type="button" onClick={() => void jump()}>
        <Icon name="up" /> Jump to first unread
      </button>
      <button
        type="button"
        className="icon"
        aria-label="Dismiss"
        onClick={() => {
          chat.firstUnread.delete(channelId);
          setDismissed(from);
        }}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
