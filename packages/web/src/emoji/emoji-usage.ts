/**
 * The user's recently and frequently used emoji: a small table of counts and last-use times,
 * kept on this device (localStorage) and, when the device holds the key locker, in the user's
 * sealed personal store so their other devices share it (ADR 0009). Frequent ranks by a count
 * that halves every week, so old favourites fade.
 */

/** One emoji's use: a decayed count and the last time it was used. */
export interface EmojiUse {
  count: number;
  at: number;
}
/** Uses by emoji (a character, or `:shortcode:` for a custom emoji). */
export type EmojiUsage = Record<string, EmojiUse>;

const HALF_LIFE_MS = 7 * 24 * 3600_000;
/** Most emoji remembered (the least used go first). */
const USAGE_LIMIT = 40;

/** `usage` with one more use of `emoji` at `now`, trimmed to {@link USAGE_LIMIT}. */
export function recordUse(usage: EmojiUsage, emoji: string, now: number): EmojiUsage {
  const old = usage[emoji];
  const next: EmojiUsage = { ...usage, [emoji]: { count: (old ? decayed(old, now) : 0) + 1, at: now } };
  const kept = Object.entries(next)
    .sort((a, b) => decayed(b[1], now) - decayed(a[1], now) || b[1].at - a[1].at)
    .slice(0, USAGE_LIMIT);
  return Object.fromEntries(kept);
}

function decayed(u: EmojiUse, now: number): number {
  return u.count * Math.pow(0.5, Math.max(0, now - u.at) / HALF_LIFE_MS);
}

/** The most used first (decayed counts; ties: the more recent). */
export function frequentOf(usage: EmojiUsage, now: number, n = 16): string[] {
  return Object.entries(usage)
    .sort((a, b) => decayed(b[1], now) - decayed(a[1], now) || b[1].at - a[1].at)
    .slice(0, n)
    .map(([k]) => k);
}

/** Two tables merged (another device's and this one's): per emoji, the larger count and the later use. */
export function mergeUsage(a: EmojiUsage, b: EmojiUsage): EmojiUsage {
  const out: EmojiUsage = { ...a };
  for (const [k, u] of Object.entries(b)) {
    const o = out[k];
    out[k] = o ? { count: Math.max(o.count, u.count), at: Math.max(o.at, u.at) } : u;
  }
  return out;
}

/** A stored table, or an empty one when it is missing or not a table. */
export function parseUsage(raw: unknown): EmojiUsage {
  if (!raw || typeof raw !== "object") return {};
  const out: EmojiUsage = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const u = v as Partial<EmojiUse> | null;
    if (k.length <= 40 && u && typeof u.count === "number" && typeof u.at === "number") out[k] = { count: u.count, at: u.at };
  }
  return out;
}
