/** How the app words an encryption reset: the timeline row, and errors of the reset action. */
import type { EncryptionReset } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { describeError } from "../client/session.ts";

/** The row's sentence and its detail (tooltip) for a "reset" event; `nameOf` names the user who reset. */
export function describeReset(reset: EncryptionReset | undefined, nameOf: (userId: string) => string): { text: string; detail: string } {
  if (!reset) return { text: "Encryption was reset", detail: "A new encryption group starts here." };
  const detail = `A new encryption group (generation ${reset.generation}) starts here: every member's devices joined it on their own. Messages above were encrypted for the previous group.`;
  switch (reset.reason) {
    case "admin":
      return { text: reset.by ? `Encryption was reset by ${nameOf(reset.by)}` : "Encryption was reset", detail };
    case "unrecoverable":
      return { text: "Encryption was reset automatically (a device could not continue the old group)", detail };
    case "engine_upgrade":
      return { text: "Encryption was reset after an upgrade", detail };
    case "operator":
      return { text: "Encryption was reset by an operator", detail };
    default:
      return { text: "Encryption was reset", detail };
  }
}

/** Why the reset action failed, in words that say what to do. */
export function describeResetError(err: unknown): string {
  if (isParleyError(err)) {
    switch (err.code) {
      case "forbidden":
        return "You are not allowed to reset this channel's encryption: only its channel admins and the organisation's admins can.";
      case "channel_archived":
        return "This channel is archived. Unarchive it before resetting its encryption.";
      case "rate_limited":
        return `The encryption was reset moments ago. Wait ${err.retryAfter ? `${err.retryAfter} s` : "a moment"} and try again.`;
    }
  }
  return `Could not reset the encryption: ${describeError(err)}`;
}
