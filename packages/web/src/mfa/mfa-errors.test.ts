import { test } from "node:test";
import assert from "node:assert/strict";
import { ParleyError, type ParleyErrorCode } from "@parley/sdk";
import { describeMfaError, waitWords } from "./mfa-errors.ts";

const err = (code: ParleyErrorCode, extra: { message?: string; retryAfter?: number } = {}) =>
  new ParleyError({ code, message: extra.message ?? `server says ${code}`, ...(extra.retryAfter !== undefined ? { retryAfter: extra.retryAfter } : {}) });

test("a wrong code says to wait for the next one; a wrong recovery code says to check it", () => {
  assert.equal(describeMfaError(err("mfa_invalid"), "sign-in-code"), "That code is wrong or was already used; wait for the next code.");
  assert.equal(describeMfaError(err("mfa_invalid"), "turn-off"), "That code is wrong or was already used; wait for the next code.");
  assert.match(describeMfaError(err("mfa_invalid"), "sign-in-recovery"), /recovery code is wrong or was already used\. Check it/);
  assert.match(describeMfaError(err("mfa_invalid"), "enrol-code"), /wait for the next code\. Check that the code is from the entry you just added/);
});

test("an expired sign-in goes back to the password; throttling names the wait", () => {
  assert.match(describeMfaError(err("mfa_challenge_invalid"), "sign-in-code"), /expired or had too many wrong codes\. Enter your password again/);
  assert.equal(describeMfaError(err("login_throttled", { retryAfter: 840 }), "sign-in-code"), "Too many wrong codes. Wait 14 minutes and try again.");
  assert.equal(describeMfaError(err("login_throttled", { retryAfter: 30 }), "enrol-password"), "Too many attempts. Wait 30 seconds and try again.");
  assert.equal(describeMfaError(err("login_throttled"), "recovery-codes"), "Too many wrong codes. Wait a few minutes and try again.");
  assert.equal(waitWords(89.2), "90 seconds");
  assert.equal(waitWords(90), "2 minutes");
  assert.equal(waitWords(0), "a few minutes");
});

test("refusals say what to do on each form", () => {
  assert.match(describeMfaError(err("invalid_credentials"), "enrol-password"), /current password is wrong/);
  assert.match(describeMfaError(err("invalid_credentials"), "turn-off"), /current password is wrong/);
  assert.match(describeMfaError(err("forbidden"), "turn-off"), /requires two-factor authentication, so you cannot turn it off/);
  assert.match(describeMfaError(err("forbidden"), "admin-reset"), /Only an owner can reset/);
  assert.match(describeMfaError(err("bad_request"), "policy"), /would require two-factor authentication of you.*Set it up on your profile first/);
  assert.match(describeMfaError(err("bad_request"), "enrol-password"), /already set up\. Turn it off first/);
  assert.match(describeMfaError(err("bad_request", { message: "start enrolling first (it expires after 15 minutes)" }), "enrol-code"), /expired.*Start again/);
  assert.match(describeMfaError(err("bad_request", { message: "an authenticator app is already set up" }), "enrol-code"), /already set up/);
  assert.match(describeMfaError(err("not_found"), "admin-reset"), /no longer exists/);
});

test("anything else falls back to the app's general wording", () => {
  assert.match(describeMfaError(err("network"), "sign-in-code"), /Cannot reach the server/);
  assert.match(describeMfaError(err("invalid_credentials"), "sign-in-code"), /Wrong organisation, username or password/);
  assert.equal(describeMfaError(new Error("boom"), "policy"), "boom");
});
