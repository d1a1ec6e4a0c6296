/**
 * Errors of two-factor authentication in words that say what to do next. A wrong code means
 * "wait for the next one" at sign-in and in the profile, but "check the code" for a recovery
 * code; a refusal (`forbidden`, `bad_request`) means something different on each form. Anything
 * else falls back to the app's describeError.
 */
import { isParleyError } from "@parley/sdk";
import { describeError } from "../client/session.ts";
import { describePasskeyError } from "../passkeys/passkey-errors.ts";

/** The form a failure comes from. */
export type MfaAction =
  /** Sign-in's second step with an authenticator code, a recovery code, or a passkey. */
  | "sign-in-code"
  | "sign-in-recovery"
  | "sign-in-passkey"
  /** Setting up: the current password (startTotp), then the first code (confirmTotp). */
  | "enrol-password"
  | "enrol-code"
  /** New recovery codes (a code from the app). */
  | "recovery-codes"
  /** Turning it off (current password and a code). */
  | "turn-off"
  /** Admin console: the org's policy; resetting a user's factors. */
  | "policy"
  | "admin-reset";

const WRONG_CODE = "That code is wrong or was already used; wait for the next code.";
const WRONG_PASSWORD = "Your current password is wrong. Type the password you sign in with now.";

/** "42 seconds", "15 minutes": how long to wait, from a Retry-After in seconds. */
export function waitWords(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return "a few minutes";
  if (seconds < 90) return `${Math.ceil(seconds)} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

/** A sentence for `err`, thrown by `action`. */
export function describeMfaError(err: unknown, action: MfaAction): string {
  // The browser's prompt and the server's passkey checks have their own words.
  if (action === "sign-in-passkey" && (!isParleyError(err) || err.code === "passkey_invalid")) return describePasskeyError(err, "second-factor");
  if (!isParleyError(err)) return describeError(err);
  switch (err.code) {
    case "mfa_invalid":
      if (action === "sign-in-recovery") return "That recovery code is wrong or was already used. Check it, or use another of your codes.";
      if (action === "enrol-code") return `${WRONG_CODE} Check that the code is from the entry you just added and that your phone's clock is right.`;
      return WRONG_CODE;
    case "mfa_challenge_invalid":
      return "This sign-in expired or had too many wrong codes. Enter your password again.";
    case "login_throttled":
      return action === "enrol-password" || action === "sign-in-passkey"
        ? `Too many attempts. Wait ${waitWords(err.retryAfter)} and try again.`
        : `Too many wrong codes. Wait ${waitWords(err.retryAfter)} and try again.`;
    case "invalid_credentials":
      if (action === "enrol-password" || action === "turn-off") return WRONG_PASSWORD;
      break;
    case "forbidden":
      if (action === "turn-off")
        return "Your organisation requires two-factor authentication, so you cannot turn it off. If you lost your phone, keep your recovery codes at hand or ask an admin to reset it.";
      if (action === "admin-reset") return "Only an owner can reset the two-factor authentication of an owner or admin.";
      if (action === "policy") return "Only owners and admins can change this policy.";
      break;
    case "bad_request":
      if (action === "enrol-password") return "An authenticator app is already set up. Turn it off first to replace it.";
      if (action === "enrol-code")
        return /already/.test(err.message)
          ? "An authenticator app is already set up for your account."
          : "This setup has expired (it lasts 15 minutes). Start again with your password.";
      if (action === "recovery-codes") return "Two-factor authentication is off, so there are no recovery codes to replace.";
      if (action === "policy")
        return "This policy would require two-factor authentication of you, and you have not set it up. Set it up on your profile first, then save the policy.";
      break;
    case "not_found":
      if (action === "admin-reset") return "This user no longer exists. Reload the list.";
      break;
  }
  return describeError(err);
}
