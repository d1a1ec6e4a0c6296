/**
 * Device setup on login/resume: the device's MLS identity (created once,
 * kept in the KeyStore), its registration in the server's device directory,
 * and its supply of KeyPackages (one-time ones plus a last-resort one),
 * replenished when the server says the supply is low.
 */
import {
  createDeviceIdentity, generateKeyPackages, isE2eeError, listKeyPackageRefs, loadDeviceIdentity,
  type DeviceIdentity, type KeyStore, type SuiteName,
} from "@parley/crypto";
import type { E2eeServerApi } from "./server-api.ts";

/** How many KeyPackages a device keeps on the server. */
export interface KeyPackageSupply {
  /** One-time KeyPackages uploaded at setup and topped up to on "keypackages.low" (default 30). */
  target?: number;
}

/**
 * Loads this device's identity from `keyStore`, or creates one. A stored
 * identity of another device/account is never reused: the key store belongs
 * to one device.
 */
export async function deviceIdentity(keyStore: KeyStore, who: { orgId: string; userId: string; deviceId: string }, suite: SuiteName): Promise<{ identity: DeviceIdentity; fresh: boolean }> {
  let identity: DeviceIdentity | undefined;
  try {
    identity = await loadDeviceIdentity(keyStore);
  } catch (err) {
    if (!isE2eeError(err)) throw err;
  }
  if (identity && identity.orgId === who.orgId && identity.userId === who.userId && identity.deviceId === who.deviceId && identity.suite === suite) {
    return { identity, fresh: false };
  }
  if (identity) {
    // Another device's material: drop all of it (KeyPackages, group states) before starting over.
    for (const k of await keyStore.list("")) await keyStore.delete(k);
  }
  return { identity: await createDeviceIdentity({ ...who, suite, keyStore }), fresh: true };
}

/** Registers the identity in the device directory (idempotent) and makes sure KeyPackages are available. */
export async function registerDevice(server: E2eeServerApi, identity: DeviceIdentity, supply: KeyPackageSupply = {}): Promise<void> {
  await server.registerDevice(identity.suite, identity.signaturePublicKey, identity.credentialIdentity);
  await replenishKeyPackages(server, identity, supply);
}

/**
 * Tops the one-time KeyPackages up to `target` and uploads the last-resort
 * one if it never was. The private halves are written to the KeyStore before
 * the public halves are uploaded, so a Welcome can always be opened.
 */
export async function replenishKeyPackages(server: E2eeServerApi, identity: DeviceIdentity, supply: KeyPackageSupply = {}): Promise<number> {
  const target = supply.target ?? 30;
  const { available, lastResort } = await server.keyPackageCount();
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

/** Private KeyPackages held locally (diagnostics and tests). */
export async function localKeyPackageCount(identity: DeviceIdentity): Promise<number> {
  return (await listKeyPackageRefs(identity)).length;
}
