// KeyPackages: generated in batches, public halves uploaded to the server's directory,
// private halves kept in the device's KeyStore under "kp/<ref hex>".
import {
  encode,
  generateKeyPackageWithKey,
  makeKeyPackageRef,
  mlsMessageEncoder,
  privateKeyPackageDecoder,
  privateKeyPackageEncoder,
  protocolVersions,
  wireformats,
  type KeyPackage,
  type PrivateKeyPackage,
} from "ts-mls";
import { concat, toHex } from "./bytes.ts";
import { E2eeError } from "./errors.ts";
import { credentialOf, implOf, signaturePrivateKey, type DeviceIdentity } from "./identity.ts";
import { decodeMlsMessage } from "./wire.ts";

/** A freshly generated KeyPackage, ready to upload. */
export interface GeneratedKeyPackage {
  /** MLSMessage (wire format `mls_key_package`) bytes: what the server stores and hands out. */
  keyPackage: Uint8Array;
  /** KeyPackageRef (RFC 9420 §5.2): the hash the server indexes it by. */
  ref: Uint8Array;
  /** `ref` as lowercase hex. */
  refHex: string;
  /**
   * True for the last-resort KeyPackage (RFC 9420 §16.8), which the server may hand out
   * more than once when the one-time supply is exhausted. ts-mls has no last_resort
   * extension, so the flag travels beside the bytes in the upload and the device keeps
   * the private half after it is used.
   */
  lastResort: boolean;
}

/** Default KeyPackage lifetime: 90 days (the directory should drop expired ones). */
export const KEY_PACKAGE_LIFETIME_SECONDS = 90 * 24 * 3600;

const PREFIX = "kp/";

// KeyStore key of a KeyPackage's private half. X-Wing refs are SHA-512 (64 bytes): the
// full hex would make a file key store's file name ("kp/<128 hex>" hex-encoded again)
// longer than file systems allow, so refs are cut to their first 32 bytes (still a
// 256-bit collision-resistant name; default-suite refs are 32 bytes and unchanged).
const KEY_REF_HEX = 64;
const storeKey = (refHex: string) => PREFIX + refHex.slice(0, KEY_REF_HEX);

/**
 * Generates `count` KeyPackages for `identity` (all signed by its one signature key, so
 * the device binding covers them) and stores their private halves in `identity.keyStore`.
 */
export async function generateKeyPackages(
  identity: DeviceIdentity,
  count: number,
  options: { lastResort?: boolean; lifetimeSeconds?: number } = {},
): Promise<GeneratedKeyPackage[]> {
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new E2eeError("bad_input", "count must be 1..1000");
  const lastResort = options.lastResort ?? false;
  const out: GeneratedKeyPackage[] = [];
  for (let i = 0; i < count; i++) {
    const { publicPackage, privatePackage } = await newKeyPackage(identity, options.lifetimeSeconds);
    const impl = await implOf(identity);
    const ref = await makeKeyPackageRef(publicPackage, impl.hash);
    const wire = encodeKeyPackageMessage(publicPackage);
    const priv = encode(privateKeyPackageEncoder, privatePackage);
    // Record: [lastResort flag][u32 length of wire][wire][private package].
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, wire.length);
    await identity.keyStore.put(storeKey(toHex(ref)), concat(new Uint8Array([lastResort ? 1 : 0]), len, wire, priv));
    priv.fill(0);
    out.push({ keyPackage: wire, ref, refHex: toHex(ref), lastResort });
  }
  return out;
}

/** Internal: a KeyPackage not stored anywhere (group creation, external joins). */
export async function newKeyPackage(
  identity: DeviceIdentity,
  lifetimeSeconds = KEY_PACKAGE_LIFETIME_SECONDS,
): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }> {
  const impl = await implOf(identity);
  const now = Math.floor(Date.now() / 1000);
  return generateKeyPackageWithKey({
    credential: credentialOf(identity),
    signatureKeyPair: { signKey: signaturePrivateKey(identity), publicKey: identity.signaturePublicKey },
    cipherSuite: impl,
    // An hour of slack for clocks that run behind.
    lifetime: { notBefore: BigInt(now - 3600), notAfter: BigInt(now + lifetimeSeconds) },
  });
}

/** Internal: wraps a KeyPackage in an MLSMessage. */
export function encodeKeyPackageMessage(kp: KeyPackage): Uint8Array {
  return encode(mlsMessageEncoder, { version: protocolVersions.mls10, wireformat: wireformats.mls_key_package, keyPackage: kp });
}

/** Internal: the stored private half for a KeyPackageRef, or undefined. */
export async function loadKeyPackage(
  identity: DeviceIdentity,
  refHex: string,
): Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage; lastResort: boolean } | undefined> {
  // Records written before refs were cut (memory and browser stores) are under the full ref.
  const rec = (await identity.keyStore.get(storeKey(refHex))) ?? (await legacy(() => identity.keyStore.get(PREFIX + refHex), refHex));
  if (!rec) return undefined;
  const len = new DataView(rec.buffer, rec.byteOffset + 1, 4).getUint32(0);
  const msg = decodeMlsMessage(rec.subarray(5, 5 + len));
  const priv = privateKeyPackageDecoder(rec.subarray(5 + len), 0)?.[0];
  if (msg.wireformat !== wireformats.mls_key_package || !priv) throw new E2eeError("invalid_state", "corrupt KeyPackage record");
  return { publicPackage: msg.keyPackage, privatePackage: priv, lastResort: rec[0] === 1 };
}

/** Deletes the private half of a one-time KeyPackage once a Welcome consumed it. */
export async function deleteKeyPackage(identity: DeviceIdentity, refHex: string): Promise<void> {
  await identity.keyStore.delete(storeKey(refHex));
  await legacy(() => identity.keyStore.delete(PREFIX + refHex), refHex);
}

// The full-ref key of an older record; a store that cannot even name it (a file store: name too long) has none.
async function legacy<T>(op: () => Promise<T>, refHex: string): Promise<T | undefined> {
  if (refHex.length <= KEY_REF_HEX) return undefined;
  try {
    return await op();
  } catch {
    return undefined;
  }
}

/** Refs (hex; longer ones cut to their first 32 bytes) of every KeyPackage whose private half this device still holds. */
export async function listKeyPackageRefs(identity: DeviceIdentity): Promise<string[]> {
  return (await identity.keyStore.list(PREFIX)).map((k) => k.slice(PREFIX.length));
}
