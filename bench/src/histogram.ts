/**
 * A fixed-bucket latency histogram that load-client processes fill and the
 * orchestrator merges (plain number arrays cross the IPC channel cheaply).
 * Resolution: 50 µs up to 100 ms, then 10 ms up to 60 s; everything above
 * lands in the last bucket. That is plenty for p50/p99 of a fan-out bench.
 */
const FINE_US = 50;
const FINE_LIMIT_US = 100_000;
const COARSE_US = 10_000;
const COARSE_LIMIT_US = 60_000_000;
const FINE_BUCKETS = FINE_LIMIT_US / FINE_US;
const BUCKETS = FINE_BUCKETS + (COARSE_LIMIT_US - FINE_LIMIT_US) / COARSE_US + 1;

export interface Histogram {
  counts: Uint32Array;
  total: number;
  maxUs: number;
}

export function newHistogram(): Histogram {
  return { counts: new Uint32Array(BUCKETS), total: 0, maxUs: 0 };
}

export function record(h: Histogram, us: number): void {
  const v = us < 0 ? 0 : us;
  const i = v < FINE_LIMIT_US ? Math.floor(v / FINE_US) : Math.min(BUCKETS - 1, FINE_BUCKETS + Math.floor((v - FINE_LIMIT_US) / COARSE_US));
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.total++;
  if (v > h.maxUs) h.maxUs = v;
}

/** Upper edge of bucket i, µs. */
function bucketUpperUs(i: number): number {
  return i < FINE_BUCKETS ? (i + 1) * FINE_US : FINE_LIMIT_US + (i - FINE_BUCKETS + 1) * COARSE_US;
}

/** Value (µs, bucket upper edge) at quantile q in [0,1]; 0 when empty. */
export function quantileUs(h: Histogram, q: number): number {
  if (h.total === 0) return 0;
  const target = Math.max(1, Math.ceil(q * h.total));
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= target) return Math.min(bucketUpperUs(i), h.maxUs);
  }
  return h.maxUs;
}

/** Sparse form for IPC: [index, count] pairs. */
export interface SerializedHistogram {
  pairs: number[];
  total: number;
  maxUs: number;
}

export function serialize(h: Histogram): SerializedHistogram {
  const pairs: number[] = [];
  h.counts.forEach((c, i) => {
    if (c) pairs.push(i, c);
  });
  return { pairs, total: h.total, maxUs: h.maxUs };
}

export function mergeInto(h: Histogram, s: SerializedHistogram): void {
  for (let k = 0; k + 1 < s.pairs.length; k += 2) {
    const i = s.pairs[k] as number;
    h.counts[i] = (h.counts[i] ?? 0) + (s.pairs[k + 1] as number);
  }
  h.total += s.total;
  if (s.maxUs > h.maxUs) h.maxUs = s.maxUs;
}

/** p50/p99/max in milliseconds, rounded to 0.01 ms. */
export function summaryMs(h: Histogram): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const ms = (us: number) => Math.round(us / 10) / 100;
  return { samples: h.total, p50Ms: ms(quantileUs(h, 0.5)), p99Ms: ms(quantileUs(h, 0.99)), maxMs: ms(h.maxUs) };
}
