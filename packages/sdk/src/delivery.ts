/**
 * A client's receiving side, from the sync engine to the app: channel events and user-stream
 * items are stored and handed to the listeners in one chain, so persistence and listeners see
 * them in the order the engine released them. With E2EE the engine decrypts in order (possibly
 * waiting for a Welcome or commit) and hands each event back through {@link Delivery.emitEvent}.
 */
import type { Event, UserStreamItem } from "@parley/protocol";
import { decodeContent, type ContentCodec, type DecodedContent } from "./codec.ts";
import { MEMBERSHIP_KINDS, toReceivedEvent, type ClientEvents } from "./client-events.ts";
import type { E2eeEngine } from "./e2ee/engine.ts";
import type { Emitter } from "./emitter.ts";
import type { HistoryPolicies } from "./history-policies.ts";
import type { RetentionFloors } from "./retention.ts";
import type { LocalStore } from "./store.ts";
import type { SyncEngine } from "./sync.ts";

export interface DeliveryDeps {
  store: LocalStore;
  /** Where events and items go (and errors of a delivery). */
  emitter: Emitter<ClientEvents>;
  codec(): ContentCodec;
  /** The E2EE engine (undefined with a test codec). */
  e2ee(): E2eeEngine | undefined;
  sync: SyncEngine;
  retention: RetentionFloors;
  policies: HistoryPolicies;
  userId(): string;
}

export class Delivery {
  readonly #d: DeliveryDeps;
  #chain: Promise<void> = Promise.resolve();

  constructor(deps: DeliveryDeps) {
    this.#d = deps;
  }

  /** Settles once every job enqueued so far has run. */
  get drained(): Promise<void> {
    return this.#chain;
  }

  enqueue(job: () => Promise<void>): void {
    // One chain for all deliveries: persistence and listeners see events in the order the engine released them.
    this.#chain = this.#chain.then(job).catch((err: unknown) => this.#d.emitter.emit("error", err));
  }

  /** Channel events from the sync engine (in order, without holes): stored, then decoded and emitted. */
  events(channelId: string, events: Event[]): void {
    this.enqueue(() => this.#deliverEvents(channelId, events));
  }

  /** User-stream items from the sync engine. */
  userItems(items: UserStreamItem[]): void {
    this.enqueue(() => this.#deliverUserItems(items));
  }

  async #deliverEvents(channelId: string, events: Event[]): Promise<void> {
    const { store } = this.#d;
    await store.appendEvents(channelId, events);
    await store.setChannelCursor(channelId, events[events.length - 1]!.seq);
    // With E2EE the engine decrypts in order (possibly waiting for a Welcome or commit) and emits through emitEvent.
    const e2ee = this.#d.e2ee();
    if (e2ee) return e2ee.receive(channelId, events);
    for (const e of events) this.emitEvent(e, await decodeContent(this.#d.codec(), e));
  }

  /** Hand a decoded event to the listeners (unless the retention policy removed it meanwhile). */
  emitEvent(e: Event, content: DecodedContent): void {
    if (this.#d.retention.removed(e)) return;
    const r = toReceivedEvent(e, content, this.#d.userId());
    this.#d.emitter.emit("event", r);
    this.#d.emitter.emit(r.kind, r);
  }

  async #deliverUserItems(items: UserStreamItem[]): Promise<void> {
    const { store, emitter, sync } = this.#d;
    await store.setUserCursor(items[items.length - 1]!.seq);
    await this.#d.e2ee()?.onUserItems(items);
    for (const item of items) {
      this.#d.policies.noteItem(item);
      await this.#d.retention.noteItem(item);
      if (item.kind === "channel.joined" && item.channelId) sync.track(item.channelId, sync.channelCursor(item.channelId));
      // A deleted channel is left like any other: its cursor and local history go.
      if ((item.kind === "channel.left" || item.kind === "channel.deleted") && item.channelId) {
        sync.forget(item.channelId);
        await store.removeChannel(item.channelId);
      }
      emitter.emit("user", item);
      if (MEMBERSHIP_KINDS.has(item.kind)) emitter.emit("membership", item);
    }
  }
}
