/**
 * Send with retry and idempotency. Every send gets a clientId once, is
 * persisted in the outbox before the first attempt, and is retried with the
 * SAME clientId — over the socket when live, else over HTTP — until the
 * server acknowledges it. The server dedupes by (channel, clientId), so a
 * retry after a lost ack returns the original event (`duplicate: true`).
 *
 * Sends of one channel reach the server in the order they were made: an entry
 * goes out only when every earlier entry of its channel has been acknowledged,
 * or is in flight on the live socket and it goes on that socket too (one
 * socket is ordered end to end: the server takes its frames in order). HTTP
 * requests are not ordered, so over HTTP an entry waits for the acks before it.
 */
import type { Event, SendEvent } from "@parley/protocol";
import type { Api } from "./http.ts";
import type { Connection } from "./connection.ts";
import { backoffDelay, sleep, type BackoffOptions } from "./backoff.ts";
import { isParleyError, networkError, ParleyError } from "./errors.ts";
import type { LocalStore, OutboxEntry } from "./store.ts";

/** A send the server accepted. */
export interface SendResult {
  event: Event;
  /** The clientId had been used already: this is the original event. */
  duplicate: boolean;
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  store: LocalStore;
  api: Api;
  connection: Pick<Connection, "state" | "request">;
  /** Every acknowledged event goes here too (the sync engine dedupes it with the live copy). */
  onAcked(channelId: string, result: SendResult): void;
  /** A queued send failed for good (non-retryable error); it has been removed from the outbox. */
  onFailed?(entry: OutboxEntry, err: ParleyError): void;
  /**
   * The channel's encryption was reset after the entry was encrypted (`encryption_reset`):
   * return the event encrypted again for the new group (same clientId). Without it such a send fails.
   * With `why.history`: the send was refused for want of an archive copy in a channel of that
   * policy; return it encrypted again with one.
   */
  reencode?(entry: OutboxEntry, why?: { history: "shared" | "joined" | undefined }): Promise<SendEvent>;
  backoff?: BackoffOptions;
  /**
   * Most sends on the wire at once (default 32). A burst of sends beyond it waits
   * its turn instead of tripping the server's per-connection frame limit (which
   * closes the socket with 4429) or its request rate limit.
   */
  maxInFlight?: number;
}

const closedError = () => new ParleyError({ code: "closed", message: "client closed; the send stays queued" });

/** A random url-safe idempotency key (22 chars, 128 bits). */
export function newClientId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The queue of unacknowledged sends. */
export class Outbox {
  readonly #o: OutboxOptions;
  readonly #inFlight = new Map<string, Promise<SendResult>>();
  readonly #abort = new AbortController();
  #wake = new AbortController();
  #active = 0;
  /** Per channel: its unacknowledged entries in send order, and how each one's attempt in flight travels. */
  readonly #lanes = new Map<string, OutboxEntry[]>();
  readonly #flying = new Map<OutboxEntry, "socket" | "http">();
  /** Woken whenever an attempt starts or ends (a slot or a place in a lane may have opened). */
  #turn: Array<() => void> = [];

  constructor(opts: OutboxOptions) {
    this.#o = opts;
  }

  /** Persist `event` and send it until acknowledged. Resolves with the server's event. */
  async send(channelId: string, event: SendEvent): Promise<SendResult> {
    return (await this.enqueue(channelId, event)).sent;
  }

