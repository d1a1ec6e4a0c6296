import { test } from "node:test";
import assert from "node:assert/strict";
import { activeStatus, localTime, untilLabel } from "./profile-format.ts";

const NOON_UTC = Date.UTC(2026, 11, 5, 12, 0);

test("profile: an ended status is none; a running or open-ended one is shown", () => {
  assert.equal(activeStatus({ statusText: "Lunch", statusEmoji: "🍜", statusExpiresAt: NOON_UTC }, NOON_UTC), undefined);
  assert.deepEqual(activeStatus({ statusText: "Lunch", statusEmoji: "🍜", statusExpiresAt: NOON_UTC + 1 }, NOON_UTC), {
    emoji: "🍜",
    text: "Lunch",
    until: NOON_UTC + 1,
  });
  assert.deepEqual(activeStatus({ statusText: null, statusEmoji: "🌴", statusExpiresAt: null }, NOON_UTC), { emoji: "🌴", text: undefined, until: undefined });
  assert.equal(activeStatus({ statusText: null, statusEmoji: null }, NOON_UTC), undefined);
});

test("profile: when a status ends reads as today, tomorrow or a date in the reader's zone", () => {
  assert.equal(untilLabel(NOON_UTC + 30 * 60_000, NOON_UTC, "en-GB", "UTC"), "until 12:30");
  assert.equal(untilLabel(NOON_UTC + 22 * 3600_000, NOON_UTC, "en-GB", "UTC"), "until tomorrow 10:00");
  assert.equal(untilLabel(NOON_UTC + 3 * 86_400_000, NOON_UTC, "en-GB", "UTC"), "until Tue 8 Dec");
  // 16:00 UTC is already 01:00 the next day in Tokyo.
  assert.equal(untilLabel(NOON_UTC + 4 * 3600_000, NOON_UTC, "en-GB", "UTC"), "until 16:00");
  assert.equal(untilLabel(NOON_UTC + 4 * 3600_000, NOON_UTC, "en-GB", "Asia/Tokyo"), "until tomorrow 01:00");
});

test("profile: the local time in the user's zone; an unknown zone gives none", () => {
  assert.equal(localTime("Asia/Tokyo", NOON_UTC, "en-GB"), "21:00");
  assert.equal(localTime("America/New_York", NOON_UTC, "en-GB"), "07:00");
  assert.equal(localTime("Mars/Base", NOON_UTC, "en-GB"), undefined);
});
