/**
 * Errors of passkeys in words that say what to do next. Two kinds reach here: the browser's
 * (the WebAuthn prompt closed, timed out, or cannot work on this address; @simplewebauthn/browser
 * names them with a `code`) and the server's (`passkey_invalid`, whose `details.reason` says
 * which check failed, and the usual codes). Anything else falls back to the app's describeError.
 */
import { isParleyError } from "@parley/sdk";
import { describeError } from "../client/session.ts";

/** The form a failure comes from. */
export type PasskeyAction =
  /** The sign-in screen's "Sign in with a passkey". */
  | "sign-in"
  /** The second step of a password sign-in, answered with a passkey. */
  | "second-factor"
  /** Adding one on the profile: the current password (and the browser's prompt), then the name. */
  | "add"
  | "add-name"
  | "rename"
  | "remove"
  | "list";

/** Why the server refused a passkey's answer (passkey_invalid's details). */
type Reason = "challenge" | "unknown_credential" | "verification" | "user_verification" | "wrong_user";

const OTHER_WAY: Record<PasskeyAction, string> = {
  "sign-in": "Try again, or sign in with your username and password.",
  "second-factor": "Try again, or use another way to verify.",
  add: "Try again when you are ready.",
  "add-name": "Start again.",
  rename: "Try again.",
  remove: "Try again.",
  list: "Reload the page.",
};

/** A sentence for `err`, thrown by `action`. */
export function describePasskeyError(err: unknown, action: PasskeyAction): string {
  const browser = browserProblem(err, action);
  if (browser) return browser;
  if (!isParleyError(err)) return describeError(err);
  switch (err.code) {
    case "passkey_invalid":
      return refusedAnswer((err.details as { reason?: Reason } | undefined)?.reason, action);
    case "invalid_credentials":
      if (action === "add") return "Your current password is wrong. Type the password you sign in with now.";
      if (action === "sign-in") return "This account cannot sign in. Ask an admin of your organisation.";
      break;
    case "forbidden":
      if (action === "remove")
        return "Your organisation requires two-factor authentication, and this passkey is your last second factor. Add another passkey or set up an authenticator app first, then remove this one.";
      break;
    case "not_found":
      if (action === "rename" || action === "remove") return "This passkey was already removed, maybe in another tab. The list is up to date now.";
      break;
    case "validation_failed":
      if (action === "add-name" || action === "rename") return "A passkey's name needs 1 to 80 characters.";
      if (action === "sign-in") return "Check the organisation: it is the short id your admin gave you, such as acme.";
      break;
    case "mfa_challenge_invalid":
      return "This sign-in expired or had too many failed attempts. Go back and enter your password again.";
  }
  return describeError(err);
}

/** What the server's `passkey_invalid` means on each form. */
function refusedAnswer(reason: Reason | undefined, action: PasskeyAction): string {
  switch (reason) {
    case "challenge":
      return action === "add-name"
        ? "This passkey took too long to save (the prompt lasts 5 minutes). Start again with your password; you can remove the unsaved passkey from your device."
        : `This passkey prompt expired or was already answered. ${OTHER_WAY[action]}`;
    case "unknown_credential":
      return action === "sign-in"
        ? "That passkey is not registered in this organisation. Check the organisation above, or sign in with your username and password."
        : "That passkey is not registered for your account. Choose the passkey you added to this account, or use another way to verify.";
    case "wrong_user":
      return "That passkey belongs to another account. Choose the passkey of the account you are signing in to.";
    case "user_verification":
      return `Your passkey did not confirm it was you (fingerprint, face or PIN). ${OTHER_WAY[action]}`;
    default:
      return action === "add-name"
        ? "This passkey could not be registered. Start again, or save it somewhere else (another password manager or a security key)."
        : `Your passkey's answer could not be checked. ${OTHER_WAY[action]}`;
  }
}

/** The browser's WebAuthn failures (a DOMException name, or @simplewebauthn/browser's code). */
function browserProblem(err: unknown, action: PasskeyAction): string | undefined {
  if (!(err instanceof Error) || isParleyError(err)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (code === "ERROR_INVALID_DOMAIN")
    return "Passkeys work only when Parley is opened at a domain name (such as chat.example.org), not at an IP address. Ask your admin for the right address.";
  if (code === "ERROR_INVALID_RP_ID")
    return "Passkeys of this server work only at its public address. Open Parley there and try again, or ask your admin which address that is.";
  if (code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED")
    return "This device or password manager already holds a passkey for your account. Use that one, or save the new passkey somewhere else.";
  if (code === "ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT" || code === "ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT")
    return "This authenticator cannot keep a passkey that checks it is you (fingerprint, face or PIN). Use another one, such as your phone or your password manager.";
  if (code === "ERROR_AUTHENTICATOR_GENERAL_ERROR" || code === "ERROR_AUTHENTICATOR_NO_SUPPORTED_PUBKEYCREDPARAMS_ALG")
    return `Your authenticator could not ${action === "add" ? "create" : "use"} the passkey. ${OTHER_WAY[action]}`;
  // Closed, timed out, or no passkey for this site here: browsers give one name to all three.
  if (err.name === "NotAllowedError" || err.name === "AbortError" || code === "ERROR_CEREMONY_ABORTED") {
    if (action === "add") return "No passkey was created: the prompt was closed or timed out. Try again when you are ready.";
    if (action === "sign-in")
      return "No passkey was used: the prompt was closed or timed out, or there is no passkey for Parley on this device. Try again, or sign in with your username and password.";
    return `No passkey was used: the prompt was closed or timed out. ${OTHER_WAY[action]}`;
  }
  return undefined;
}
