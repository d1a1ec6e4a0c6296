import { test } from "node:test";
import assert from "node:assert/strict";
import type { TimelineMessage } from "@parley/sdk";
import { buildRows, dayLabel, type Row } from "./rows.ts";
import { mentionedUserIds, mentionQueryAt } from "./mentions.ts";

/** A row as a short string: the day label, "R<seq>" for a reset, "<seq>H" for a message with its header. */
const label = (r: Row): string => (r.kind === "day" ? r.label : r.kind === "reset" ? `R${r.notice.seq}` : `${r.message.seq}${r.showHeader ? "H" : ""}`);

const msg = (seq: number, senderId: string, createdAt: number): TimelineMessage => ({
  seq,
  senderId,
  createdAt,
  text: `m${seq}`,
  threadRoot: null,
  mentions: [],
  edited: false,
  deleted: false,
  reactions: new Map(),
  replyCount: 0,
  decodeError: undefined,
  archiveFault: undefined,
});

test("rows: day separators and sender grouping within five minutes", () => {
  const day1 = new Date(2025, 2, 3, 10, 0).getTime();
  const day2 = new Date(2025, 2, 4, 9, 0).getTime();
  const rows = buildRows(
    [msg(1, "a", day1), msg(2, "a", day1 + 60_000), msg(3, "b", day1 + 120_000), msg(4, "b", day1 + 20 * 60_000), msg(5, "b", day2)],
    [],
    day2,
  );
  assert.deepEqual(rows.map(label), [dayLabel(day1, day2), "1H", "2", "3H", "4H", "Today", "5H"]);
  assert.equal(dayLabel(day1, day1 + 86_400_000), "Yesterday");
});

test("rows: an encryption reset gets a row in seq order and breaks sender grouping", () => {
  const t = new Date(2025, 2, 3, 10, 0).getTime();
  const later = new Date(2025, 2, 4, 9, 0).getTime();
  const reset = (seq: number, createdAt: number) => ({ seq, createdAt, reset: { generation: 1, reason: "admin" as const, by: "a" } });
  const rows = buildRows([msg(1, "a", t), msg(3, "a", t + 60_000), msg(4, "a", t + 120_000)], [reset(2, t + 30_000), reset(5, later)], later);
  assert.deepEqual(rows.map(label), [dayLabel(t, later), "1H", "R2", "3H", "4", "Today", "R5"]);
  assert.deepEqual(
    buildRows([], [reset(7, t)], t).map((r) => r.kind),
    ["day", "reset"],
  );
});

test("mentions: ids of known, active users; the query at the caret", () => {
  const users = [
    { id: "u1", username: "bob" },
    { id: "u2", username: "carol.d" },
    { id: "u3", username: "dave", deactivated: true },
  ];
  assert.deepEqual(mentionedUserIds("hi @bob and @carol.d, not @dave or @nobody or me@bob", users), ["u1", "u2"]);
  assert.deepEqual(mentionQueryAt("ping @ca", 8), { start: 5, query: "ca" });
  assert.equal(mentionQueryAt("mail a@b", 8), undefined);
});
