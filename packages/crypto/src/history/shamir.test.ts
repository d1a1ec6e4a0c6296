import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256 } from "@noble/hashes/sha2.js";
import { combineSecretShares, parseSecretShare, splitSecret } from "../index.ts";
import { isE2eeError, type E2eeErrorCode } from "../public.ts";
import { toHex, utf8 } from "../bytes.ts";
import { gf256 } from "./shamir.ts";

const code = (c: E2eeErrorCode) => (e: unknown) => isE2eeError(e, c);
const secret32 = () => crypto.getRandomValues(new Uint8Array(32));

/** Every k-element subset of xs (small inputs only). */
function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [head, ...rest] = xs as [T, ...T[]];
  return [...subsets(rest, k - 1).map((s) => [head, ...s]), ...subsets(rest, k)];
}

/** Rewrites one field of a share and recomputes its checksum, as a hostile or broken tool would. */
function reforge(share: string, field: number, value: string): string {
  const parts = share.split(":");
  parts[field] = value;
  const body = parts.slice(0, 5).join(":");
  return `${body}:${toHex(sha256(utf8(body)).subarray(0, 4))}`;
}

test("GF(256) arithmetic agrees with its definition (AES field, 0x11b)", () => {
  assert.equal(gf256.mul(0x57, 0x83), 0xc1, "FIPS 197 §4.2 example");
  assert.equal(gf256.mul(0x57, 0x13), 0xfe, "FIPS 197 §4.2.1 example");
  for (let a = 1; a < 256; a++) {
    assert.equal(gf256.mul(a, gf256.inv(a)), 1, `inverse of ${a}`);
    assert.equal(gf256.mul(a, 1), a);
    assert.equal(gf256.mul(a, 0), 0);
  }
});

test("a share is one printable line with split id, threshold, index, payload and checksum", () => {
  const shares = splitSecret(secret32(), 2, 3);
  assert.equal(shares.length, 3);
  const splitId = shares[0]!.split(":")[1]!;
  shares.forEach((s, i) => {
    assert.match(s, /^parley-share-1:[0-9a-f]{16}:2:[1-3]:[A-Za-z0-9_-]+:[0-9a-f]{8}$/);
    assert.deepEqual(parseSecretShare(s), { splitId, threshold: 2, index: i + 1 });
  });
  assert.notEqual(splitSecret(secret32(), 2, 3)[0]!.split(":")[1], splitId, "each split has its own id");
});

test("round trips: any M of N shares rebuild the secret, in any order", () => {
  for (const [m, n] of [
    [2, 2],
    [2, 3],
    [3, 5],
    [4, 7],
  ] as const) {
    const secret = secret32();
    const shares = splitSecret(secret, m, n);
    for (const subset of subsets(shares, m)) {
      assert.deepEqual(combineSecretShares(subset), secret, `${m}-of-${n}`);
      assert.deepEqual(combineSecretShares([...subset].reverse()), secret, `${m}-of-${n} reversed`);
    }
    assert.deepEqual(combineSecretShares(shares), secret, `all ${n} of ${m}-of-${n}`);
  }
});

test("edge sizes: 255 shares, a 1-byte and a 1024-byte secret, a secret of zeros", () => {
  const big = splitSecret(secret32(), 3, 255);
  assert.equal(big.length, 255);
  assert.equal(parseSecretShare(big[254]!).index, 255);
  const s = secret32();
  assert.deepEqual(combineSecretShares(splitSecret(s, 3, 255).slice(100, 103)), s);
  for (const secret of [Uint8Array.of(7), crypto.getRandomValues(new Uint8Array(1024)), new Uint8Array(32)]) {
    assert.deepEqual(combineSecretShares(splitSecret(secret, 2, 3).slice(1)), secret);
  }
});

