import crypto from "node:crypto";

/** A new opaque id: a type prefix and 16 random bytes, base64url (`usr_Q2...`). */
export function newId(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(16).toString("base64url")}`;
}

/**
 * A new secret token (32 random bytes, hex). Hex, not base64url: a token that
 * starts with "-" is taken for an option by command-line parsers (`--token -x…`).
 */
export function newSecret(): string {
  return crypto.randomBytes(32).toString("hex");
}

/** SHA-256 of a secret token, hex; only hashes of tokens are stored. */
export function hashSecret(token: string): string {
  return crypto.createHash("sha256").update(token).digest("hex");
}
