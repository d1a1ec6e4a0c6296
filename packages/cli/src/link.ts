/**
 * Tokens that arrive by email as links: a password-reset link
 * (`https://chat.example.org/reset-password#token=…`) or an email-verification link
 * (`…/verify-email#token=…`). Commands accept the whole link as pasted, or the bare token.
 */
import { UsageError } from "./errors.ts";

/** The token of a pasted link (from its `#token=` fragment or `?token=` query), or the bare token; with the link's origin when it was a link. */
export function tokenFromLink(pasted: string, what: string): { token: string; origin: string | undefined } {
  const raw = pasted.trim();
  if (!/^https?:\/\//i.test(raw)) {
    if (!/^[^\s/#?]{16,128}$/.test(raw)) throw new UsageError(`that is not a ${what} link or token: paste the whole link from the email`);
    return { token: raw, origin: undefined };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`that is not a ${what} link: paste the whole link from the email`);
  }
  const token = new URLSearchParams(url.hash.replace(/^#/, "")).get("token") ?? url.searchParams.get("token");
  if (!token) throw new UsageError(`the ${what} link has no token: paste the whole link from the email (it ends in #token=…)`);
  return { token, origin: url.origin };
}
