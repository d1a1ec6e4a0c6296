import { test } from "node:test";
import assert from "node:assert/strict";
import { isKnownTimeZone, statusEndsAt } from "./profile-models.ts";

test("time zones: canonical names, self-resolving ones and IANA links pass; unknown names and a known name in the wrong case do not", () => {
  for (const tz of ["Europe/Berlin", "UTC", "Asia/Kathmandu", "Asia/Katmandu", "Europe/Kyiv", "US/Eastern"]) assert.ok(isKnownTimeZone(tz), tz);
  for (const tz of ["Mars/Olympus_Mons", "europe/berlin", "", "Europe/Berlin "]) assert.ok(!isKnownTimeZone(tz), tz);
});

test("a status's end: minutes and hours from now, the end of the local day, the end of the local Sunday", () => {
  const wed = new Date(2026, 11, 2, 10, 15); // a Wednesday, local time
  assert.equal(statusEndsAt("30m", wed), wed.getTime() + 30 * 60_000);
  assert.equal(statusEndsAt("1h", wed), wed.getTime() + 3_600_000);
  assert.equal(statusEndsAt("4h", wed), wed.getTime() + 4 * 3_600_000);
  assert.equal(statusEndsAt("today", wed), new Date(2026, 11, 2, 23, 59, 59, 999).getTime());
  assert.equal(statusEndsAt("week", wed), new Date(2026, 11, 6, 23, 59, 59, 999).getTime(), "Sunday 6 December");
  const sun = new Date(2026, 11, 6, 8, 0);
  assert.equal(statusEndsAt("week", sun), new Date(2026, 11, 6, 23, 59, 59, 999).getTime(), "on a Sunday: that day");
});
