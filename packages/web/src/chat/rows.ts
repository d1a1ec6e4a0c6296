/**
 * Rows of a channel view: day separators between days, sender grouping
 * (consecutive messages of one sender within a few minutes share a header),
 * and a row for each encryption reset, in seq order among the messages.
 */
import type { TimelineMessage } from "@parley/sdk";
import type { ResetNotice } from "../client/channel-history.ts";

/** Messages of one sender closer than this share one header. */
const GROUP_GAP_MS = 5 * 60_000;

/** One row of the virtualised list. */
export type Row =
  | { kind: "day"; key: string; label: string }
  | { kind: "message"; key: string; message: TimelineMessage; showHeader: boolean }
  | { kind: "reset"; key: string; notice: ResetNotice };

function dayKey(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/** "Today", "Yesterday" or a date such as "Monday, 3 March 2025" (in the local time zone). */
export function dayLabel(ts: number, now = Date.now()): string {
  if (dayKey(ts) === dayKey(now)) return "Today";
  if (dayKey(ts) === dayKey(now - 86_400_000)) return "Yesterday";
  return new Date(ts).toLocaleDateString(undefined, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
}

/** Build rows from messages and encryption resets, each oldest first. */
export function buildRows(messages: readonly TimelineMessage[], resets: readonly ResetNotice[] = [], now = Date.now()): Row[] {
  const rows: Row[] = [];
  let lastDay: string | undefined;
  // The message a following one may group under; a reset row in between breaks the group.
  let prev: TimelineMessage | undefined;
  const startDay = (ts: number): boolean => {
    const key = dayKey(ts);
    if (key === lastDay) return false;
    lastDay = key;
    rows.push({ kind: "day", key: `day-${key}`, label: dayLabel(ts, now) });
    return true;
  };
  let r = 0;
  // Resets before `seq` (all that are left by default), each on its own row.
  const resetsBefore = (seq = Number.POSITIVE_INFINITY) => {
    for (; r < resets.length && resets[r]!.seq < seq; r++) {
      startDay(resets[r]!.createdAt);
      rows.push({ kind: "reset", key: `r-${resets[r]!.seq}`, notice: resets[r]! });
      prev = undefined;
    }
  };
  for (const m of messages) {
    resetsBefore(m.seq);
    const newDay = startDay(m.createdAt);
    const grouped = !newDay && prev !== undefined && prev.senderId === m.senderId && !prev.deleted && m.createdAt - prev.createdAt < GROUP_GAP_MS;
    rows.push({ kind: "message", key: `m-${m.seq}`, message: m, showHeader: !grouped });
    prev = m;
  }
  resetsBefore();
  return rows;
}
