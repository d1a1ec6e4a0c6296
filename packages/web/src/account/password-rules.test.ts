import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNewPassword, passwordHint, passwordRejectedMessage } from "./password-rules.ts";

test("password_rejected: each reason says why and what to do; too_short names the policy's minimum", () => {
  assert.match(passwordRejectedMessage({ reason: "too_short", minLength: 12 }), /too short: use at least 12 characters/);
  assert.match(passwordRejectedMessage({ reason: "too_short" }), /too short: use a longer one/);
  assert.match(passwordRejectedMessage({ reason: "common" }), /common or leaked.*Choose another/);
  assert.match(passwordRejectedMessage({ reason: "contains_name" }), /contains your username or the organisation's name/);
  assert.match(passwordRejectedMessage(undefined), /not allowed by your organisation's password policy/);
  assert.match(passwordRejectedMessage({ reason: "something new" }), /password policy/);
});

test("a new password is checked for the policy's length and a matching confirmation before it is sent", () => {
  assert.equal(checkNewPassword("short", "short", 10), passwordRejectedMessage({ reason: "too_short", minLength: 10 }));
  assert.match(checkNewPassword("correct horse battery", "correct horse battery!", 10)!, /two passwords differ/);
  assert.match(checkNewPassword("x".repeat(257), "x".repeat(257), 10)!, /too long: use at most 256/);
  assert.equal(checkNewPassword("correct horse battery", "correct horse battery", 10), undefined);
  // Exactly the minimum is enough.
  assert.equal(checkNewPassword("abcdefgh", "abcdefgh", 8), undefined);
  // Counted as the server counts: an emoji is one character, not two UTF-16 units.
  assert.match(checkNewPassword("abcdefg😀", "abcdefg😀", 9)!, /too short/);
  assert.match(passwordHint(14), /^At least 14 characters\./);
});
