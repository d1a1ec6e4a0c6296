/**
 * The channel header's "Pinned" button and its panel: the channel's pins, newest first, each
 * decrypted from this device's history ("Message not available" when it holds no copy);
 * clicking one jumps to the message.
 */
import { useState } from "react";
import type { Pin } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import type { ChatStore } from "../client/chat-store.ts";
import { navigate } from "../router.ts";
import { Icon } from "../components/icon.tsx";
import { Modal } from "../components/dialogs/modal.tsx";
import { usePinBoard } from "./pins.ts";

function pinnedText(chat: ChatStore, pin: Pin): string | undefined {
  const m = chat
    .history(pin.channelId)
    .messages()
    .find((x) => x.seq === pin.seq);
  if (!m || m.deleted || m.decodeError) return undefined;
  return m.text || "(attachment)";
}

export function PinnedButton(props: { channelId: string }) {
  const chat = useChat();
  const board = usePinBoard(chat);
  const [open, setOpen] = useState(false);
  // Retention removed the messages below the channel's floor, and the server their pins.
  const floor = chat.channel(props.channelId)?.retentionFloor ?? 0;
  const pins = (board.pins(props.channelId) ?? []).filter((p) => p.seq >= floor);
  return (
    <>
      <button type="button" className="link" aria-haspopup="dialog" aria-label={`Pinned messages: ${pins.length}`} onClick={() => setOpen(true)}>
        <Icon name="pin" /> {pins.length}
      </button>
      {open ? (
        <Modal title="Pinned messages" onClose={() => setOpen(false)} wide>
          {pins.length === 0 ? <p className="muted">Nothing is pinned in this channel yet. Pin a message from its menu.</p> : null}
          <ul className="pick-list pinned-list">
            {pins.map((p) => {
              const text = pinnedText(chat, p);
              return (
                <li key={p.seq}>
                  <button
                    type="button"
                    className="link pinned-item"
                    aria-label={`Jump to pinned message ${p.seq}`}
                    onClick={() => {
                      setOpen(false);
                      navigate(`/c/${p.channelId}?at=${p.seq}`);
                    }}
                  >
                    {text === undefined ? <span className="muted">Message not available</span> : <span>{text}</span>}
                  </button>
                  <span className="muted">
                    {" "}
                    pinned by {chat.userName(p.pinnedBy)} · {new Date(p.pinnedAt).toLocaleString()}
                  </span>
                </li>
              );
            })}
          </ul>
        </Modal>
      ) : null}
    </>
  );
}
