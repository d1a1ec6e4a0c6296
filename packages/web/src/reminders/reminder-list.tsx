/**
 * Reminders in the inbox (issue 13, `/remind`): the fired ones first (Snooze, Done), then the
 * pending ones (Cancel). The server knows only when each is due; the text is opened on this device.
 */
import { useEffect, useState } from "react";
import "./reminders.css";
import type { ReminderView } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { navigate } from "../router.ts";
import { useReminders, type ReminderShelf } from "./reminder-shelf.ts";
import { dueLabel, quickTime } from "./reminder-times.ts";

/** One reminder: its text (and the message it is about), when, and what can be done with it. */
export function ReminderRow(props: { r: ReminderView; shelf: ReminderShelf; onError: (m: string) => void }) {
  const chat = useChat();
  const { r, shelf } = props;
  const act = (p: Promise<void>) => void p.catch((err: unknown) => props.onError(describeError(err)));
  const path = r.target ? `/c/${encodeURIComponent(r.target.channelId)}?at=${r.target.seq}` : undefined;
  return (
    <li className={r.state === "fired" ? "reminder fired" : "reminder"}>
      <span className="reminder-body">
        <span className="hit-text">{r.text ?? <span className="muted">reminder not available on this device</span>}</span>
        <span className="muted">
          {r.state === "fired" ? "was due " : "due "}
          <time dateTime={new Date(r.dueAt).toISOString()}>{dueLabel(r.dueAt)}</time>
          {path ? (
            <>
              {" · "}
              <a
                href={path}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(path);
                }}
              >
                open the message
              </a>
            </>
          ) : null}
        </span>
      </span>
      {r.state === "fired" ? (
        <>
          <button type="button" onClick={() => act(shelf.snooze(r.id, quickTime("in 1 hour", chat.timeZone)))}>
            Snooze 1 hour
          </button>
          <button type="button" onClick={() => act(shelf.dismiss(r.id))}>
            Done
          </button>
        </>
      ) : (
        <button type="button" onClick={() => act(shelf.dismiss(r.id))}>
          Cancel
        </button>
      )}
    </li>
  );
}

export function RemindersList() {
  const chat = useChat();
  const shelf = useReminders(chat);
  const [error, setError] = useState<string>();
  // Opening the list syncs with the server and the user's other devices.
  useEffect(() => void shelf.reload(), [shelf]);
  const list = shelf.list();
  if (shelf.error && !list) return <p className="notice">The reminders could not be loaded: {shelf.error}</p>;
  if (!list) return <p className="muted">Loading…</p>;
  return (
    <div className="reminders">
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {!list.length ? <p className="empty-results muted">No reminders. Type /remind me in 20 minutes … in any channel, or use ⏰ on a message.</p> : null}
      {(
        [
          ["fired", "Due", "Due reminders"],
          ["pending", "Upcoming", "Pending reminders"],
        ] as const
      ).map(([state, title, label]) => {
        const rows = list.filter((r) => r.state === state);
        return rows.length ? (
          <section key={state} aria-label={label}>
            <h2>{title}</h2>
            <ol className="reminder-list">
              {rows.map((r) => (
                <ReminderRow key={r.id} r={r} shelf={shelf} onError={setError} />
              ))}
            </ol>
          </section>
        ) : null;
      })}
    </div>
  );
}
