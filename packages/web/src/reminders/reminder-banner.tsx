/** Reminders that fell due while the app was open, above the page until snoozed or done (issue 13). */
import { useState } from "react";
import "./reminders.css";
import { useChat } from "../client/use-chat.ts";
import { useReminders } from "./reminder-shelf.ts";
import { ReminderRow } from "./reminder-list.tsx";

export function ReminderBanner() {
  const chat = useChat();
  const shelf = useReminders(chat);
  const [error, setError] = useState<string>();
  const alerts = shelf.alerts();
  if (!alerts.length) return null;
  return (
    <section className="reminder-banner" role="status" aria-label="Reminders">
      <strong>⏰ Reminder</strong>
      <ol className="reminder-list">
        {alerts.map((r) => (
          <ReminderRow key={r.id} r={r} shelf={shelf} onError={setError} />
        ))}
      </ol>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