test("a share alone says nothing about the secret: the payloads of two splits of one secret differ", () => {
  const secret = new Uint8Array(32);
  const a = splitSecret(secret, 2, 2)[0]!.split(":")[4];
  const b = splitSecret(secret, 2, 2)[0]!.split(":")[4];
  assert.notEqual(a, b);
  assert.ok(!a!.startsWith("AAAAAAAA"), "a share of zeros is not zeros");
});

test("bad splits are refused: M of 1 (every share would be the secret), M > N, N > 255, empty or huge secrets", () => {
  const bad = code("bad_input");
  assert.throws(() => splitSecret(secret32(), 1, 1), bad, "1-of-1");
  assert.throws(() => splitSecret(secret32(), 1, 3), bad, "1-of-3");
  assert.throws(() => splitSecret(secret32(), 0, 3), bad);
  assert.throws(() => splitSecret(secret32(), 4, 3), bad);
  assert.throws(() => splitSecret(secret32(), 2, 256), bad);
  assert.throws(() => splitSecret(secret32(), 2.5, 3), bad);
  assert.throws(() => splitSecret(new Uint8Array(0), 2, 3), bad);
  assert.throws(() => splitSecret(new Uint8Array(1025), 2, 3), bad);
});

test("M-1 shares are refused, and so is no share at all", () => {
  const shares = splitSecret(secret32(), 3, 5);
  assert.throws(() => combineSecretShares(shares.slice(0, 2)), code("share_too_few"));
  assert.throws(() => combineSecretShares(shares.slice(4)), code("share_too_few"));
  assert.throws(() => combineSecretShares([]), code("share_too_few"));
});

test("shares of two different splits are refused, even of the same secret", () => {
  const secret = secret32();
  const a = splitSecret(secret, 2, 3);
  const b = splitSecret(secret, 2, 3);
  assert.throws(() => combineSecretShares([a[0]!, b[1]!]), code("share_split_mismatch"));
  assert.throws(() => combineSecretShares([a[0]!, a[1]!, splitSecret(secret32(), 2, 3)[2]!]), code("share_split_mismatch"), "one stray among enough good ones");
  // A share relabelled into another split (checksum recomputed) is still caught: its threshold disagrees, or its values do.
  const relabelled = reforge(splitSecret(secret, 3, 3)[0]!, 1, a[0]!.split(":")[1]!);
  assert.throws(() => combineSecretShares([a[1]!, relabelled]), code("share_split_mismatch"));
});

test("the same share twice is refused, not counted twice", () => {
  const shares = splitSecret(secret32(), 2, 3);
  assert.throws(() => combineSecretShares([shares[0]!, shares[0]!]), code("share_duplicate"));
  const retyped = shares[0]!.replace(/(.{20})/g, "$1 ");
  assert.throws(() => combineSecretShares([shares[0]!, retyped]), code("share_duplicate"), "the same share typed again with spaces");
});

test("typos are caught by the checksum, before any combination", () => {
  const share = splitSecret(secret32(), 2, 3)[0]!;
  const payloadStart = share.indexOf(":", share.indexOf(":", share.indexOf(":", 15) + 1) + 1) + 1;
  for (const i of [16, 33, payloadStart + 3, share.length - 12, share.length - 1]) {
    const c = share[i]!;
    const typo = share.slice(0, i) + (c === "a" ? "b" : "a") + share.slice(i + 1);
    assert.throws(
      () => parseSecretShare(typo),
      (e) => isE2eeError(e, "share_checksum") || isE2eeError(e, "share_malformed"),
      `typo at ${i}`,
    );
  }
  const i = payloadStart + 5;
  const typo = share.slice(0, i) + (share[i] === "Q" ? "R" : "Q") + share.slice(i + 1);
  assert.throws(() => combineSecretShares([typo, splitSecret(secret32(), 2, 3)[1]!]), code("share_checksum"));
});

