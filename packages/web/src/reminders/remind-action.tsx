/** The message menu's "Remind me" (issue 13): a reminder about this message at a quick time; its text and target sealed like `/remind`. */
import { useState } from "react";
import { SAVED_PREVIEW_CHARS } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { reminderShelf } from "./reminder-shelf.ts";
import { QUICK_TIMES, dueLabel, quickTime } from "./reminder-times.ts";

export function RemindAction(props: { channelId: string; seq: number; senderId: string; text: string | undefined }) {
  const chat = useChat();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string }>();
  const pick = (words: string) => {
    setOpen(false);
    const who = chat.userName(props.senderId);
    const text = props.text ? `${who}: ${props.text.slice(0, SAVED_PREVIEW_CHARS)}` : `A message from ${who}`;
    void reminderShelf(chat)
      .create({ dueAt: quickTime(words, chat.timeZone), text, target: { channelId: props.channelId, seq: props.seq } })
      .then(
        (r) => setNote({ ok: true, text: `Reminder set for ${dueLabel(r.dueAt)}` }),
        (err: unknown) => setNote({ ok: false, text: describeError(err) }),
      );
  };
  return (
    <span className="remind-action">
      <button
        type="button"
        className="icon"
        aria-label="Remind me"
        aria-expanded={open}
        title="Remind me about this message"
        onClick={() => (setNote(undefined), setOpen(!open))}
      >
        <span aria-hidden="true">⏰</span>
      </button>
      {open ? (
        <span className="remind-menu" role="menu" aria-label="Remind me">
          {QUICK_TIMES.map(([label, words]) => (
            <button key={words} type="button" role="menuitem" onClick={() => pick(words)}>
              {label}
            </button>
          ))}
        </span>
      ) : null}
      {note ? (
        <span className={note.ok ? "muted" : "form-error"} role={note.ok ? "status" : "alert"}>
          {note.text}
        </span>
      ) : null}
    </span>
  );
}
