/**
 * Rows of a channel view: day separators between days, and sender grouping
 * (consecutive messages of one sender within a few minutes share a header).
 */
import type { TimelineMessage } from "@parley/sdk";

/** Messages of one sender closer than this share one header. */
export const GROUP_GAP_MS = 5 * 60_000;

/** One row of the virtualised list. */
export type Row =
  | { kind: "day"; key: string; label: string }
  | { kind: "message"; key: string; message: TimelineMessage; showHeader: boolean };

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

/** Build rows from messages, oldest first. */
export function buildRows(messages: readonly TimelineMessage[], now = Date.now()): Row[] {
  const rows: Row[] = [];
  let prev: TimelineMessage | undefined;
  for (const m of messages) {
    const newDay = !prev || dayKey(prev.createdAt) !== dayKey(m.createdAt);
    if (newDay) rows.push({ kind: "day", key: `day-${dayKey(m.createdAt)}`, label: dayLabel(m.createdAt, now) });
    const grouped = !newDay && prev !== undefined && prev.senderId === m.senderId && !prev.deleted && m.createdAt - prev.createdAt < GROUP_GAP_MS;
    rows.push({ kind: "message", key: `m-${m.seq}`, message: m, showHeader: !grouped });
    prev = m;
  }
  return rows;
}
