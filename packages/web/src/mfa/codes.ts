/**
 * The codes of two-factor authentication as the user types, reads and keeps them: a six-digit
 * authenticator code (typed with spaces or pasted as "123 456"), a recovery code (`xxxxx-xxxxx`,
 * case and dashes ignored by the server), the app's secret grouped for typing it by hand, the
 * QR code as an image URL (never markup in the page), and the recovery codes as a text file.
 */

/** Digits of an authenticator code as typed or pasted ("123 456"): anything else dropped, at most six digits kept. */
export function totpInput(typed: string): string {
  return typed.replace(/\D/g, "").slice(0, 6);
}

/** Whether `code` (as {@link totpInput} left it) is a whole six-digit code. */
export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/** A recovery code as typed, trimmed; undefined when it cannot be one (10 letters or digits, dashes and spaces aside). */
export function recoveryCodeInput(typed: string): string | undefined {
  const code = typed.trim();
  const chars = code.replace(/[\s-]/g, "");
  return /^[A-Za-z0-9]{10}$/.test(chars) ? code : undefined;
}

/** The authenticator secret (base32) in groups of four, as the user types it into an app by hand. */
export function groupSecret(secret: string): string {
  return (
    secret
      .replace(/\s/g, "")
      .toUpperCase()
      .match(/.{1,4}/g)
      ?.join(" ") ?? ""
  );
}

/** The server's QR code (an SVG document) as a data: URL for an <img>: its markup never enters the page's DOM. */
export function svgDataUrl(svg: string): string {
  const bytes = new TextEncoder().encode(svg);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `data:image/svg+xml;base64,${btoa(binary)}`;
}

/** The recovery codes as a text file to keep: whose they are, how to use them, one code a line. */
export function recoveryCodesText(a: { codes: string[]; username: string; orgName: string; createdAt: Date }): string {
  return [
    `Parley recovery codes for ${a.username} in ${a.orgName}`,
    `Created ${a.createdAt.toISOString().slice(0, 10)}.`,
    "",
    "Each code signs you in once when you cannot use your authenticator app.",
    "Keep them somewhere safe, such as a password manager. New codes replace all of these.",
    "",
    ...a.codes,
    "",
  ].join("\n");
}

/** The file name of the downloaded recovery codes. */
export function recoveryCodesFileName(orgSlug: string, username: string): string {
  return `parley-recovery-codes-${orgSlug}-${username}.txt`.replace(/[^\w.-]/g, "_");
}
