// Shamir secret sharing over GF(256) (issue 11): the org's compliance archive private key can
// be split M-of-N among compliance officers, who bring M shares together on one machine to
// run an export. Each byte of the secret is the constant term of its own random polynomial
// of degree M-1; share i holds every polynomial's value at x = i.
//
// What is shared is `secret ‖ check`, with check = SHA-256(label ‖ secret)[0..8]: a
// combination that yields a wrong secret (an altered share whose checksum was recomputed, a
// share relabelled with another index) fails the check instead of returning a wrong key. The
// check is itself shared, so fewer than M shares say nothing about it either, even when the
// secret has little entropy (a departure from carrying a hash of the secret in clear).
//
// Share text, one line an officer can store or print (whitespace is ignored when read back):
//   parley-share-1:<splitId: 16 hex>:<M>:<index>:<base64url payload>:<checksum: 8 hex>
// where checksum = SHA-256 of everything before its ':' (first 4 bytes), so a mistyped
// share is refused on its own, before any combination.
//
// The field arithmetic uses no lookup tables (no secret-dependent memory access) and no
// secret-dependent branches: multiplication is shift-and-add with masks, inversion is a
// fixed chain of multiplications (a^254).
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, equalBytes, toHex, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";

const PREFIX = "parley-share-1";
const CHECK_LABEL = utf8("parley shamir v1");
const CHECK_BYTES = 8;
const CHECKSUM_BYTES = 4;
const SPLIT_ID_BYTES = 8;
/** Largest secret this splits: keys are 32 bytes; the bound keeps a share printable. */
const MAX_SECRET_BYTES = 1024;
const MAX_SHARES = 255;

/** What a share's header says, as {@link parseSecretShare} reads it. */
export interface SecretShareInfo {
  /** 16 hex digits, the same in every share of one split. */
  splitId: string;
  /** M: how many shares of this split rebuild the secret. */
  threshold: number;
  /** This share's x coordinate, 1..255 (unique within its split). */
  index: number;
}

interface Share extends SecretShareInfo {
  payload: Uint8Array;
}

/** Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (0x11b), without tables or branches. */
function gfMul(a: number, b: number): number {
  let p = 0;
  for (let i = 0; i < 8; i++) {
    p ^= -(b & 1) & a;
    const carry = -((a >> 7) & 1) & 0x1b;
    a = ((a << 1) & 0xff) ^ carry;
    b >>= 1;
  }
  return p & 0xff;
}

/** Multiplicative inverse as a^254 (a^255 = 1 for a ≠ 0); the caller never passes 0. */
function gfInv(a: number): number {
  const a2 = gfMul(a, a);
  const a3 = gfMul(a2, a);
  const a6 = gfMul(a3, a3);
  const a12 = gfMul(a6, a6);
  const a15 = gfMul(a12, a3);
  const a30 = gfMul(a15, a15);
  const a60 = gfMul(a30, a30);
  const a63 = gfMul(a60, a3);
  const a126 = gfMul(a63, a63);
  const a127 = gfMul(a126, a);
  return gfMul(a127, a127); // a^254
}

function checkValue(secret: Uint8Array): Uint8Array {
  return sha256(concat(CHECK_LABEL, secret)).subarray(0, CHECK_BYTES);
}

function toBase64Url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function checksumOf(body: string): string {
  return toHex(sha256(utf8(body)).subarray(0, CHECKSUM_BYTES));
}

function formatShare(s: Share): string {
  const body = `${PREFIX}:${s.splitId}:${s.threshold}:${s.index}:${toBase64Url(s.payload)}`;
  return `${body}:${checksumOf(body)}`;
}

function checkCounts(threshold: number, count: number): void {
  if (!Number.isInteger(threshold) || !Number.isInteger(count)) throw new E2eeError("bad_input", "the threshold and share count are whole numbers");
  // M = 1 would hand every holder the secret itself under the name of a share: refused.
  if (threshold < 2) throw new E2eeError("bad_input", "a split needs a threshold of at least 2 (with 1, every share is the secret itself)");
  if (count < threshold) throw new E2eeError("bad_input", `${count} shares cannot meet a threshold of ${threshold}`);
  if (count > MAX_SHARES) throw new E2eeError("bad_input", `at most ${MAX_SHARES} shares`);
}

/**
 * Splits `secret` (1..1024 bytes, e.g. a 32-byte X25519 private key) into `count` shares of
 * which any `threshold` rebuild it (2 ≤ threshold ≤ count ≤ 255); fewer reveal nothing about
 * it. Returns the shares' text, index 1 first. Each call makes a new random split with its
 * own split id.
 * Errors: E2eeError `bad_input` (sizes or counts out of range).
 */
export function splitSecret(secret: Uint8Array, threshold: number, count: number): string[] {
  checkCounts(threshold, count);
  if (secret.length < 1 || secret.length > MAX_SECRET_BYTES) throw new E2eeError("bad_input", `a secret to split is 1..${MAX_SECRET_BYTES} bytes`);
  const splitId = toHex(crypto.getRandomValues(new Uint8Array(SPLIT_ID_BYTES)));
  const shared = concat(secret, checkValue(secret));
  const coefficients = new Uint8Array(threshold - 1);
  const payloads = Array.from({ length: count }, () => new Uint8Array(shared.length));
  try {
    for (let j = 0; j < shared.length; j++) {
      crypto.getRandomValues(coefficients);
      for (let i = 0; i < count; i++) {
        // Horner's rule at x = i + 1: ((c_{M-1}·x + c_{M-2})·x + … + c_1)·x + secret byte.
        const x = i + 1;
        let y = 0;
        for (let k = coefficients.length - 1; k >= 0; k--) y = gfMul(y, x) ^ coefficients[k]!;
        payloads[i]![j] = gfMul(y, x) ^ shared[j]!;
      }
    }
    return payloads.map((payload, i) => formatShare({ splitId, threshold, index: i + 1, payload }));
  } finally {
    coefficients.fill(0);
    shared.fill(0);
    for (const p of payloads) p.fill(0);
  }
}

