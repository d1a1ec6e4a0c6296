// The cipher suite implementation every conformance test takes, by RFC 9420 suite id.
// One function on purpose: to run the vectors against another crypto provider (say a
// node:crypto one), change what it returns here and nothing else.
import { DependencyError, defaultCryptoProvider, type CiphersuiteId, type CiphersuiteImpl } from "ts-mls";
import { suiteFromId, suiteImpl } from "../suites.ts";

/**
 * The RFC 9420 suites the vectors cover that this install of ts-mls cannot build, and
 * why: they need optional HPKE modules Parley does not install (its suites are X25519 /
 * AES-GCM / Ed25519 and X-Wing). Their cases are counted as "unsupported suite" by
 * design, never run. If one of them becomes buildable, {@link vectorSuite} throws so the
 * list (and the known failures) get re-checked.
 */
const UNSUPPORTED_SUITES: Readonly<Record<number, string>> = {
  3: "MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_Ed25519 needs @hpke/chacha20poly1305",
  4: "MLS_256_DHKEMX448_AES256GCM_SHA512_Ed448 needs @hpke/dhkem-x448",
  6: "MLS_256_DHKEMX448_CHACHA20POLY1305_SHA512_Ed448 needs @hpke/dhkem-x448 and @hpke/chacha20poly1305",
};

/** A suite the vectors run under. */
export interface VectorSuite {
  id: number;
  impl: CiphersuiteImpl;
  /** "parley": a suite Parley offers, built by suites.ts exactly as devices build it; "ts-mls": another RFC 9420 suite, from ts-mls's default provider. */
  source: "parley" | "ts-mls";
}

const cache = new Map<number, Promise<VectorSuite | undefined>>();

/** The implementation of suite `id`, or undefined for a suite in {@link UNSUPPORTED_SUITES}. */
export function vectorSuite(id: number): Promise<VectorSuite | undefined> {
  let p = cache.get(id);
  if (!p) {
    p = build(id);
    cache.set(id, p);
  }
  return p;
}

async function build(id: number): Promise<VectorSuite | undefined> {
  const parley = suiteFromId(id);
  if (parley) return { id, impl: await suiteImpl(parley), source: "parley" };
  let impl: CiphersuiteImpl;
  try {
    impl = await defaultCryptoProvider.getCiphersuiteImpl(id as CiphersuiteId);
  } catch (err) {
    if (err instanceof DependencyError && id in UNSUPPORTED_SUITES) return undefined;
    throw err;
  }
  if (id in UNSUPPORTED_SUITES) {
    throw new Error(`cipher suite ${id} is supported now: remove it from UNSUPPORTED_SUITES (testing/vector-suites.ts) and re-check the known failures`);
  }
  return { id, impl, source: "ts-mls" };
}
