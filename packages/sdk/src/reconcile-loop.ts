/**
 * Runs a client's reconcile (a new device joins the groups of its channels) each time the
 * connection goes live, never two at once. A request during a run schedules another run: a run
 * that started before an outage may fail after the connection is live again, and that "live"
 * must not be lost (a new device would never join its channels' groups). A failed run is tried
 * again with backoff while the connection stays live (up to 6 tries; the next "live" starts over).
 */
import { backoffDelay, sleep, type BackoffOptions } from "./backoff.ts";

export class ReconcileLoop {
  readonly #o: { run: () => Promise<boolean>; live: () => boolean; backoff?: BackoffOptions | undefined; signal: AbortSignal };
  #again = false;
  #running: Promise<void> | undefined;

  /** `run` reconciles once and says whether it succeeded; `signal` ends the waits (close). */
  constructor(o: { run: () => Promise<boolean>; live: () => boolean; backoff?: BackoffOptions | undefined; signal: AbortSignal }) {
    this.#o = o;
  }

  /** The run under way, if any (with its retries). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /** Reconcile now, or right after the run under way. */
  request(): void {
    this.#again = true;
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  async #loop(): Promise<void> {
    const { signal } = this.#o;
    for (let failures = 0; this.#again && !signal.aborted;) {
      this.#again = false;
      if (await this.#o.run()) continue;
      if (++failures > 5 || !this.#o.live()) break;
      await sleep(backoffDelay(failures - 1, this.#o.backoff), signal);
      this.#again = true;
    }
  }
}