  /**
   * Persist a send and take its place in its channel's lane; `sent` settles when the server has
   * acknowledged it (or it failed for good). Sends enqueued one after another reach the server
   * in that order.
   */
  async enqueue(channelId: string, event: SendEvent): Promise<{ sent: Promise<SendResult> }> {
    const entry: OutboxEntry = { channelId, event, createdAt: Date.now(), attempts: 0 };
    // Persisted before the first attempt: if the process dies mid-send, resume() sends it again with the same clientId.
    await this.#o.store.putOutbox(entry);
    await this.#o.store.flush();
    return { sent: this.#run(entry) };
  }

  /** Resend every entry left in the store (after a restart). Failures are reported through onFailed. */
  async resume(): Promise<void> {
    for (const entry of await this.#o.store.loadOutbox()) {
      if (!this.#inFlight.has(entry.event.clientId)) this.#run(entry).catch(() => undefined);
    }
  }

  /** Retry waiting sends now (the connection just went live). */
  wake(): void {
    const w = this.#wake;
    this.#wake = new AbortController();
    w.abort();
  }

  /** Number of sends not yet acknowledged by this process. */
  get pending(): number {
    return this.#inFlight.size;
  }

  /** Stop retrying; pending sends reject with `closed` but stay in the store for the next run. */
  close(): void {
    this.#abort.abort();
    this.wake();
    this.#nextTurn();
  }

  #run(entry: OutboxEntry): Promise<SendResult> {
    const id = entry.event.clientId;
    const existing = this.#inFlight.get(id);
    if (existing) return existing;
    const lane = this.#lanes.get(entry.channelId) ?? [];
    this.#lanes.set(entry.channelId, lane);
    // Entries resumed from the store may be older than sends already made by this process.
    const at = lane.findIndex((e) => e.createdAt > entry.createdAt);
    lane.splice(at < 0 ? lane.length : at, 0, entry);
    const p = this.#loop(entry).finally(() => {
      this.#inFlight.delete(id);
      lane.splice(lane.indexOf(entry), 1);
      if (!lane.length) this.#lanes.delete(entry.channelId);
      this.#nextTurn();
    });
    this.#inFlight.set(id, p);
    return p;
  }

  async #loop(entry: OutboxEntry): Promise<SendResult> {
    const { store } = this.#o;
    for (;;) {
      if (this.#abort.signal.aborted) throw closedError();
      entry.attempts++;
      try {
        const result = await this.#attempt(entry);
        await store.removeOutbox(entry.event.clientId);
        this.#o.onAcked(entry.channelId, result);
        return result;
      } catch (raw) {
        // Closing (even while waiting for its turn) keeps the entry for the next run.
        if (this.#abort.signal.aborted) throw closedError();
        const err = isParleyError(raw) ? raw : networkError(raw);
        if (err.code === "encryption_reset" && this.#o.reencode && entry.attempts < 8) {
          // The content was encrypted for a group the channel has replaced: encrypt it again and resend.
          try {
            entry.event = await this.#o.reencode(entry);
            await store.putOutbox(entry);
            continue;
          } catch {
            // could not re-encrypt: fails below like any non-retryable error
          }
        }
        if (err.code === "archive_invalid" && entry.event.archive === undefined && this.#o.reencode && archiveRequired(err) && entry.attempts < 8) {
          // The channel keeps archive copies (this client did not know its policy, or knew an old one):
          // encrypt the content again with its copy.
          try {
            entry.event = await this.#o.reencode(entry, { history: archiveRequired(err) });
            await store.putOutbox(entry);
            continue;
          } catch {
            // could not re-encrypt: fails below like any non-retryable error
          }
        }
        if (err.code === "archive_invalid" && entry.event.archive !== undefined && archiveRefusedByPolicy(err) && entry.attempts < 8) {
          // The channel keeps no archive copies (its policy changed to device-only after this client
          // last heard): the MLS content is sound, send it without the copy.
          const { archive: _refused, ...event } = entry.event;
          entry.event = event;
          await store.putOutbox(entry);
          continue;
        }
        if (!err.isRetryable()) {
          // Auth failures keep the entry: after signing in again it can still go out with the same clientId.
          if (!err.isAuthError()) {
            await store.removeOutbox(entry.event.clientId);
            this.#o.onFailed?.(entry, err);
          }
          throw err;
        }
        await store.putOutbox(entry);
        const delay = err.retryAfter !== undefined ? err.retryAfter * 1000 : backoffDelay(entry.attempts - 1, this.#o.backoff);
        await sleep(delay, AbortSignal.any([this.#wake.signal, this.#abort.signal]));
      }
    }
  }

  async #attempt(entry: OutboxEntry): Promise<SendResult> {
    let via: "socket" | "http";
    for (;;) {
      via = this.#o.connection.state === "live" ? "socket" : "http";
      if (this.#active < (this.#o.maxInFlight ?? 32) && this.#mayGo(entry, via)) break;
      if (this.#abort.signal.aborted) throw closedError();
      await new Promise<void>((r) => this.#turn.push(r));
    }
    this.#active++;
    this.#flying.set(entry, via);
    try {
      return via === "socket" ? await this.#viaSocket(entry) : await this.#viaHttp(entry);
    } finally {
      this.#active--;
      this.#flying.delete(entry);
      this.#nextTurn();
    }
  }

  /** Every earlier entry of the channel is acknowledged, or on the socket ahead of this one. */
  #mayGo(entry: OutboxEntry, via: "socket" | "http"): boolean {
    for (const earlier of this.#lanes.get(entry.channelId) ?? []) {
      if (earlier === entry) return true;
      if (via === "http" || this.#flying.get(earlier) !== "socket") return false;
    }
    return true;
  }

  #nextTurn(): void {
    const waiting = this.#turn;
    this.#turn = [];
    for (const r of waiting) r();
  }

  async #viaSocket(entry: OutboxEntry): Promise<SendResult> {
    const ack = await this.#o.connection.request({ t: "send", channelId: entry.channelId, ...entry.event });
    return { event: ack.event, duplicate: ack.duplicate };
  }

  #viaHttp(entry: OutboxEntry): Promise<SendResult> {
    return this.#o.api.call("sendEvent", { params: { channelId: entry.channelId }, body: entry.event });
  }
}

/** The server refused a send without an archive copy because the channel's policy keeps them: that policy. */
function archiveRequired(err: ParleyError): "shared" | "joined" | undefined {
  const d = err.details as { reason?: unknown; history?: unknown } | undefined;
  return d?.reason === "missing" && (d.history === "shared" || d.history === "joined") ? d.history : undefined;
}

/** The server refused a send's archive copy because the channel's history policy keeps none. */
function archiveRefusedByPolicy(err: ParleyError): boolean {
  return (err.details as { reason?: unknown } | undefined)?.reason === "device_only";
}
