/** Retry delays: exponential with full-range jitter, capped. */

export interface Backoff {
  /** Delay after the first failure (ms). */
  baseMs: number;
  /** Largest delay (ms). */
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 15 * 60_000 };

/**
 * Delay before attempt `attempts + 1`, after `attempts` failures (>= 1):
 * base * 2^(attempts-1), capped, then a random value in [half, all] of it, so
 * jobs that failed together (a database blip) do not all retry at once.
 */
export function retryDelay(attempts: number, b: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, Math.min(30, attempts - 1)));
  return Math.round(exp / 2 + random() * (exp / 2));
}
