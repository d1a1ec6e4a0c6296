/**
 * Exponential backoff with full jitter (AWS architecture blog's "full
 * jitter"): spreads reconnect storms after a server restart.
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** First delay ceiling, ms (default 500). */
  initialMs?: number;
  /** Largest delay, ms (default 30 000). */
  maxMs?: number;
  /** Random source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** Delay before attempt number `attempt` (0-based): uniform in [ceiling/2, ceiling]. */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  // Half fixed, half random: never reconnect instantly, but still spread clients apart.
  return Math.round(ceiling / 2 + (opts.random ?? Math.random)() * (ceiling / 2));
}

/** Promise that resolves after `ms` (or at once when `signal` aborts). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
