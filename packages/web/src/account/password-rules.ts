/**
 * How the app words a refused password (the server's `password_rejected`, whose
 * `details.reason` says why) and the checks a new-password form makes before asking
 * the server: the two copies match, and the length meets the org's policy. The wire
 * takes 8 to 256 characters; anything shorter than the policy is refused here with
 * the server's own words, so a 5-character password never turns into a bare
 * "validation failed".
 */

/** Most characters a password may have on the wire. */
const PASSWORD_MAX_LENGTH = 256;

/** The sentence for a `password_rejected` error's details (reason and, for too_short, minLength). */
export function passwordRejectedMessage(details: unknown): string {
  const d = (details ?? {}) as { reason?: unknown; minLength?: unknown };
  switch (d.reason) {
    case "too_short":
      return typeof d.minLength === "number"
        ? `That password is too short: use at least ${d.minLength} characters. A few unrelated words make a long password that is easy to remember.`
        : "That password is too short: use a longer one. A few unrelated words make a long password that is easy to remember.";
    case "common":
      return "That password is on a list of common or leaked passwords, so it is easy to guess. Choose another one, for example a few unrelated words.";
    case "contains_name":
      return "That password contains your username or the organisation's name, so it is easy to guess. Choose one without them.";
    default:
      return "That password is not allowed by your organisation's password policy. Choose another one.";
  }
}

/**
 * What is wrong with a new password before it is sent, or undefined when it may be
 * sent (the server still applies the rest of the policy).
 */
export function checkNewPassword(password: string, confirm: string, minLength: number): string | undefined {
  // Characters as the server counts them (code points: an emoji is one); the wire's maximum counts UTF-16 units.
  if ([...password].length < minLength) return passwordRejectedMessage({ reason: "too_short", minLength });
  if (password.length > PASSWORD_MAX_LENGTH) return `That password is too long: use at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (password !== confirm) return "The two passwords differ. Type the same new password in both fields.";
  return undefined;
}

/** The hint under a new-password field. */
export function passwordHint(minLength: number): string {
  return `At least ${minLength} characters. Length matters more than symbols: a few unrelated words are strong and easy to remember.`;
}
