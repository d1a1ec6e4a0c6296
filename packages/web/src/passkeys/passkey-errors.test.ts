import { test } from "node:test";
import assert from "node:assert/strict";
import { ParleyError, type ParleyErrorCode } from "@parley/sdk";
import { WebAuthnError } from "@simplewebauthn/browser";
import { describeMfaError } from "../mfa/mfa-errors.ts";
import { describePasskeyError } from "./passkey-errors.ts";

const err = (code: ParleyErrorCode, details?: unknown) => new ParleyError({ code, message: `server says ${code}`, ...(details ? { details } : {}) });
const refused = (reason: string) => err("passkey_invalid", { reason });
const browser = (name: string, code?: string) =>
  code ? new WebAuthnError({ message: "x", code: code as WebAuthnError["code"], cause: new DOMException("x", name) }) : new DOMException("x", name);

test("the browser's prompt: closed or timed out, on an IP address, already holding one", () => {
  assert.match(describePasskeyError(browser("NotAllowedError"), "add"), /^No passkey was created: the prompt was closed or timed out/);
  assert.match(
    describePasskeyError(browser("NotAllowedError", "ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY"), "sign-in"),
    /or there is no passkey for Parley on this device\. Try again, or sign in with your username and password\.$/,
  );
  assert.match(describePasskeyError(browser("NotAllowedError"), "second-factor"), /Try again, or use another way to verify\.$/);
  assert.match(describePasskeyError(browser("SecurityError", "ERROR_INVALID_DOMAIN"), "sign-in"), /not at an IP address/);
  assert.match(describePasskeyError(browser("SecurityError", "ERROR_INVALID_RP_ID"), "add"), /only at its public address/);
  assert.match(
    describePasskeyError(browser("InvalidStateError", "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED"), "add"),
    /already holds a passkey for your account/,
  );
  assert.match(describePasskeyError(browser("UnknownError", "ERROR_AUTHENTICATOR_GENERAL_ERROR"), "add"), /could not create the passkey/);
});

test("the server's refusals say which check failed and what to do on each form", () => {
  assert.match(describePasskeyError(refused("unknown_credential"), "sign-in"), /not registered in this organisation\. Check the organisation above/);
  assert.match(describePasskeyError(refused("unknown_credential"), "second-factor"), /not registered for your account/);
  assert.match(describePasskeyError(refused("wrong_user"), "second-factor"), /belongs to another account/);
  assert.match(describePasskeyError(refused("user_verification"), "sign-in"), /did not confirm it was you \(fingerprint, face or PIN\)/);
  assert.match(describePasskeyError(refused("challenge"), "sign-in"), /expired or was already answered\. Try again/);
  assert.match(describePasskeyError(refused("challenge"), "add-name"), /took too long to save \(the prompt lasts 5 minutes\)\. Start again with your password/);
  assert.match(describePasskeyError(refused("verification"), "add-name"), /could not be registered/);
  assert.match(describePasskeyError(err("invalid_credentials"), "add"), /current password is wrong/);
  assert.match(describePasskeyError(err("forbidden"), "remove"), /last second factor\. Add another passkey or set up an authenticator app first/);
  assert.match(describePasskeyError(err("not_found"), "rename"), /already removed/);
  assert.match(describePasskeyError(err("validation_failed"), "rename"), /1 to 80 characters/);
  assert.match(describePasskeyError(err("mfa_challenge_invalid"), "second-factor"), /enter your password again/);
  // Anything else: the app's words.
  assert.match(describePasskeyError(err("network"), "list"), /Cannot reach the server/);
});

test("sign-in's second step with a passkey: the passkey's words, the sign-in's for the rest", () => {
  assert.match(describeMfaError(refused("wrong_user"), "sign-in-passkey"), /belongs to another account/);
  assert.match(describeMfaError(browser("NotAllowedError"), "sign-in-passkey"), /^No passkey was used/);
  assert.match(describeMfaError(err("mfa_challenge_invalid"), "sign-in-passkey"), /Enter your password again/);
  assert.equal(
    describeMfaError(new ParleyError({ code: "login_throttled", message: "x", retryAfter: 120 }), "sign-in-passkey"),
    "Too many attempts. Wait 2 minutes and try again.",
  );
});
