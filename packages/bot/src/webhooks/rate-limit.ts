/** A token bucket per integration: `burst` requests at once, refilled at `perMinute`. In memory: a restart refills the buckets. */
export interface RateLimit {
  perMinute: number;
  burst: number;
}

export interface Buckets {
  /** Take one token for `key`; when none is left, how many seconds until one is. */
  take(key: string): { ok: true } | { ok: false; retryAfterS: number };
}

export function tokenBuckets(limit: RateLimit, now: () => number = Date.now): Buckets {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = limit.perMinute / 60_000;
  return {
    take(key) {
      const t = now();
      const b = buckets.get(key) ?? { tokens: limit.burst, at: t };
      b.tokens = Math.min(limit.burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000)) };
    },
  };
}