test("shares as printed and typed back: spaces and line breaks are ignored", () => {
  const secret = secret32();
  const shares = splitSecret(secret, 2, 3);
  const printed = shares.map((s) => (s.match(/.{1,24}/g) ?? []).join("\n  "));
  assert.deepEqual(combineSecretShares([` ${printed[2]}\n`, printed[0]!]), secret);
});

test("malformed shares are refused with share_malformed", () => {
  const malformed = code("share_malformed");
  const good = splitSecret(secret32(), 2, 3)[0]!;
  assert.throws(() => parseSecretShare(""), malformed);
  assert.throws(() => parseSecretShare("hello"), malformed);
  assert.throws(() => parseSecretShare(good.replace("parley-share-1", "parley-share-2")), malformed, "another format version");
  assert.throws(() => parseSecretShare(good + ":00"), malformed, "a seventh field");
  assert.throws(() => parseSecretShare(good.slice(0, -1)), malformed, "checksum cut short");
  // Well-checksummed but impossible headers (a broken tool): still refused.
  assert.throws(() => parseSecretShare(reforge(good, 1, "XYZ")), malformed, "split id");
  assert.throws(() => parseSecretShare(reforge(good, 2, "1")), malformed, "threshold 1");
  assert.throws(() => parseSecretShare(reforge(good, 3, "0")), malformed, "index 0");
  assert.throws(() => parseSecretShare(reforge(good, 3, "256")), malformed, "index 256");
  assert.throws(() => parseSecretShare(reforge(good, 3, "01")), malformed, "leading zero");
  assert.throws(() => parseSecretShare(reforge(good, 4, "AAAA")), malformed, "payload shorter than the check value");
  assert.throws(() => parseSecretShare(reforge(good, 4, "A+/=")), malformed, "not base64url");
});

test("an altered share with a recomputed checksum fails the secret's check instead of yielding a wrong key", () => {
  const secret = secret32();
  const shares = splitSecret(secret, 2, 3);
  const parts = shares[0]!.split(":");
  const payload = Uint8Array.from(atob(parts[4]!.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  payload[3]! ^= 0x40;
  const altered = reforge(
    shares[0]!,
    4,
    btoa(String.fromCharCode(...payload))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, ""),
  );
  assert.throws(() => combineSecretShares([altered, shares[1]!]), code("share_secret_mismatch"));
  assert.throws(() => combineSecretShares([reforge(shares[0]!, 3, "3"), shares[1]!]), code("share_secret_mismatch"), "an index relabelled");
  assert.throws(() => combineSecretShares([altered, shares[1]!, shares[2]!]), code("share_secret_mismatch"), "more than M shares, one of them bad");
  assert.deepEqual(combineSecretShares([shares[1]!, shares[2]!]), secret, "the good ones still work");
});

/** Carry-less multiplication reduced by 0x11b, written the textbook way (independent of shamir.ts). */
function slowMul(a: number, b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) if (b & (1 << i)) r ^= a << i;
  for (let bit = 14; bit >= 8; bit--) if (r & (1 << bit)) r ^= 0x11b << (bit - 8);
  return r;
}

test("known answer: shares of a fixed degree-1 polynomial, built from the format's definition, combine", () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
  const shared = new Uint8Array([...secret, ...sha256(new Uint8Array([...utf8("parley shamir v1"), ...secret])).subarray(0, 8)]);
  const share = (x: number) => {
    const y = shared.map((b) => b ^ slowMul(0x53, x));
    const body = `parley-share-1:0011223344556677:2:${x}:${btoa(String.fromCharCode(...y))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "")}`;
    return `${body}:${toHex(sha256(utf8(body)).subarray(0, 4))}`;
  };
  assert.deepEqual(combineSecretShares([share(7), share(200)]), secret);
  assert.deepEqual(combineSecretShares([share(1), share(2), share(255)]), secret);
  for (let a = 0; a < 256; a += 7) for (let b = 0; b < 256; b += 5) assert.equal(gf256.mul(a, b), slowMul(a, b));
});
