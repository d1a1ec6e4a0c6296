/**
 * Errors of the account screens in words that say what to do next. The same code
 * means different things on different screens (`email_unavailable` on "Forgot
 * password?" means "ask an admin"; on an invite, "send the link yourself"), so each
 * screen names its action; everything else falls back to the app's describeError.
 */
import { isParleyError } from "@parley/sdk";
import { describeError } from "../client/session.ts";

/** The screen or form a failure comes from. */
export type AccountAction =
  | "forgot-password"
  | "reset-password"
  | "verify-email"
  | "change-password"
  | "change-email"
  | "profile"
  | "avatar"
  | "admin-reset-password"
  | "admin-set-email"
  | "invite";

const WRONG_CURRENT = "Your current password is wrong. Type the password you sign in with now.";

/** A sentence for `err`, thrown by `action`. */
export function describeAccountError(err: unknown, action: AccountAction): string {
  if (!isParleyError(err)) return describeError(err);
  switch (err.code) {
    case "email_unavailable":
      if (action === "forgot-password") return "This server cannot send email; ask an admin to reset your password.";
      if (action === "change-email")
        return "This server cannot send email, so it cannot confirm a new address. Ask an admin of your organisation to set it for you.";
      if (action === "invite") return "This server cannot send email. Leave the email address empty and send the invite link yourself.";
      break;
    case "token_invalid":
      if (action === "reset-password") return "This link has expired or was already used; ask for a new one.";
      if (action === "verify-email") return "This link has expired or was already used. Change your email address again from your profile to get a new link.";
      break;
    case "invalid_credentials":
      if (action === "change-password" || action === "change-email") return WRONG_CURRENT;
      break;
    case "email_taken":
      if (action === "admin-set-email" || action === "invite") return "Another account of this organisation already uses that email address.";
      break;
    case "validation_failed":
      if (action === "forgot-password") return "Check the organisation id and the username or email address: one of them is not valid.";
      if (action === "change-email" || action === "admin-set-email" || action === "invite")
        return "That does not look like an email address (name@example.org). Check it and try again.";
      if (action === "profile")
        return "Check the profile: a name needs 1 to 80 characters, a status at most 140 on one line and one emoji, a title at most 100 characters, a time zone from the list, and a status must end in the future.";
      break;
    case "payload_too_large":
      if (action === "avatar") return "That picture is too large even after resizing. Try a smaller image.";
      break;
    case "forbidden":
      if (action === "admin-reset-password" || action === "admin-set-email")
        return "You are not allowed to change this account. Ask an owner of the organisation.";
      break;
    case "not_found":
      if (action === "admin-reset-password" || action === "admin-set-email") return "This user no longer exists. Reload the list.";
      break;
  }
  return describeError(err);
}
