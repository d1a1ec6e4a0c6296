import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_NOTIFY_SETTINGS, isQuiet, shouldNotify, type NotifyRuleSettings } from "./notify-rule.ts";

const NOW = Date.UTC(2026, 0, 5, 12, 0); // Monday 12:00 UTC
const settings = (over: Partial<NotifyRuleSettings> = {}): NotifyRuleSettings => ({ ...DEFAULT_NOTIFY_SETTINGS, ...over });
const plain = { senderId: "usr_a", mentions: [] as string[], direct: false };
const mention = { ...plain, mentions: ["usr_b"] };
const dm = { ...plain, direct: true };

test("the default (mentions): mentions and direct messages notify, other messages and one's own do not", () => {
  assert.equal(shouldNotify("usr_b", mention, settings(), undefined, NOW), true);
  assert.equal(shouldNotify("usr_b", dm, settings(), undefined, NOW), true);
  assert.equal(shouldNotify("usr_b", plain, settings(), undefined, NOW), false);
  assert.equal(shouldNotify("usr_a", dm, settings(), undefined, NOW), false, "the sender");
});

test("levels and channel overrides: all, nothing, muted; an override wins over the default", () => {
  assert.equal(shouldNotify("usr_b", plain, settings({ level: "all" }), undefined, NOW), true);
  assert.equal(shouldNotify("usr_b", mention, settings({ level: "nothing" }), undefined, NOW), false);
  assert.equal(shouldNotify("usr_b", mention, settings({ level: "all" }), "muted", NOW), false);
  assert.equal(shouldNotify("usr_b", plain, settings({ level: "nothing" }), "all", NOW), true);
  assert.equal(shouldNotify("usr_b", plain, settings({ level: "all" }), "mentions", NOW), false);
});

test("do-not-disturb and snooze silence what would notify; a snooze that ended does not", () => {
  const allDayMonday = [{ day: 1, start: 0, end: 0 }];
  assert.equal(shouldNotify("usr_b", mention, settings({ dndSchedule: allDayMonday }), undefined, NOW), false);
  assert.equal(shouldNotify("usr_b", mention, settings({ snoozeUntil: NOW + 1 }), undefined, NOW), false);
  assert.equal(shouldNotify("usr_b", mention, settings({ snoozeUntil: NOW }), undefined, NOW), true);
  // Monday 12:00 UTC is Monday 21:00 in Tokyo: a Monday evening window there applies, a Tuesday one does not.
  const tokyo = { timeZone: "Asia/Tokyo", snoozeUntil: null };
  assert.equal(isQuiet({ ...tokyo, dndSchedule: [{ day: 1, start: 20 * 60, end: 22 * 60 }] }, NOW), true);
  assert.equal(isQuiet({ ...tokyo, dndSchedule: [{ day: 2, start: 20 * 60, end: 22 * 60 }] }, NOW), false);
  // A window past midnight: Sunday 22:00 → Monday 13:00 covers Monday 12:00 UTC in UTC.
  assert.equal(isQuiet({ timeZone: "UTC", snoozeUntil: null, dndSchedule: [{ day: 0, start: 22 * 60, end: 13 * 60 }] }, NOW), true);
  assert.equal(isQuiet({ timeZone: "UTC", snoozeUntil: null, dndSchedule: [{ day: 0, start: 22 * 60, end: 11 * 60 }] }, NOW), false);
});
