/**
 * A channel's pinned messages as this device knows them: loaded with listPins when a channel
 * first asks, then kept current from the "channel.pins" items of the user stream. The server
 * holds references (seq, who, when) only: the text comes from the local, decrypted history.
 */
import { useSyncExternalStore } from "react";
import type { Pin, UserStreamItem } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

/** The pins of the channels this session looked at; one board per signed-in store. */
export class PinBoard {
  readonly #chat: ChatStore;
  readonly #pins = new Map<string, Pin[]>();
  readonly #loading = new Set<string>();
  readonly #listeners = new Set<() => void>();
  #version = 0;

  constructor(chat: ChatStore) {
    this.#chat = chat;
    chat.client.on("user", (item) => this.#onItem(item));
  }

  /** The channel's pins, newest first; undefined until loaded (the first call loads them). */
  pins(channelId: string): Pin[] | undefined {
    if (!this.#pins.has(channelId)) void this.reload(channelId);
    return this.#pins.get(channelId);
  }

  isPinned(channelId: string, seq: number): boolean {
    return this.pins(channelId)?.some((p) => p.seq === seq) ?? false;
  }

  async reload(channelId: string): Promise<void> {
    if (this.#loading.has(channelId)) return;
    this.#loading.add(channelId);
    try {
      const { pins } = await this.#chat.client.api.call("listPins", { params: { channelId } });
      this.#set(channelId, pins);
    } catch {
      // Not readable (left, deleted): show none; a later item or reopen tries again.
      this.#set(channelId, []);
    } finally {
      this.#loading.delete(channelId);
    }
  }

  /** Pin or unpin; the list follows the server's answer (and the stream item that comes after it). */
  async setPinned(channelId: string, seq: number, pinned: boolean): Promise<void> {
    const api = this.#chat.client.api;
    if (pinned) {
      const pin = await api.call("pinMessage", { params: { channelId, seq } });
      this.#apply(channelId, pin, true);
    } else {
      await api.call("unpinMessage", { params: { channelId, seq } });
      this.#apply(channelId, { channelId, seq, pinnedBy: this.#chat.me.id, pinnedAt: Date.now() }, false);
    }
  }

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  version = (): number => this.#version;

  #onItem(item: UserStreamItem): void {
    if (!item.channelId) return;
    if (item.kind === "channel.deleted" || item.kind === "channel.left") {
      if (this.#pins.delete(item.channelId)) this.#changed();
      return;
    }
    if (item.kind !== "channel.pins" || !this.#pins.has(item.channelId)) return;
    const d = item.data as { seq?: unknown; pinned?: unknown; by?: unknown; at?: unknown };
    if (typeof d.seq !== "number" || typeof d.pinned !== "boolean" || typeof d.by !== "string" || typeof d.at !== "number") return;
    this.#apply(item.channelId, { channelId: item.channelId, seq: d.seq, pinnedBy: d.by, pinnedAt: d.at }, d.pinned);
  }

  #apply(channelId: string, pin: Pin, pinned: boolean): void {
    const rest = (this.#pins.get(channelId) ?? []).filter((p) => p.seq !== pin.seq);
    this.#set(channelId, pinned ? [pin, ...rest].sort((a, b) => b.pinnedAt - a.pinnedAt || b.seq - a.seq) : rest);
  }

  #set(channelId: string, pins: Pin[]): void {
    this.#pins.set(channelId, pins);
    this.#changed();
  }

  #changed(): void {
    this.#version++;
    for (const fn of this.#listeners) fn();
  }
}

const boards = new WeakMap<ChatStore, PinBoard>();

/** The store's pin board (made on first use). */
function pinBoard(chat: ChatStore): PinBoard {
  let board = boards.get(chat);
  if (!board) boards.set(chat, (board = new PinBoard(chat)));
  return board;
}

/** The board, re-rendering the caller when pins change. */
export function usePinBoard(chat: ChatStore): PinBoard {
  const board = pinBoard(chat);
  useSyncExternalStore(board.subscribe, board.version);
  return board;
}
