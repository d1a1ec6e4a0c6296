/**
 * Schemas of the E2EE directories (issue 3): the org's MLS suite, the
 * server's public keys, device-directory bindings and KeyPackages. MLS
 * structures travel as base64 bytes; the server never sees a private key.
 */
import { z } from "zod";
import { Base64, Id, Timestamp } from "./models.ts";

/** MLS cipher suite of an org: "default" (X25519/AES-128-GCM/Ed25519) or "xwing" (post-quantum hybrid KEM, Ed25519 signatures). */
export const E2eeSuite = z.enum(["default", "xwing"]);
export type E2eeSuite = z.infer<typeof E2eeSuite>;

/** Most KeyPackages per upload and users per claim. */
export const KEY_PACKAGE_BATCH_MAX = 100;

/**
 * A device-directory binding: the server's Ed25519 signature (directory key)
 * over (orgId, userId, deviceId, signaturePublicKey), as `encodeBinding` in
 * @parley/crypto lays them out. Clients verify every MLS leaf against it.
 * Only bindings of active devices of active users are returned.
 */
export const DeviceBinding = z.object({
  orgId: Id,
  userId: Id,
  deviceId: Id,
  /**
   * Suite the device identity was first registered for (informational: the one
   * Ed25519 key serves every suite, so a binding vouches for KeyPackages and
   * leaves of any suite).
   */
  suite: E2eeSuite,
  /** The device's MLS signature public key (Ed25519, 32 bytes). */
  signaturePublicKey: Base64,
  /** Server's Ed25519 signature over the binding (64 bytes). */
  signature: Base64,
  createdAt: Timestamp,
});
export type DeviceBinding = z.infer<typeof DeviceBinding>;

/** The org's E2EE settings and the server's public keys. */
export const E2eeConfig = z.object({
  /** Suite for groups created from now on (each channel keeps the suite it was created with). */
  suite: E2eeSuite,
  /** Ed25519 public key (32 bytes) that signs device bindings: the active directory key. */
  directoryKey: Base64,
  /**
   * Every directory key the server has had, oldest first (the last is `directoryKey`). A key
   * after the first carries `endorsement`: the signature of the key it replaced over its id, key
   * and creation time (`encodeDirectoryEndorsement` in @parley/crypto), so a device that pinned
   * an older key follows the chain. Bindings verify with the active key and with keys still in
   * their overlap (`verifiesUntil` in the future; null for the active key): a rotation re-signs
   * every binding in the background meanwhile.
   */
  directoryKeys: z
    .array(
      z.object({
        id: z.string().min(1).max(64),
        publicKey: Base64,
        createdAt: Timestamp,
        verifiesUntil: Timestamp.nullable(),
        endorsement: z.object({ by: z.string().min(1).max(64), signature: Base64 }).nullable(),
      }),
    )
    .min(1)
    .max(1000),
  /**
   * The server as MLS external sender: list it in every group's external_senders
   * (credential `parley/1/server/<orgId>`, see ExternalSenderKey in @parley/crypto).
   */
  externalSender: z.object({ signaturePublicKey: Base64, orgId: Id }),
  /** Below this many one-time KeyPackages the server posts `keypackages.low`. */
  keyPackageLowWater: z.number().int().positive(),
});
export type E2eeConfig = z.infer<typeof E2eeConfig>;

/** One uploaded KeyPackage (MLSMessage bytes, wire format mls_key_package). */
export const KeyPackageUpload = z.object({
  data: Base64.max(16_384),
  /** Last resort (RFC 9420 §16.8): handed out again when no one-time KeyPackage is left. */
  lastResort: z.boolean().default(false),
});
export type KeyPackageUpload = z.infer<typeof KeyPackageUpload>;

/** KeyPackages a device has stored for one suite (unexpired only). */
export const KeyPackageSupply = z.object({
  /** One-time KeyPackages left. */
  available: z.number().int().nonnegative(),
  /** Whether a last-resort KeyPackage is stored. */
  lastResort: z.boolean(),
});
export type KeyPackageSupply = z.infer<typeof KeyPackageSupply>;

/**
 * The caller's device's KeyPackage supply. A device identity serves every suite
 * (all sign with Ed25519); its KeyPackages are per suite. `available` and
 * `lastResort` are for `suite`, the org's current suite (the one new groups use and
 * the low-water warning watches); `suites` has every suite's figures.
 */
export const KeyPackageCount = z.object({
  /** The org's current suite, which `available`/`lastResort` describe. */
  suite: E2eeSuite,
  /** One-time KeyPackages of `suite` left. */
  available: z.number().int().nonnegative(),
  /** Whether a last-resort KeyPackage of `suite` is stored. */
  lastResort: z.boolean(),
  lowWater: z.number().int().positive(),
  /** Supply per suite (every suite listed, zeros included). */
  suites: z.object({ default: KeyPackageSupply, xwing: KeyPackageSupply }),
});
export type KeyPackageCount = z.infer<typeof KeyPackageCount>;

/** A claimed KeyPackage, with the binding that vouches for its signature key. */
export const ClaimedKeyPackage = z.object({
  userId: Id,
  deviceId: Id,
  keyPackage: Base64,
  /** Suite of the KeyPackage (the one asked for in the claim). */
  suite: E2eeSuite,
  lastResort: z.boolean(),
  binding: DeviceBinding,
});
export type ClaimedKeyPackage = z.infer<typeof ClaimedKeyPackage>;
