/**
 * Device setup on login/resume: the device's MLS identity (created once,
 * kept in the KeyStore), its registration in the server's device directory,
 * and its supply of KeyPackages (one-time ones plus a last-resort one),
 * replenished when the server says the supply is low.
 *
 * The identity does not depend on the org's cipher suite: every Parley suite
 * signs with Ed25519, so the one signature key (and the one directory binding,
 * which is immutable) serves every suite. KeyPackages are per suite: the device
 * keeps a supply for the org's current suite and tops it up when the suite changes.
 */
import { createDeviceIdentity, generateKeyPackages, isE2eeError, loadDeviceIdentity, type DeviceIdentity, type KeyStore, type SuiteName } from "@parley/crypto";
import type { E2eeServerApi } from "./server-api.ts";

/** How many KeyPackages a device keeps on the server. */
export interface KeyPackageSupply {
  /** One-time KeyPackages uploaded at setup and topped up to on "keypackages.low" (default 30). */
  target?: number;
}

/**
 * Loads this device's identity from `keyStore`, or creates one (for `suite`,
 * recorded as the suite it was first registered with). A stored identity of
 * another device/account is never reused: the key store belongs to one device.
 * A stored identity of THIS device is kept whatever the org's suite is now:
 * wiping it would orphan the device's groups and its immutable directory binding.
 */
export async function deviceIdentity(
  keyStore: KeyStore,
  who: { orgId: string; userId: string; deviceId: string },
  suite: SuiteName,
): Promise<{ identity: DeviceIdentity; fresh: boolean }> {
  let identity: DeviceIdentity | undefined;
  try {
    identity = await loadDeviceIdentity(keyStore);
  } catch (err) {
    if (!isE2eeError(err)) throw err;
  }
  if (identity && identity.orgId === who.orgId && identity.userId === who.userId && identity.deviceId === who.deviceId) {
    return { identity, fresh: false };
  }
  if (identity) {
    // Another device's material: drop all of it (KeyPackages, group states) before starting over.
    for (const k of await keyStore.list("")) await keyStore.delete(k);
  }
  return { identity: await createDeviceIdentity({ ...who, suite, keyStore }), fresh: true };
}

/**
 * Registers the identity in the device directory (idempotent: the same key again)
 * and makes sure KeyPackages of `current` (the org's suite) are available.
 */
export async function registerDevice(server: E2eeServerApi, identity: DeviceIdentity, current: DeviceIdentity, supply: KeyPackageSupply = {}): Promise<void> {
  await server.registerDevice(identity.suite, identity.signaturePublicKey, identity.credentialIdentity);
  await replenishKeyPackages(server, current, supply);
}

/**
 * Tops the one-time KeyPackages of `identity.suite` up to `target` and uploads
 * that suite's last-resort one if it never was (pass the identity for the suite
 * to supply, see `identityForSuite`). The private halves are written to the
 * KeyStore before the public halves are uploaded, so a Welcome can always be opened.
 */
export async function replenishKeyPackages(server: E2eeServerApi, identity: DeviceIdentity, supply: KeyPackageSupply = {}): Promise<number> {
  const target = supply.target ?? 30;
  const { available, lastResort } = await server.keyPackageCount(identity.suite);
  const uploads: { data: Uint8Array; lastResort: boolean }[] = [];
  if (available < target) {
    for (const kp of await generateKeyPackages(identity, target - available)) uploads.push({ data: kp.keyPackage, lastResort: false });
  }
  const needLastResort = !lastResort;
  if (needLastResort) {
    for (const kp of await generateKeyPackages(identity, 1, { lastResort: true })) uploads.push({ data: kp.keyPackage, lastResort: true });
  }
  if (uploads.length) await server.uploadKeyPackages(uploads);
  return uploads.length;
}
