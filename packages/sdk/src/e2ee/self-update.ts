/**
 * Post-compromise security in practice: a device rotates its leaf keys in every group
 * (an MLS commit with an UpdatePath) after an interval or a number of messages, so a key
 * stolen from it stops opening new epochs. Thresholds are jittered per device and channel
 * (up to +25 %), and the commit waits a random moment, so members that saw the same
 * messages do not all commit at once.
 */
import { isActive } from "@parley/crypto";
import type { ChannelCrypto } from "./channel-state.ts";

/** When a device rotates its keys in a channel's group. */
export interface SelfUpdatePolicy {
  /** Rotate after this long since the last rotation or join (default one week). */
  intervalMs?: number;
  /** Rotate after this many messages sent or received in the channel (default 1,000). */
  messages?: number;
  /** How often idle channels are looked at (default one hour). */
  checkEveryMs?: number;
}

const WEEK = 7 * 24 * 3600 * 1000;

/** The schedule of one device's self-updates across its channels. */
export class SelfUpdates {
  readonly #intervalMs: number;
  readonly #messages: number;
  readonly #now: () => number;
  readonly #run: (ch: ChannelCrypto) => Promise<void>;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #jitter = new Map<string, number>();

  /** `run` commits a self-update in the channel (with retries); `channels` lists the device's channels. */
  constructor(policy: SelfUpdatePolicy, now: () => number, run: (ch: ChannelCrypto) => Promise<void>, channels: () => Iterable<ChannelCrypto>) {
    this.#intervalMs = policy.intervalMs ?? WEEK;
    this.#messages = policy.messages ?? 1000;
    this.#now = now;
    this.#run = run;
    this.#timer = setInterval(() => {
      for (const ch of channels()) this.check(ch);
    }, policy.checkEveryMs ?? 3600_000);
    this.#timer.unref?.();
  }

  /** The device's leaf in this channel is fresh (it joined, created the group or committed with a path). */
  renewed(ch: ChannelCrypto): void {
    ch.leafUpdatedAt = this.#now();
    ch.messagesSinceUpdate = 0;
  }

  /** A message was sent or received in the channel. */
  counted(ch: ChannelCrypto): void {
    ch.messagesSinceUpdate++;
    this.check(ch);
  }

  /** Start a self-update if one is due and none is under way. */
  check(ch: ChannelCrypto): void {
    if (ch.updating || !ch.group || ch.removed || !isActive(ch.group) || !this.#due(ch)) return;
    ch.updating = (async () => {
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 450)));
      await this.#run(ch);
    })().finally(() => {
      ch.updating = undefined;
    });
    ch.updating.catch(() => undefined);
  }

  /** Stop looking at idle channels. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #due(ch: ChannelCrypto): boolean {
    let j = this.#jitter.get(ch.id);
    if (j === undefined) this.#jitter.set(ch.id, (j = 1 + Math.random() / 4));
    // A group saved before self-updates existed has no date: count from now.
    if (!ch.leafUpdatedAt) ch.leafUpdatedAt = this.#now();
    return this.#now() - ch.leafUpdatedAt >= this.#intervalMs * j || ch.messagesSinceUpdate >= this.#messages * j;
  }
}
