/**
 * The user's saved messages, drafts and recently used emoji on the page (issue 13, ADR 0009).
 * The worker seals and opens them under the key locker and syncs them with the user's other
 * devices; this shelf mirrors its answers, reloads when the server announces a change
 * ("personal.items" on the user stream), and re-renders its readers. On a device without the
 * locker key nothing is synced: drafts and emoji use stay on this device (in memory and
 * localStorage respectively).
 */
import { useSyncExternalStore } from "react";
import type { UserStreamItem } from "@parley/protocol";
import type { Draft, SavedMessage } from "@parley/sdk";
import type { ChatStore } from "../client/chat-store.ts";
import type { PersonalSnapshot } from "../worker/protocol.ts";
import { mergeUsage, parseUsage, recordUse, type EmojiUsage } from "../emoji/emoji-usage.ts";

const USAGE_SETTING = "emoji.usage";
const USAGE_STORAGE = "parley.emoji.usage";

const draftKey = (channelId: string, threadRoot: number | null) => `${channelId}/${threadRoot ?? ""}`;

export class PersonalShelf {
  readonly #chat: ChatStore;
  readonly #listeners = new Set<() => void>();
  #version = 0;
  #available = false;
  #loaded = false;
  #saved: SavedMessage[] = [];
  /** Drafts by channel/thread: the synced ones, and this device's unsynced ones. */
  #drafts = new Map<string, Draft>();
  #usage: EmojiUsage;
  #loading: Promise<void> | undefined;

  constructor(chat: ChatStore) {
    this.#chat = chat;
    this.#usage = readLocalUsage();
    chat.client.on("user", (item: UserStreamItem) => {
      if (item.kind === "personal.items") void this.reload();
    });
  }

  /** Whether saved messages and drafts sync (this device holds the key locker); false until the first load answers. */
  get available(): boolean {
    return this.#available;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** Saved messages, newest first (the first call loads them). */
  saved(): SavedMessage[] {
    if (!this.#loaded) void this.reload();
    return this.#saved;
  }

  isSaved(channelId: string, seq: number): boolean {
    return this.saved().some((s) => s.channelId === channelId && s.seq === seq);
  }

  /** The draft of a channel or thread, as last synced (or typed here). */
  draft(channelId: string, threadRoot: number | null): Draft | undefined {
    if (!this.#loaded) void this.reload();
    return this.#drafts.get(draftKey(channelId, threadRoot));
  }

  /** This user's emoji use (synced when available, merged with this device's). */
  usage(): EmojiUsage {
    if (!this.#loaded) void this.reload();
    return this.#usage;
  }

  /** Sync with the worker's store (one at a time; a later call waits for the running one). */
  reload(): Promise<void> {
    this.#loading ??= this.#apply(() => this.#chat.client.personal("snapshot")).finally(() => (this.#loading = undefined));
    return this.#loading;
  }

  async save(m: { channelId: string; seq: number; senderId?: string; text?: string }): Promise<void> {
    await this.#apply(() => this.#chat.client.personal("save", m));
  }

  async unsave(channelId: string, seq: number): Promise<void> {
    await this.#apply(() => this.#chat.client.personal("unsave", channelId, seq));
  }

  /** Keep the channel's (or thread's) draft; empty text drops it. Kept here at once, synced when available. */
  async setDraft(channelId: string, text: string, threadRoot: number | null): Promise<void> {
    const key = draftKey(channelId, threadRoot);
    const had = this.#drafts.get(key);
    if (text.trim() === "" ? !had : had?.text === text) return;
    if (text.trim() === "") this.#drafts.delete(key);
    else this.#drafts.set(key, { channelId, threadRoot, text, updatedAt: Date.now() });
    this.#changed();
    if (this.#available) await this.#apply(() => this.#chat.client.personal("setDraft", channelId, text, threadRoot));
  }

  /** One more use of `emoji` (a character or `:shortcode:`): kept here, and synced when available. */
  recordEmoji(emoji: string): void {
    this.#usage = recordUse(this.#usage, emoji, Date.now());
    writeLocalUsage(this.#usage);
    this.#changed();
    if (this.#available) void this.#apply(() => this.#chat.client.personal("setSetting", USAGE_SETTING, this.#usage)).catch(() => undefined);
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  version = (): number => this.#version;

  async #apply(action: () => Promise<PersonalSnapshot | undefined>): Promise<void> {
    const snap = await action();
    this.#loaded = true;
    if (!snap) return this.#changed();
    this.#available = snap.available;
    if (snap.available) {
      this.#saved = snap.saved;
      // Synced drafts replace the local ones of the same channel; a channel without a synced draft keeps none.
      this.#drafts = new Map(snap.drafts.map((d) => [draftKey(d.channelId, d.threadRoot), d]));
      this.#usage = mergeUsage(this.#usage, parseUsage(snap.settings[USAGE_SETTING]));
      writeLocalUsage(this.#usage);
    }
    this.#changed();
  }

  #changed(): void {
    this.#version++;
    for (const fn of this.#listeners) fn();
  }
}

function readLocalUsage(): EmojiUsage {
  try {
    return parseUsage(JSON.parse(localStorage.getItem(USAGE_STORAGE) ?? "null"));
  } catch {
    return {};
  }
}

function writeLocalUsage(u: EmojiUsage): void {
  try {
    localStorage.setItem(USAGE_STORAGE, JSON.stringify(u));
  } catch {
    // Storage full or blocked: the use is still counted for this session.
  }
}

const shelves = new WeakMap<ChatStore, PersonalShelf>();

/** The store's shelf (made on first use). */
export function personalShelf(chat: ChatStore): PersonalShelf {
  let shelf = shelves.get(chat);
  if (!shelf) shelves.set(chat, (shelf = new PersonalShelf(chat)));
  return shelf;
}

/** The shelf, re-rendering the caller when it changes. */
export function usePersonalShelf(chat: ChatStore): PersonalShelf {
  const shelf = personalShelf(chat);
  useSyncExternalStore(shelf.subscribe, shelf.version);
  return shelf;
}
