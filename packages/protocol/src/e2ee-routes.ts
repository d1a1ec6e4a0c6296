/**
 * E2EE routes (issue 3): the org's suite and the server's keys, the device
 * directory and the KeyPackage directory. The server stores and routes MLS
 * bytes; it never holds a group secret.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Base64, Id } from "./models.ts";
import { ClaimedKeyPackage, DeviceBinding, E2eeConfig, E2eeSuite, KEY_PACKAGE_BATCH_MAX, KeyPackageCount, KeyPackageUpload } from "./e2ee-models.ts";

/** Comma-separated ids in a query string (`?userIds=a,b`). */
const IdList = z
  .string()
  .max(KEY_PACKAGE_BATCH_MAX * 66)
  .transform((s) => s.split(",").filter((x) => x.length > 0))
  .pipe(z.array(Id).max(KEY_PACKAGE_BATCH_MAX));

/** E2EE directory routes. */
export const e2eeRoutes = {
  getE2eeConfig: route({
    method: "GET",
    path: "/e2ee/config",
    tag: "e2ee",
    auth: "user",
    summary: "The org's MLS suite and the server's directory and external-sender public keys",
    response: E2eeConfig,
  }),
  setE2eeConfig: route({
    method: "PUT",
    path: "/e2ee/config",
    tag: "e2ee",
    auth: "user",
    summary: "Set the org's MLS suite for groups created from now on (org admins)",
    body: z.object({ suite: E2eeSuite }),
    response: E2eeConfig,
  }),
  putDeviceIdentity: route({
    method: "PUT",
    path: "/e2ee/device-identity",
    tag: "e2ee",
    auth: "user",
    summary: "Register the calling device's MLS signature key; the server signs its directory binding. Immutable once set (same key again is idempotent)",
    body: z.object({
      suite: E2eeSuite,
      /** Ed25519 public key, 32 bytes. */
      signaturePublicKey: Base64.max(64),
      /** Identity bytes of the device's Basic credential (`parley/1/device/<org>/<user>/<device>`). */
      credential: Base64.max(512),
    }),
    response: DeviceBinding,
    errors: ["already_exists"],
  }),
  listBindings: route({
    method: "GET",
    path: "/e2ee/bindings",
    tag: "e2ee",
    auth: "user",
    summary:
      "Directory bindings of the active devices of these users and/or devices in the org (default: the caller's own); includeRevoked=true adds revoked devices and deactivated users (to verify their old archive copies)",
    query: z.object({ userIds: IdList.optional(), deviceIds: IdList.optional(), includeRevoked: z.enum(["true", "false"]).optional() }),
    response: z.object({ bindings: z.array(DeviceBinding) }),
  }),
  uploadKeyPackages: route({
    method: "POST",
    path: "/e2ee/key-packages",
    tag: "e2ee",
    auth: "user",
    status: 201,
    summary:
      "Upload KeyPackages of the calling device (signed by its bound key, of either suite: each is stored with the suite it names); a new last-resort one replaces the old one of its suite",
    body: z.object({ keyPackages: z.array(KeyPackageUpload).min(1).max(KEY_PACKAGE_BATCH_MAX) }),
    response: KeyPackageCount.extend({ stored: z.number().int().nonnegative() }),
    errors: ["key_package_invalid", "already_exists"],
  }),
  claimKeyPackages: route({
    method: "POST",
    path: "/e2ee/key-packages/claim",
    tag: "e2ee",
    auth: "user",
    summary:
      "Claim one KeyPackage of `suite` (default: the org's current suite) per active, bound device of these users (one-time ones are consumed; last resort only when none is left)",
    body: z.object({
      userIds: z.array(Id).min(1).max(KEY_PACKAGE_BATCH_MAX),
      exclude: z.array(Id).max(KEY_PACKAGE_BATCH_MAX).optional(),
      /** Suite of the group being built (a channel keeps the suite its group was created with). */
      suite: E2eeSuite.optional(),
    }),
    response: z.object({
      keyPackages: z.array(ClaimedKeyPackage),
      /** Bound devices that have no KeyPackage of the suite. */
      missing: z.array(z.object({ userId: Id, deviceId: Id })),
    }),
  }),
  countKeyPackages: route({
    method: "GET",
    path: "/e2ee/key-packages/count",
    tag: "e2ee",
    auth: "user",
    summary: "How many one-time KeyPackages the calling device has left, for the org's current suite and per suite",
    response: KeyPackageCount,
  }),
} as const;
