import { test } from "node:test";
import assert from "node:assert/strict";
import { isKnownTimeZone } from "./profile-models.ts";

test("time zones: canonical names, self-resolving ones and IANA links pass; unknown names and a known name in the wrong case do not", () => {
  for (const tz of ["Europe/Berlin", "UTC", "Asia/Kathmandu", "Asia/Katmandu", "Europe/Kyiv", "US/Eastern"]) assert.ok(isKnownTimeZone(tz), tz);
  for (const tz of ["Mars/Olympus_Mons", "europe/berlin", "", "Europe/Berlin "]) assert.ok(!isKnownTimeZone(tz), tz);
});
