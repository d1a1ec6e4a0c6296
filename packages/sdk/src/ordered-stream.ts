/**
 * One gap-free sequence (a channel's events or the per-user stream) as seen
 * by a client: items may arrive twice, out of order or with holes (replay
 * overlapping live fan-out, concurrent commits published out of order, a
 * missed frame). This delivers each seq exactly once, in order, and fills
 * holes by fetching after the cursor.
 */
import { isParleyError } from "./errors.ts";

/** Options of {@link OrderedStream}. */
export interface OrderedStreamOptions<T> {
  /** Last seq already delivered (0 = none). */
  cursor: number;
  /** The seq of an item. */
  seqOf(item: T): number;
  /** Fetch items after `after`, oldest first. */
  fetchAfter(after: number): Promise<{ items: T[]; hasMore: boolean }>;
  /** Receives contiguous batches, in order, each item once. */
  deliver(items: T[]): void;
  /** Wait this long after a hole appears before fetching, since the missing items are often just late. */
  gapFillDelayMs: number;
  /** A fill failed; it will be retried. */
  onError(err: unknown): void;
  /** The server says the stream is gone (not_found/forbidden): stop filling. */
  onGone?(): void;
  /**
   * Items below this seq may be missing for good (a channel's retention floor: the org's retention
   * policy removed them). A hole below it that the server's page confirms is skipped.
   */
  floor?(): number;
}

/** Delivery state of one sequence. */
export class OrderedStream<T> {
  #cursor: number;
  readonly #pending = new Map<number, T>();
  readonly #o: OrderedStreamOptions<T>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #filling: Promise<void> | undefined;
  #fillEnabled = false;
  #closed = false;
  #failures = 0;

  constructor(opts: OrderedStreamOptions<T>) {
    this.#o = opts;
    this.#cursor = opts.cursor;
  }

  /** Last contiguous seq delivered. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Whether items beyond a hole are waiting. */
  get hasGap(): boolean {
    return this.#pending.size > 0;
  }

  /**
   * Accept items from any source; deliver what became contiguous. Seqs up to `goneThrough` that are
   * not among them were removed for good (see {@link OrderedStreamOptions.floor}): skipped.
   */
  receive(items: readonly T[], goneThrough = 0): void {
    if (this.#closed) return;
    for (const item of items) {
      const seq = this.#o.seqOf(item);
      if (seq > this.#cursor && !this.#pending.has(seq)) this.#pending.set(seq, item);
    }
    const out: T[] = [];
    for (;;) {
      const next = this.#pending.get(this.#cursor + 1);
      if (next === undefined && this.#cursor + 1 > goneThrough) break;
      this.#cursor++;
      if (next === undefined) continue;
      this.#pending.delete(this.#cursor);
      out.push(next);
    }
    if (out.length > 0) this.#o.deliver(out);
    if (this.#pending.size > 0) this.#scheduleFill(this.#o.gapFillDelayMs);
  }

  /**
   * Allow or suspend hole filling. Suspended while a replay is streaming in
   * (the replay itself fills holes); enabling checks for holes at once.
   */
  setFillEnabled(on: boolean): void {
    this.#fillEnabled = on;
    if (on && this.#pending.size > 0) this.#scheduleFill(0);
  }

  /** What could fill a hole changed (the floor moved up): look again now instead of after the back-off. */
  retryFill(): void {
    if (this.#pending.size === 0 || this.#filling) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#failures = 0;
    this.#scheduleFill(0);
  }

  /** Fetch everything after the cursor now (e.g. the server says lastSeq is ahead). */
  catchUp(): Promise<void> {
    return this.#fill();
  }

  /** Resolves when no fill is scheduled or running. */
  async idle(): Promise<void> {
    while (!this.#closed && (this.#filling || this.#timer)) {
      if (this.#filling) await this.#filling;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stop: no more deliveries or fetches. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
  }

  // The server's page holds every item it still has after the cursor, up to its last one (or all of
  // them when there is no more): a seq it lacks below the floor was removed by retention.
  #goneThrough(page: { items: T[]; hasMore: boolean }): number {
    const floor = this.#o.floor?.() ?? 0;
    if (floor <= this.#cursor + 1) return 0;
    const last = page.items.at(-1);
    return Math.min(floor - 1, page.hasMore && last !== undefined ? this.#o.seqOf(last) : Number.MAX_SAFE_INTEGER);
  }

  #scheduleFill(delayMs: number): void {
    if (!this.#fillEnabled || this.#closed || this.#timer || this.#filling) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#pending.size > 0) void this.#fill();
    }, delayMs);
  }

  #fill(): Promise<void> {
    // A closed stream never fetches. (Without this, the async body below would
    // finish synchronously, its finally would clear #filling before ??= set it,
    // and #filling would stay set to a settled promise: idle() would spin forever.)
    if (this.#closed) return Promise.resolve();
    this.#filling ??= (async () => {
      try {
        for (;;) {
          if (this.#closed) return;
          const before = this.#cursor;
          const page = await this.#o.fetchAfter(before);
          this.receive(page.items, this.#goneThrough(page));
          // No progress means the server cannot fill the hole (yet): back off instead of spinning.
          this.#failures = this.#cursor === before ? this.#failures + 1 : 0;
          if (!page.hasMore || this.#cursor === before) break;
        }
      } catch (err) {
        if (isParleyError(err) && (err.code === "not_found" || err.code === "forbidden")) {
          this.close();
          this.#o.onGone?.();
          return;
        }
        this.#o.onError(err);
        this.#failures++;
      } finally {
        this.#filling = undefined;
      }
      if (this.#pending.size > 0) {
        this.#scheduleFill(Math.min(30_000, this.#o.gapFillDelayMs * 2 ** Math.min(this.#failures, 7)) + (this.#failures ? 500 : 0));
      }
    })();
    return this.#filling;
  }
}