function malformed(message: string): E2eeError {
  return new E2eeError("share_malformed", message);
}

function parse(text: string): Share {
  const clean = text.replace(/\s+/g, "");
  const parts = clean.split(":");
  if (parts[0] !== PREFIX) throw malformed(`a share starts with "${PREFIX}:"`);
  if (parts.length !== 6) throw malformed("a share has six fields separated by ':'");
  const [, splitId, m, index, payloadText, checksum] = parts as [string, string, string, string, string, string];
  if (!/^[0-9a-f]{8}$/i.test(checksum)) throw malformed("a share ends with an 8-digit hex checksum");
  if (checksumOf(clean.slice(0, clean.lastIndexOf(":"))) !== checksum.toLowerCase())
    throw new E2eeError("share_checksum", "the share's checksum does not match: check it for a typo");
  // The checksum holds, so what follows catches shares made by a broken or hostile tool.
  if (!/^[0-9a-f]{16}$/.test(splitId)) throw malformed("a share's split id is 16 lowercase hex digits");
  if (!/^[1-9][0-9]{0,2}$/.test(m) || !/^[1-9][0-9]{0,2}$/.test(index)) throw malformed("a share's threshold and index are numbers 1..255");
  const threshold = Number(m);
  const x = Number(index);
  if (threshold < 2 || threshold > MAX_SHARES || x > MAX_SHARES) throw malformed("a share's threshold is 2..255 and its index 1..255");
  const payload = fromBase64Url(payloadText);
  if (!payload || payload.length <= CHECK_BYTES || payload.length > MAX_SECRET_BYTES + CHECK_BYTES)
    throw malformed("a share's payload is not base64url of a share");
  return { splitId, threshold, index: x, payload };
}

/**
 * Reads one share as typed or pasted (whitespace anywhere is ignored) and returns its header,
 * so a tool can check each share as an officer enters it.
 * Errors: E2eeError `share_malformed` (not a share of this format), `share_checksum` (a typo).
 */
export function parseSecretShare(text: string): SecretShareInfo {
  const { splitId, threshold, index } = parse(text);
  return { splitId, threshold, index };
}

/**
 * Rebuilds the secret from at least `threshold` shares of one split, in any order. Every
 * share given is used, so a share that disagrees with the others fails the secret's check
 * rather than being ignored.
 * Errors: E2eeError `share_malformed` / `share_checksum` (a share on its own),
 * `share_split_mismatch` (shares of different splits), `share_duplicate` (an index twice),
 * `share_too_few` (fewer than the threshold), `share_secret_mismatch` (the shares combine to
 * a value that fails the secret's check: one of them was altered).
 */
export function combineSecretShares(texts: readonly string[]): Uint8Array {
  const shares = texts.map(parse);
  const first = shares[0];
  if (!first) throw new E2eeError("share_too_few", "no shares given");
  for (const s of shares) {
    if (s.splitId !== first.splitId)
      throw new E2eeError("share_split_mismatch", `shares of two different splits (${first.splitId} and ${s.splitId}): use shares of one split only`);
    if (s.threshold !== first.threshold || s.payload.length !== first.payload.length)
      throw new E2eeError("share_split_mismatch", `shares of split ${first.splitId} disagree on its threshold or size`);
  }
  const seen = new Set<number>();
  for (const s of shares) {
    if (seen.has(s.index)) throw new E2eeError("share_duplicate", `share ${s.index} of split ${first.splitId} was given twice`);
    seen.add(s.index);
  }
  if (shares.length < first.threshold) throw new E2eeError("share_too_few", `split ${first.splitId} needs ${first.threshold} shares; ${shares.length} given`);

  // Lagrange interpolation at x = 0: secret = Σ y_i · Π_{j≠i} x_j / (x_i ⊕ x_j).
  const weights = shares.map((si) => {
    let num = 1;
    let den = 1;
    for (const sj of shares) {
      if (sj === si) continue;
      num = gfMul(num, sj.index);
      den = gfMul(den, si.index ^ sj.index);
    }
    return gfMul(num, gfInv(den));
  });
  const shared = new Uint8Array(first.payload.length);
  for (let j = 0; j < shared.length; j++) {
    let v = 0;
    for (let i = 0; i < shares.length; i++) v ^= gfMul(weights[i]!, shares[i]!.payload[j]!);
    shared[j] = v;
  }
  const secret = shared.slice(0, shared.length - CHECK_BYTES);
  const ok = equalBytes(checkValue(secret), shared.subarray(shared.length - CHECK_BYTES));
  shared.fill(0);
  for (const s of shares) s.payload.fill(0);
  if (!ok) {
    secret.fill(0);
    throw new E2eeError("share_secret_mismatch", "these shares do not rebuild the secret: one of them was altered");
  }
  return secret;
}

/** Internal (tests): the field operations, to check them against their definition. */
export const gf256 = { mul: gfMul, inv: gfInv };
