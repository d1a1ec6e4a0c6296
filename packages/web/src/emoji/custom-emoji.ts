/**
 * The org's custom emoji on the page: the list (GET /emoji, loaded once per session, after an
 * upload or delete here, and live when an admin changes it anywhere: the `emoji` frame; again
 * after a reconnect, which may have missed one) and each image as an object URL, fetched by the worker with the
 * session (an <img> cannot send the bearer token). Custom emoji are org assets, not end-to-end
 * encrypted; a message carries only `:shortcode:` inside its ciphertext.
 */
import { useSyncExternalStore } from "react";
import type { CustomEmoji } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

export class CustomEmojiSet {
  readonly #chat: ChatStore;
  readonly #listeners = new Set<() => void>();
  #version = 0;
  #list: CustomEmoji[] | undefined;
  #loading: Promise<void> | undefined;
  /** Object URLs by "name@version" (a replaced image gets a new one). */
  readonly #urls = new Map<string, string | null>();

  constructor(chat: ChatStore) {
    this.#chat = chat;
    // Listens as long as the client runs (one set per store); a set never listed yet has nothing to update.
    chat.client.on("emoji", (n) => {
      if (this.#list === undefined) return;
      this.#list = [...this.#list.filter((e) => e.name !== n.name), ...(n.emoji ? [n.emoji] : [])].sort((a, b) => (a.name < b.name ? -1 : 1));
      this.#changed();
    });
    chat.client.on("connection", (c) => {
      if (c.state === "live" && c.previous !== "live" && this.#list !== undefined) void this.reload();
    });
  }

  /** The org's custom emoji by shortcode (empty until loaded; the first call loads them). */
  list(): CustomEmoji[] {
    if (this.#list === undefined) void this.reload();
    return this.#list ?? [];
  }

  byName(name: string): CustomEmoji | undefined {
    return this.list().find((e) => e.name === name);
  }

  reload(): Promise<void> {
    this.#loading ??= this.#chat.client.api
      .call("listCustomEmoji")
      .then(
        (r) => {
          this.#list = r?.emoji ?? [];
        },
        () => {
          this.#list = [];
        },
      )
      .finally(() => {
        this.#loading = undefined;
        this.#changed();
      });
    return this.#loading;
  }

  /** The image URL of a custom emoji, undefined while it loads (re-renders when it arrives), null when missing. */
  url(e: CustomEmoji): string | null | undefined {
    const key = `${e.name}@${e.version}`;
    if (!this.#urls.has(key)) {
      this.#urls.set(key, undefined as unknown as null);
      void this.#chat.client.emojiImage(e.name).then(
        (img) => {
          this.#urls.set(key, img ? URL.createObjectURL(new Blob([img.bytes as Uint8Array<ArrayBuffer>], { type: img.type })) : null);
          this.#changed();
        },
        () => {
          this.#urls.set(key, null);
          this.#changed();
        },
      );
    }
    return this.#urls.get(key) ?? undefined;
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  version = (): number => this.#version;

  #changed(): void {
    this.#version++;
    for (const fn of this.#listeners) fn();
  }
}

const sets = new WeakMap<ChatStore, CustomEmojiSet>();

/** The store's custom emoji (made on first use). */
function customEmojiSet(chat: ChatStore): CustomEmojiSet {
  let set = sets.get(chat);
  if (!set) sets.set(chat, (set = new CustomEmojiSet(chat)));
  return set;
}

/** The custom emoji, re-rendering the caller when the list or an image arrives. */
export function useCustomEmoji(chat: ChatStore): CustomEmojiSet {
  const set = customEmojiSet(chat);
  useSyncExternalStore(set.subscribe, set.version);
  return set;
}
