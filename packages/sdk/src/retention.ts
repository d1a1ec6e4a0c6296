/**
 * Retention floors on the device (issue 11, docs/compliance.md): the org's retention policy
 * removes a channel's events older than its period on the server, and the channel's
 * `retentionFloor` says where what is left starts. When a client learns that a floor moved up —
 * from the channel list, or a `channel.joined` / `channel.updated` item of the user stream (a
 * device offline during the run gets the item on reconnect) — it deletes its own copies below
 * it: stored events and their sealed decrypted content, and what the E2EE engine holds in
 * memory; then it emits `channel.purged`, on which apps drop them from their views and the
 * search index its entries.
 */
import type { Channel, Event, UserStreamItem } from "@parley/protocol";
import type { LocalStore } from "./store.ts";

/** This device deleted its copies of a channel's events below `floor` (its retention floor moved up). */
export interface PurgeNotice {
  channelId: string;
  floor: number;
}

/** What {@link RetentionFloors} acts on. */
interface RetentionHost {
  store: LocalStore;
  /** A channel's floor is known (every time, not only when it moves): the sync engine skips the holes below it. */
  floorKnown(channelId: string, floor: number): void;
  /** Drop in-memory copies of the channel's events below the floor. */
  forget(channelId: string, floor: number): void;
  purged(notice: PurgeNotice): void;
  /** Resolves once everything received was processed (the client's idle()). */
  idle(): Promise<void>;
  onError(err: unknown): void;
}

/** Event kinds retention removes (MLS handshakes and encryption resets stay on the server). */
const CONTENT_KINDS: ReadonlySet<string> = new Set(["message", "reaction", "edit", "delete", "keys"]);

type WithFloor = Pick<Channel, "id"> & { retentionFloor?: number | undefined };

/** The retention floor of each channel as this device last applied it. */
export class RetentionFloors {
  readonly #host: RetentionHost;
  readonly #floors = new Map<string, number>();

  constructor(host: RetentionHost) {
    this.#host = host;
  }

  /** Take the floors of the stored channel list as applied: it is saved only after its floors were purged ({@link note}). */
  async load(): Promise<void> {
    for (const c of await this.#host.store.loadChannels()) {
      const floor = c.retentionFloor ?? 0;
      if (floor <= 0) continue;
      this.#floors.set(c.id, floor);
      this.#host.floorKnown(c.id, floor);
    }
  }

  /** A channel's floor as last applied (0: nothing removed). */
  floor(channelId: string): number {
    return this.#floors.get(channelId) ?? 0;
  }

  /** Every channel with a floor above 0. */
  all(): ReadonlyMap<string, number> {
    return this.#floors;
  }

  /**
   * Whether the event is one retention removed: content below its channel's floor, fetched before
   * the run and processed after this device purged. It is not shown, and once everything received
   * was processed, what was stored of it goes again.
   */
  removed(e: Pick<Event, "channelId" | "seq" | "kind">): boolean {
    const floor = this.floor(e.channelId);
    if (e.seq >= floor || !CONTENT_KINDS.has(e.kind)) return false;
    void this.#host
      .idle()
      .then(() => this.#host.store.purgeBelow(e.channelId, floor))
      .catch((err: unknown) => this.#host.onError(err));
    return true;
  }

  /** Note these channels' floors; where one moved up, delete this device's copies below it. */
  async note(channels: readonly WithFloor[]): Promise<void> {
    for (const c of channels) {
      const floor = c.retentionFloor ?? 0;
      if (floor <= 0) continue;
      this.#host.floorKnown(c.id, floor);
      if (floor <= this.floor(c.id)) continue;
      await this.#host.store.purgeBelow(c.id, floor);
      this.#host.forget(c.id, floor);
      this.#floors.set(c.id, Math.max(floor, this.floor(c.id)));
      this.#host.purged({ channelId: c.id, floor });
    }
  }

  /** Note the floor a `channel.joined` or `channel.updated` item carries. */
  async noteItem(item: UserStreamItem): Promise<void> {
    if ((item.kind !== "channel.joined" && item.kind !== "channel.updated") || !item.channelId) return;
    const channel = (item.data as { channel?: WithFloor } | undefined)?.channel;
    if (channel?.id === item.channelId) await this.note([channel]);
  }
}
