// MLS cipher suites Parley offers, by the short names an org setting stores.
import { ciphersuites, defaultCryptoProvider, getCiphersuiteImpl, type CiphersuiteImpl, type CiphersuiteName, type CryptoProvider } from "ts-mls";
// node:crypto on Node, @noble + cached WebCrypto keys elsewhere: package.json "imports"
// picks the file by the runtime's `node` condition, so browser bundles never see node:crypto.
import { platformCryptoProvider } from "#crypto-provider";
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

/**
 * Which crypto implementation runs a suite's primitives:
 * - `"platform"` (the default): the fast provider of this runtime — synchronous
 *   `node:crypto` on Node (provider-node.ts); @noble plus cached WebCrypto keys in
 *   browsers (provider-web.ts).
 * - `"reference"`: ts-mls's default WebCrypto provider, unchanged. Both produce the same
 *   bytes and interoperate; the reference one is kept for tests and comparisons.
 */
export type CryptoProviderName = "platform" | "reference";

const PROVIDERS: Record<CryptoProviderName, CryptoProvider> = { platform: platformCryptoProvider, reference: defaultCryptoProvider };

// One implementation per (provider, suite): building one imports HPKE modules, and the
// platform ones hold the bounded key caches, which only help if they are shared.
const impls = new Map<string, Promise<CiphersuiteImpl>>();

export function suiteImpl(suite: SuiteName, provider: CryptoProviderName = "platform"): Promise<CiphersuiteImpl> {
  const cacheKey = `${provider}/${suite}`;
  let p = impls.get(cacheKey);
  if (!p) {
    const name = MLS_NAMES[suite];
    if (!name) throw new E2eeError("bad_input", `unknown suite ${String(suite)}`);
    const impl = PROVIDERS[provider];
    if (!impl) throw new E2eeError("bad_input", `unknown crypto provider ${String(provider)}`);
    p = getCiphersuiteImpl(name, impl);
    impls.set(cacheKey, p);
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
