import { test } from "node:test";
import assert from "node:assert/strict";
import type { TimelineMessage } from "@parley/sdk";
import { buildRows, dayLabel } from "./rows.ts";
import { mentionedUserIds, mentionQueryAt } from "./mentions.ts";

const msg = (seq: number, senderId: string, createdAt: number): TimelineMessage => ({
  seq, senderId, createdAt, text: `m${seq}`, threadRoot: null, mentions: [], edited: false, deleted: false, reactions: new Map(), replyCount: 0, decodeError: undefined,
});

test("rows: day separators and sender grouping within five minutes", () => {
  const day1 = new Date(2025, 2, 3, 10, 0).getTime();
  const day2 = new Date(2025, 2, 4, 9, 0).getTime();
  const rows = buildRows([msg(1, "a", day1), msg(2, "a", day1 + 60_000), msg(3, "b", day1 + 120_000), msg(4, "b", day1 + 20 * 60_000), msg(5, "b", day2)], day2);
  assert.deepEqual(rows.map((r) => (r.kind === "day" ? r.label : `${r.message.seq}${r.showHeader ? "H" : ""}`)), [
    dayLabel(day1, day2), "1H", "2", "3H", "4H", "Today", "5H",
  ]);
  assert.equal(dayLabel(day1, day1 + 86_400_000), "Yesterday");
});

test("mentions: ids of known, active users; the query at the caret", () => {
  const users = [{ id: "u1", username: "bob" }, { id: "u2", username: "carol.d" }, { id: "u3", username: "dave", deactivated: true }];
  assert.deepEqual(mentionedUserIds("hi @bob and @carol.d, not @dave or @nobody or me@bob", users), ["u1", "u2"]);
  assert.deepEqual(mentionQueryAt("ping @ca", 8), { start: 5, query: "ca" });
  assert.equal(mentionQueryAt("mail a@b", 8), undefined);
});
