/**
 * The browser-binding cookie of a single sign-on: a random value set with the redirect to
 * the IdP, whose hash the state row and the one-time code keep. The callback and the code
 * exchange only work in the browser that holds it, so a sign-in link (or `/sso#code=`) that
 * an attacker started cannot sign a victim's browser in to the attacker's account (login CSRF).
 *
 * HttpOnly, SameSite=Lax (sent on the IdP's top-level redirect back), Secure on https, ten
 * minutes; one value per browser, kept across concurrent sign-ins in several tabs.
 */
import crypto from "node:crypto";

const COOKIE_NAME = "parley_sso";
const VALUE = /^[0-9a-f]{64}$/;

/** The cookie's value from a Cookie header, when it is well-formed. */
export function browserSecretOf(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    const value = rest.join("=");
    if (name === COOKIE_NAME && VALUE.test(value)) return value;
  }
  return undefined;
}

/** The value to use for a new sign-in: the browser's current one, or a fresh one. */
export function browserSecretFor(cookieHeader: string | undefined): string {
  return browserSecretOf(cookieHeader) ?? crypto.randomBytes(32).toString("hex");
}

/** The Set-Cookie header that sets (or, with null, clears) the cookie. */
export function browserCookie(value: string | null, publicUrl: string): string {
  const secure = publicUrl.startsWith("https:") ? "; Secure" : "";
  return value === null
    ? `${COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure}`
    : `${COOKIE_NAME}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600${secure}`;
}
