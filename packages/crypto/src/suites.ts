// MLS cipher suites Parley offers, by the short names an org setting stores.
import { ciphersuites, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName } from "ts-mls";
import { E2eeError } from "./errors.ts";

/**
 * Cipher suite selected per org:
 * - `"default"`: MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519 (RFC 9420 suite 1).
 * - `"xwing"`: MLS_256_XWING_AES256GCM_SHA512_Ed25519, ts-mls's post-quantum hybrid
 *   (X25519 + ML-KEM-768) suite. Its id (0xf00d) is a private-use number: no interop with
 *   other MLS implementations. Signatures stay Ed25519 in both suites, so one Ed25519
 *   server key serves as external sender for every group.
 */
export type SuiteName = "default" | "xwing";

/** All suite names, for validating an org setting. */
export const SUITE_NAMES: readonly SuiteName[] = ["default", "xwing"];

const MLS_NAMES: Record<SuiteName, CiphersuiteName> = {
  default: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519",
  xwing: "MLS_256_XWING_AES256GCM_SHA512_Ed25519",
};

// The implementation objects are stateless; building one imports HPKE modules, so cache.
const impls = new Map<SuiteName, Promise<CiphersuiteImpl>>();

export function suiteImpl(suite: SuiteName): Promise<CiphersuiteImpl> {
  let p = impls.get(suite);
  if (!p) {
    const name = MLS_NAMES[suite];
    if (!name) throw new E2eeError("bad_input", `unknown suite ${String(suite)}`);
    p = getCiphersuiteImpl(name);
    impls.set(suite, p);
  }
  return p;
}

/** The numeric MLS cipher suite id of a Parley suite name. */
export function suiteId(suite: SuiteName): number {
  const name = MLS_NAMES[suite];
  if (!name) throw new E2eeError("bad_input", `unknown suite ${String(suite)}`);
  return ciphersuites[name];
}

/** The Parley suite name of a numeric MLS cipher suite id, or undefined if Parley does not use it. */
export function suiteFromId(id: number): SuiteName | undefined {
  return SUITE_NAMES.find((s) => suiteId(s) === id);
}
