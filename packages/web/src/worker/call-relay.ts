/**
 * Calls across the worker boundary (issue 14): the page's call UI drives `client.calls` of the
 * worker's client by name, hears its events as they happen, and gets a channel's SFrame call keys
 * (`client.e2ee.callKeys`) for its media worker — again whenever the channel's MLS epoch changes
 * (a member joined or left the group), and null once this device left the group, so the page
 * rotates or wipes the keys of a call in progress. The keys cross to the page because the
 * encoded-transform worker that uses them is started by the page.
 */
import type { ParleyClient } from "@parley/sdk";
import {
  CALL_EVENTS,
  CALL_METHODS,
  CALL_SFU_EVENTS,
  CALL_SFU_METHODS,
  type CallMethod,
  type CallSfuMethod,
  type PageCallKeys,
  type WorkerPush,
} from "./protocol.ts";

const METHODS = new Set<string>(CALL_METHODS);
const SFU_METHODS = new Set<string>(CALL_SFU_METHODS);

/** One signed-in client's calls, relayed to the page through `post`. */
export class CallRelay {
  readonly #client: ParleyClient;
  readonly #post: (m: WorkerPush) => void;
  /** Followed channels and the epoch of the keys last pushed for each (null: none, this device is not in the group). */
  readonly #followed = new Map<string, bigint | null>();
  readonly #off: Array<() => void> = [];
  #checking = false;

  constructor(client: ParleyClient, post: (m: WorkerPush) => void) {
    this.#client = client;
    this.#post = post;
    for (const event of CALL_EVENTS) {
      this.#off.push(
        client.calls.on(event, (payload) => {
          this.#post({ t: "call", event, payload });
          // Someone joined or left: their MLS commit may already be here (the SDK processes it from the channel).
          if (event === "state") void this.check(true);
        }),
      );
    }
    for (const event of CALL_SFU_EVENTS) this.#off.push(client.calls.sfu.on(event, (payload) => this.#post({ t: "callSfu", event, payload })));
    // A processed commit arrives with the channel's events; this user leaving or the channel going ends the keys at once.
    this.#off.push(
      client.on("event", () => void this.check()),
      client.on("membership", (item) => {
        if ((item.kind === "channel.left" || item.kind === "channel.deleted") && item.channelId) this.#gone(item.channelId);
        else void this.check(true);
      }),
    );
  }

  /** A `client.calls` method by name. */
  run(method: CallMethod, args: unknown[]): Promise<unknown> {
    if (!METHODS.has(method)) throw new Error(`unknown calls method ${method}`);
    const calls = this.#client.calls;
    return (calls[method] as (...a: unknown[]) => Promise<unknown>).apply(calls, args);
  }

  /** A `client.calls.sfu` method by name (a group call's media negotiation). */
  runSfu(method: CallSfuMethod, args: unknown[]): Promise<unknown> {
    if (!SFU_METHODS.has(method)) throw new Error(`unknown calls.sfu method ${method}`);
    const sfu = this.#client.calls.sfu;
    return (sfu[method] as (...a: unknown[]) => Promise<unknown>).apply(sfu, args);
  }

  /** A channel's call keys now; with `follow`, pushed again on every epoch change until unfollowed. */
  async keys(channelId: string, follow: boolean): Promise<PageCallKeys | null> {
    if (!follow) {
      this.#followed.delete(channelId);
      return null;
    }
    const keys = await this.#read(channelId);
    this.#followed.set(channelId, keys?.epoch ?? null);
    return keys;
  }

  /**
   * Look at the followed channels' epochs again (called after client events and on a timer: the
   * SDK processes commits without an event of their own). `full` also reads the keys of channels
   * whose epoch number did not change, to notice that this device left the group.
   */
  async check(full = false): Promise<void> {
    if (this.#checking || !this.#followed.size) return;
    this.#checking = true;
    try {
      for (const [channelId, last] of this.#followed) {
        const epoch = this.#client.e2ee?.epochOf(channelId);
        if (!full && epoch !== undefined && last !== null && BigInt(epoch) === last) continue;
        const keys = await this.#read(channelId);
        const now = keys?.epoch ?? null;
        if (now === last || !this.#followed.has(channelId)) continue;
        this.#followed.set(channelId, now);
        this.#post({ t: "callKeys", channelId, keys });
      }
    } finally {
      this.#checking = false;
    }
  }

  // This user is out of the channel: wipe the page's keys and stop following (its local group may not know yet).
  #gone(channelId: string): void {
    if (!this.#followed.delete(channelId)) return;
    this.#post({ t: "callKeys", channelId, keys: null });
  }

  close(): void {
    for (const off of this.#off) off();
    this.#followed.clear();
  }

  async #read(channelId: string): Promise<PageCallKeys | null> {
    const k = await this.#client.e2ee?.callKeys(channelId);
    return k ? { channelId, suite: k.suite, epoch: k.epoch, baseKey: k.baseKey, ownLeafIndex: k.ownLeafIndex, deviceOfLeaf: k.deviceOfLeaf } : null;
  }
}
