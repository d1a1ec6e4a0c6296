/**
 * The users whose presence a client watches (API 12): the ones the app shows — DM partners, the
 * open channel's members, a profile card. The server keeps one watch set per connection and each
 * connection starts watching nobody, so the set is named again every time the link goes live.
 */
import { DEFAULT_LIMITS, type ClientFrameInput } from "@parley/protocol";

type WatchFrame = Extract<ClientFrameInput, { t: "presence.watch" }>;

export class PresenceWatch {
  #watching: string[] = [];
  readonly #send: (frame: WatchFrame) => unknown;

  /** `send` puts a frame on the current connection (dropped when offline: {@link renew} covers it). */
  constructor(send: (frame: WatchFrame) => unknown) {
    this.#send = send;
  }

  /** Watch these users instead (at most DEFAULT_LIMITS.presenceWatch, extra ids are dropped); the same set again sends nothing. */
  watch(userIds: Iterable<string>): void {
    const next = [...new Set(userIds)].slice(0, DEFAULT_LIMITS.presenceWatch);
    if (next.length === this.#watching.length && next.every((id, i) => id === this.#watching[i])) return;
    this.#watching = next;
    this.#send({ t: "presence.watch", userIds: next });
  }

  /** The connection went live: name the watched users again (when there are any). */
  renew(): void {
    if (this.#watching.length > 0) this.#send({ t: "presence.watch", userIds: this.#watching });
  }
}
