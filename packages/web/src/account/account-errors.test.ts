import { test } from "node:test";
import assert from "node:assert/strict";
import { ParleyError, type ParleyErrorCode } from "@parley/sdk";
import { describeAccountError } from "./account-errors.ts";

const err = (code: ParleyErrorCode, details?: unknown) => new ParleyError({ code, message: `server says ${code}`, details });

test("email_unavailable tells each screen what to do instead", () => {
  assert.equal(describeAccountError(err("email_unavailable"), "forgot-password"), "This server cannot send email; ask an admin to reset your password.");
  assert.match(describeAccountError(err("email_unavailable"), "change-email"), /cannot confirm a new address.*Ask an admin/);
  assert.match(describeAccountError(err("email_unavailable"), "invite"), /Leave the email address empty and send the invite link yourself/);
});

test("token_invalid: a reset link sends the user to ask for a new one; an email link to the profile", () => {
  assert.equal(describeAccountError(err("token_invalid"), "reset-password"), "This link has expired or was already used; ask for a new one.");
  assert.match(describeAccountError(err("token_invalid"), "verify-email"), /Change your email address again from your profile/);
});

test("password_rejected reasons come through on every screen that sets a password", () => {
  for (const action of ["reset-password", "change-password"] as const) {
    assert.match(describeAccountError(err("password_rejected", { reason: "too_short", minLength: 14 }), action), /at least 14 characters/);
    assert.match(describeAccountError(err("password_rejected", { reason: "common" }), action), /common or leaked/);
    assert.match(describeAccountError(err("password_rejected", { reason: "contains_name" }), action), /contains your username/);
  }
});

test("a wrong current password, a taken address, a bad address", () => {
  assert.match(describeAccountError(err("invalid_credentials"), "change-password"), /current password is wrong/);
  assert.match(describeAccountError(err("invalid_credentials"), "change-email"), /current password is wrong/);
  assert.match(describeAccountError(err("email_taken"), "change-email"), /already uses that email address\. Use a different one/);
  assert.match(describeAccountError(err("email_taken"), "admin-set-email"), /already uses that email address/);
  assert.match(describeAccountError(err("validation_failed"), "admin-set-email"), /does not look like an email address/);
  assert.match(describeAccountError(err("validation_failed"), "forgot-password"), /organisation id and the username or email/);
});

test("anything else falls back to the app's general wording", () => {
  assert.match(describeAccountError(err("rate_limited"), "forgot-password"), /Too many requests/);
  assert.match(describeAccountError(err("network"), "reset-password"), /Cannot reach the server/);
  assert.match(describeAccountError(err("login_throttled"), "change-password"), /Too many attempts/);
  assert.equal(describeAccountError(new Error("boom"), "profile"), "boom");
});
