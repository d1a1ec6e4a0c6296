/**
 * The user's reminders on the page (issue 13, `/remind`): the worker opens their sealed notes;
 * this shelf mirrors its list, reloads when the server announces a change (a reminder fell due:
 * "reminder.due"; a note changed on another device: "personal.items" of kind "reminder"), and
 * keeps the reminders that fell due while this tab was open, for the banner, with a desktop
 * notification when the tab is in the background and notifications are allowed.
 */
import { useSyncExternalStore } from "react";
import type { UserStreamItem } from "@parley/protocol";
import type { NewReminder, ReminderView } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";
import { describeError } from "../client/session.ts";

export class ReminderShelf {
  readonly #chat: ChatStore;
  readonly #listeners = new Set<() => void>();
  #version = 0;
  #list: ReminderView[] | undefined;
  #error: string | undefined;
  /** Reminders that fell due while this tab was open, not yet snoozed or done here. */
  #alerts: ReminderView[] = [];
  #loading: Promise<void> | undefined;

  constructor(chat: ChatStore) {
    this.#chat = chat;
    chat.client.on("user", (item: UserStreamItem) => {
      if (item.kind === "reminder.due") void this.#fell(String(item.data.reminderId));
      else if (item.kind === "personal.items" && item.data.kind === "reminder") void this.reload();
    });
  }

  /** Pending and fired reminders, soonest first (undefined until the first load answers; the first call loads them). */
  list(): ReminderView[] | undefined {
    if (!this.#list && !this.#loading) void this.reload();
    return this.#list;
  }

  get error(): string | undefined {
    return this.#error;
  }

  alerts(): ReminderView[] {
    return this.#alerts;
  }

  reload(): Promise<void> {
    this.#loading ??= this.#chat.client
      .reminders("list")
      .then(
        (list) => {
          this.#list = list;
          this.#error = undefined;
        },
        (err: unknown) => {
          this.#error = describeError(err);
        },
      )
      .finally(() => {
        this.#loading = undefined;
        this.#changed();
      });
    return this.#loading;
  }

  async create(r: NewReminder): Promise<ReminderView> {
    const made = await this.#chat.client.reminders("create", r);
    await this.reload();
    return made;
  }

  async snooze(id: string, dueAt: number): Promise<void> {
    await this.#chat.client.reminders("snooze", id, dueAt);
    this.#dropAlert(id);
    await this.reload();
  }

  async dismiss(id: string): Promise<void> {
    await this.#chat.client.reminders("dismiss", id);
    this.#dropAlert(id);
    await this.reload();
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  version = (): number => this.#version;

  async #fell(id: string): Promise<void> {
    await this.reload();
    const r = this.#list?.find((x) => x.id === id && x.state === "fired");
    if (!r) return; // dismissed or snoozed meanwhile (on another device)
    this.#alerts = [...this.#alerts.filter((a) => a.id !== id), r];
    this.#changed();
    void notify(r);
  }

  #dropAlert(id: string): void {
    this.#alerts = this.#alerts.filter((a) => a.id !== id);
  }

  #changed(): void {
    this.#version++;
    for (const fn of this.#listeners) fn();
  }
}

/** A desktop notification for a reminder, when the tab is out of sight and the user allowed them. */
async function notify(r: ReminderView): Promise<void> {
  if (document.visibilityState === "visible" && document.hasFocus()) return; // the banner shows it
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const options: NotificationOptions = { body: r.text ?? "A reminder (open Parley to read it)", tag: `reminder:${r.id}`, icon: "/icons/icon-192.png" };
  try {
    const reg = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
    if (reg) await reg.showNotification("Reminder", options);
    else new Notification("Reminder", options);
  } catch {
    // Blocked at the OS level: the banner and the inbox still show it.
  }
}

const shelves = new WeakMap<ChatStore, ReminderShelf>();

/** The store's reminder shelf (made on first use). */
export function reminderShelf(chat: ChatStore): ReminderShelf {
  let shelf = shelves.get(chat);
  if (!shelf) shelves.set(chat, (shelf = new ReminderShelf(chat)));
  return shelf;
}

/** The shelf, re-rendering the caller when it changes. */
export function useReminders(chat: ChatStore): ReminderShelf {
  const shelf = reminderShelf(chat);
  useSyncExternalStore(shelf.subscribe, shelf.version);
  return shelf;
}
