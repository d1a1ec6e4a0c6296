/**
 * Reminders from a device (issue 13, `/remind`). The server holds a reminder's time and state
 * only (reminder-routes.ts); what it says and the message it points at are sealed into the
 * personal store (kind "reminder", ADR 0009) under the reminder's id, so every device of the
 * user can open it and the server cannot. When a reminder is due the server appends
 * `reminder.due` to the user's stream: each device (one offline at the time, when it next
 * syncs) opens the note and tells the app (`onDue`).
 */
import type { Reminder } from "@parley/protocol";
import { isParleyError } from "./errors.ts";
import type { Api } from "./http.ts";
import type { ClientMessages } from "./client-messages.ts";
import type { PersonalStore, ReminderNote } from "./personal.ts";

/** A reminder with its note opened (`text` undefined when this device cannot open it: the note is missing or the locker is not here). */
export interface ReminderView extends Reminder {
  text: string | undefined;
  target: ReminderNote["target"];
}

/** What to be reminded of, and when. */
export interface NewReminder {
  dueAt: number;
  text: string;
  target?: { channelId: string; seq: number };
}

/** The user's reminders as one device sees them. */
export class Reminders {
  readonly #api: Api;
  readonly #personal: PersonalStore;
  readonly #now: () => number;
  readonly #listeners = new Set<(r: ReminderView) => void>();

  constructor(o: { api: Api; personal: PersonalStore; now?: () => number }) {
    this.#api = o.api;
    this.#personal = o.personal;
    this.#now = o.now ?? Date.now;
  }

  /** Call `fn` with each reminder that falls due (announced by the server). Returns an unsubscribe function. */
  onDue(fn: (r: ReminderView) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Set a reminder: the server row first (it names the id), then the sealed note. When sealing
   * fails (no locker on this device) the row is removed again, so no reminder fires without its text.
   */
  async create(r: NewReminder): Promise<ReminderView> {
    const row = await this.#api.call("createReminder", { body: { dueAt: r.dueAt } });
    const note: ReminderNote = { id: row.id, text: r.text, createdAt: this.#now(), ...(r.target ? { target: r.target } : {}) };
    try {
      await this.#personal.setReminderNote(note);
    } catch (err) {
      await this.#api.call("deleteReminder", { params: { id: row.id } }).catch(() => undefined);
      throw err;
    }
    return { ...row, text: note.text, target: note.target };
  }

  /** The user's reminders (pending and fired, not yet done), soonest first, with their notes opened. */
  async list(state?: Reminder["state"]): Promise<ReminderView[]> {
    const [{ reminders }] = await Promise.all([this.#api.call("listReminders", { query: state ? { state } : {} }), this.#sync()]);
    return Promise.all(reminders.map((r) => this.#view(r)));
  }

  /** Move a reminder to `dueAt` (pending again). */
  async snooze(id: string, dueAt: number): Promise<ReminderView> {
    return this.#view(await this.#api.call("updateReminder", { params: { id }, body: { dueAt } }));
  }

  /** Cancel a pending reminder or dismiss a fired one, with its sealed note (an unknown one is already gone). */
  async dismiss(id: string): Promise<void> {
    try {
      await this.#api.call("deleteReminder", { params: { id } });
    } catch (err) {
      if (!isParleyError(err) || err.code !== "not_found") throw err;
    }
    await this.#personal.deleteReminderNote(id);
  }

  /** A `reminder.due` stream item arrived: open its note and tell the listeners. */
  async due(data: Record<string, unknown>): Promise<ReminderView | undefined> {
    const id = typeof data.reminderId === "string" ? data.reminderId : undefined;
    if (!id) return undefined;
    await this.#sync();
    const dueAt = typeof data.dueAt === "number" ? data.dueAt : this.#now();
    const view = await this.#view({ id, dueAt, state: "fired", createdAt: dueAt, firedAt: this.#now() });
    for (const fn of this.#listeners) fn(view);
    return view;
  }

  /** Pull the notes; a device without the locker lists the reminders without their text. */
  async #sync(): Promise<void> {
    try {
      await this.#personal.sync();
    } catch (err) {
      if (!isParleyError(err, "locker_unavailable")) throw err;
    }
  }

  async #view(r: Reminder): Promise<ReminderView> {
    const note = await this.#personal.reminderNote(r.id).catch(() => undefined);
    return { ...r, text: note?.text, target: note?.target };
  }
}

/** A client's reminders: its personal store, and `reminder.due` items of its user stream. */
export function remindersOf(client: ClientMessages, personal: PersonalStore): Reminders {
  const reminders = new Reminders({ api: client.api, personal });
  client.on("user", (item) => {
    if (item.kind === "reminder.due") reminders.due(item.data).catch((err: unknown) => client.emit("error", err));
  });
  return reminders;
}
