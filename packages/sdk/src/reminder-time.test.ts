/** `/remind` times, read in the user's time zone: relative times, days, clock times, dates, daylight saving, and clear refusals. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReminder, zonedInstant } from "./reminder-time.ts";
import { isParleyError } from "./errors.ts";

// Saturday 5 December 2026, 14:10 in Berlin (13:10 UTC).
const now = Date.UTC(2026, 11, 5, 13, 10);
const berlin = { now, timeZone: "Europe/Berlin" };
const utc = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

test("relative times count from now", () => {
  assert.deepEqual(parseReminder("me in 20 minutes check the build", berlin), { dueAt: now + 20 * 60_000, text: "check the build" });
  assert.equal(parseReminder("in 2 hours x", berlin).dueAt, now + 2 * 3_600_000);
  assert.equal(parseReminder("in 3 days x", berlin).dueAt, now + 3 * 86_400_000);
  assert.equal(parseReminder("in an hour x", berlin).dueAt, now + 3_600_000);
  assert.equal(parseReminder("in 1 week x", berlin).dueAt, now + 7 * 86_400_000);
  assert.equal(parseReminder("in 45min x", berlin).dueAt, now + 45 * 60_000);
  assert.equal(parseReminder("Me In 5 Mins to stretch", berlin).text, "stretch");
});

test("days and clock times are the user's wall clock, not the server's", () => {
  assert.equal(parseReminder("me tomorrow call Ann", berlin).dueAt, utc(2026, 12, 6, 8)); // 9:00 Berlin
  assert.equal(parseReminder("tomorrow at 9am call Ann", berlin).dueAt, utc(2026, 12, 6, 8));
  assert.equal(parseReminder("tomorrow at 5:30 pm x", berlin).dueAt, utc(2026, 12, 6, 16, 30));
  assert.equal(parseReminder("at 15:30 standup", berlin).dueAt, utc(2026, 12, 5, 14, 30));
  // 9:00 has passed today in Berlin: tomorrow.
  assert.equal(parseReminder("at 9 x", berlin).dueAt, utc(2026, 12, 6, 8));
  assert.equal(parseReminder("on 2026-12-24 presents", berlin).dueAt, utc(2026, 12, 24, 8));
  assert.equal(parseReminder("on 2026-12-24 at 18:00 presents", berlin).dueAt, utc(2026, 12, 24, 17));
  // Next week is Monday 7 December, 9:00.
  assert.equal(parseReminder("next week review", berlin).dueAt, utc(2026, 12, 7, 8));
  // Another zone, the same words: another instant.
  assert.equal(parseReminder("tomorrow at 9am x", { now, timeZone: "America/New_York" }).dueAt, utc(2026, 12, 6, 14));
  assert.equal(parseReminder("at noon x", { now, timeZone: "Asia/Tokyo" }).dueAt, utc(2026, 12, 6, 3)); // 22:10 in Tokyo now
});

test("daylight saving: the wall time is kept across the change", () => {
  // Berlin moves to summer time on 28 March 2027 at 2:00 → 3:00.
  assert.equal(zonedInstant({ year: 2027, month: 3, day: 28, hour: 9, minute: 0 }, "Europe/Berlin"), utc(2027, 3, 28, 7));
  assert.equal(zonedInstant({ year: 2027, month: 3, day: 27, hour: 9, minute: 0 }, "Europe/Berlin"), utc(2027, 3, 27, 8));
  const before = Date.UTC(2027, 2, 27, 12);
  assert.equal(parseReminder("tomorrow at 9:00 x", { now: before, timeZone: "Europe/Berlin" }).dueAt, utc(2027, 3, 28, 7));
});

test("bad input is refused with what to fix and the usage", () => {
  const refuse = (args: string, what: RegExp) =>
    assert.throws(
      () => parseReminder(args, berlin),
      (err: unknown) => isParleyError(err, "bad_request") && what.test(err.message) && /\/remind me in 20 minutes/.test(err.message),
      args,
    );
  refuse("", /say when/);
  refuse("me", /say when/);
  refuse("me later buy milk", /cannot tell when "later buy milk"/);
  refuse("in 20 parsecs x", /"parsecs" is not a unit/);
  refuse("in 0 minutes x", /at least 1 minute/);
  refuse("at 25:00 x", /"25:00" is not a time/);
  refuse("at 13pm x", /"13pm" is not a time/);
  refuse("on 2026-02-30 x", /2026-02-30 is not a date/);
  refuse("on 2020-01-01 x", /has passed/);
  refuse("in 20 minutes", /say what to remind you of/);
  assert.deepEqual(parseReminder("in 20 minutes", { ...berlin, allowEmptyText: true }), { dueAt: now + 20 * 60_000, text: "" });
});
