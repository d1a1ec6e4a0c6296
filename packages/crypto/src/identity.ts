// A device's MLS identity: its signature key pair and the Basic credential naming
// (org, user, device). Persisted in the device's KeyStore under "identity".
import { defaultCredentialTypes, type Credential } from "ts-mls";
import { fromHex, fromUtf8, toHex, utf8 } from "./bytes.ts";
import { encodeCredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import type { KeyStore } from "./key-store.ts";
import { MemoryKeyStore } from "./key-store.ts";
import { SUITE_NAMES, suiteImpl, type CryptoProviderName, type SuiteName } from "./suites.ts";

/** A device's MLS identity. The signature private key stays inside this package. */
export interface DeviceIdentity {
  /** Org of the device. */
  readonly orgId: string;
  /** Owner of the device. */
  readonly userId: string;
  /** The device id (one MLS leaf per device). */
  readonly deviceId: string;
  /** Cipher suite of the org. */
  readonly suite: SuiteName;
  /** MLS signature public key (Ed25519): what the device directory binds. */
  readonly signaturePublicKey: Uint8Array;
  /** Identity bytes of the device's Basic credential (see `parseCredentialIdentity`). */
  readonly credentialIdentity: Uint8Array;
  /** Where this device's private KeyPackages (and, at the caller's choice, group states) live. */
  readonly keyStore: KeyStore;
}

// Private keys are kept off the public object so they never end up in logs or JSON.
const signatureKeys = new WeakMap<DeviceIdentity, Uint8Array>();
// The crypto provider an identity's MLS operations use (absent: "platform").
const providers = new WeakMap<DeviceIdentity, CryptoProviderName>();

/** Internal: the signature private key of an identity. */
export function signaturePrivateKey(identity: DeviceIdentity): Uint8Array {
  const k = signatureKeys.get(identity);
  if (!k) throw new E2eeError("invalid_state", "not a DeviceIdentity created by @parley/crypto");
  return k;
}

/** Internal: the crypto provider of an identity's MLS operations (see {@link CryptoProviderName}). */
function providerOf(identity: DeviceIdentity): CryptoProviderName {
  return providers.get(identity) ?? "platform";
}

/** Internal: the ts-mls suite implementation for an identity's suite and provider. */
export function implOf(identity: DeviceIdentity): ReturnType<typeof suiteImpl> {
  return suiteImpl(identity.suite, providerOf(identity));
}

/** Internal: the MLS credential of an identity. */
export function credentialOf(identity: DeviceIdentity): Credential {
  return { credentialType: defaultCredentialTypes.basic, identity: identity.credentialIdentity };
}

const IDENTITY_KEY = "identity";

function build(
  fields: { orgId: string; userId: string; deviceId: string; suite: SuiteName },
  publicKey: Uint8Array,
  privateKey: Uint8Array,
  keyStore: KeyStore,
  provider: CryptoProviderName = "platform",
): DeviceIdentity {
  const identity: DeviceIdentity = Object.freeze({
    ...fields,
    signaturePublicKey: publicKey,
    credentialIdentity: encodeCredentialIdentity({ kind: "device", ...fields }),
    keyStore,
  });
  signatureKeys.set(identity, privateKey);
  if (provider !== "platform") providers.set(identity, provider);
  return identity;
}

/**
 * Creates a new device identity (fresh signature key pair) and saves it in `keyStore`
 * (default: a new {@link MemoryKeyStore}). Upload `signaturePublicKey` to the device
 * directory so the server can sign its binding. `cryptoProvider` (default `"platform"`)
 * picks the implementation of the crypto primitives; it is not stored (see
 * {@link CryptoProviderName}).
 */
export async function createDeviceIdentity(params: {
  orgId: string;
  userId: string;
  deviceId: string;
  suite: SuiteName;
  keyStore?: KeyStore;
  cryptoProvider?: CryptoProviderName;
}): Promise<DeviceIdentity> {
  const { orgId, userId, deviceId, suite } = params;
  if (!SUITE_NAMES.includes(suite)) throw new E2eeError("bad_input", `unknown suite ${String(suite)}`);
  const provider = params.cryptoProvider ?? "platform";
  const impl = await suiteImpl(suite, provider);
  const { publicKey, signKey } = await impl.signature.keygen();
  const keyStore = params.keyStore ?? new MemoryKeyStore();
  const identity = build({ orgId, userId, deviceId, suite }, publicKey, signKey, keyStore, provider);
  const record = { v: 1, orgId, userId, deviceId, suite, publicKey: toHex(publicKey), privateKey: toHex(signKey) };
  await keyStore.put(IDENTITY_KEY, utf8(JSON.stringify(record)));
  return identity;
}

/**
 * The same device identity for another cipher suite: the same Ed25519 signature key,
 * credential and KeyStore. Every Parley suite signs with Ed25519 (see suites.ts), so
 * one key — and the one directory binding that vouches for it — serves groups and
 * KeyPackages of every suite; only the suite the MLS operations use differs.
 */
export function identityForSuite(identity: DeviceIdentity, suite: SuiteName): DeviceIdentity {
  if (!SUITE_NAMES.includes(suite)) throw new E2eeError("bad_input", `unknown suite ${String(suite)}`);
  if (identity.suite === suite) return identity;
  const { orgId, userId, deviceId } = identity;
  return build({ orgId, userId, deviceId, suite }, identity.signaturePublicKey, signaturePrivateKey(identity), identity.keyStore, providerOf(identity));
}

/**
 * Loads the identity saved by {@link createDeviceIdentity} from `keyStore`, or undefined
 * if there is none. `options.cryptoProvider` as in {@link createDeviceIdentity}.
 */
export async function loadDeviceIdentity(keyStore: KeyStore, options: { cryptoProvider?: CryptoProviderName } = {}): Promise<DeviceIdentity | undefined> {
  const bytes = await keyStore.get(IDENTITY_KEY);
  if (!bytes) return undefined;
  const r = JSON.parse(fromUtf8(bytes)) as {
    v: number;
    orgId: string;
    userId: string;
    deviceId: string;
    suite: SuiteName;
    publicKey: string;
    privateKey: string;
  };
  if (r.v !== 1) throw new E2eeError("bad_input", `unsupported identity record version ${r.v}`);
  bytes.fill(0);
  return build(
    { orgId: r.orgId, userId: r.userId, deviceId: r.deviceId, suite: r.suite },
    fromHex(r.publicKey),
    fromHex(r.privateKey),
    keyStore,
    options.cryptoProvider,
  );
}
