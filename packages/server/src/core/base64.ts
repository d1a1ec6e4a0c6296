/** Base64 at the API's edge: stored bytes out, validated request strings in. */

/** Bytes as base64. */
export const toBase64 = (b: Uint8Array): string => Buffer.from(b).toString("base64");

/** A (schema-validated) base64 string as bytes. */
export const fromBase64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));
