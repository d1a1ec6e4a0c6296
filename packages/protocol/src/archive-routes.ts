/**
 * The compliance archive (issue 11, ADR 0008, docs/compliance.md): a policy signed by the org's
 * compliance officers names the channels whose history keys devices also seal to the org's
 * archive public key. Members read the policy and check it themselves (the server cannot sign
 * one); their devices append the sealed keys; officers read the sealed keys, the archive copies
 * and the attachments' ciphertext to produce an eDiscovery export on their own machine, and
 * record each export. The server stores and relays bytes it cannot open.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { ChannelKind, Id, Timestamp } from "./models.ts";
import { ChannelLabel } from "./access-routes.ts";
import { LOCKER_LIMITS, PublicKey32, sizedBase64 } from "./locker-routes.ts";

/** Which channels the archive covers: by kind, label or id. */
export const ArchiveScope = z.object({
  kinds: z.array(ChannelKind).max(4),
  labels: z.array(ChannelLabel).max(32),
  channelIds: z.array(Id).max(1000),
});

/** The policy as officers sign it (`encodeArchivePolicy` in @parley/crypto gives the signed bytes). */
export const ArchivePolicy = z.object({
  orgId: Id,
  /** 1, 2, 3, ...: each change is the next version; devices refuse a lower one than they saw. */
  version: z.number().int().positive(),
  /** Shown to members, e.g. "Acme compliance archive". */
  name: z.string().trim().min(1).max(80),
  /** X25519 public key devices seal history keys to (base64, 32 bytes). */
  archiveKey: PublicKey32("archiveKey (X25519)"),
  /** Ed25519 public key that signs the policy (devices pin it on first sight). */
  signerKey: PublicKey32("signerKey (Ed25519)"),
  scope: ArchiveScope,
  issuedAt: Timestamp,
});
export type ArchivePolicy = z.infer<typeof ArchivePolicy>;

/** A policy with the signer key's Ed25519 signature (base64, 64 bytes). */
export const SignedArchivePolicy = z.object({ policy: ArchivePolicy, signature: sizedBase64(64, 64, "signature") });
export type SignedArchivePolicy = z.infer<typeof SignedArchivePolicy>;

const Epoch = z.number().int().nonnegative();

/** A batch of one channel generation's history keys sealed to the archive key (as in the key locker). */
export const ArchiveKeyUpload = z
  .object({
    generation: z.number().int().nonnegative(),
    fromEpoch: Epoch,
    toEpoch: Epoch,
    sealed: sizedBase64(1, LOCKER_LIMITS.sealedBytes, "sealed"),
  })
  .refine((e) => e.fromEpoch <= e.toEpoch, { path: ["toEpoch"], message: "fromEpoch must not be after toEpoch" });

/** A stored archive key batch, as officers read it. */
export const ArchiveKeyEntry = z.object({
  id: Id,
  channelId: Id,
  generation: z.number().int().nonnegative(),
  fromEpoch: Epoch,
  toEpoch: Epoch,
  sealed: z.string(),
  /** The policy version the device sealed under (names the archive key). */
  policyVersion: z.number().int().positive(),
  userId: Id,
  deviceId: Id,
  createdAt: Timestamp,
});
export type ArchiveKeyEntry = z.infer<typeof ArchiveKeyEntry>;

/** A channel event as officers read it: metadata and the archive copy (the MLS ciphertext is of no use to them). */
export const ArchivedEvent = z.object({
  id: Id,
  seq: z.number().int().positive(),
  clientId: z.string(),
  senderId: Id,
  senderDeviceId: Id,
  kind: z.string(),
  epoch: Epoch,
  generation: z.number().int().nonnegative(),
  /** The archive copy (base64), or null (an MLS control event, or a client that sent none). */
  archive: z.string().nullable(),
  threadRoot: z.number().int().nullable(),
  target: z.number().int().nullable(),
  files: z.array(Id),
  createdAt: Timestamp,
  /** Kept only by a legal hold (past retention, out of the members' timeline). */
  held: z.boolean(),
});
export type ArchivedEvent = z.infer<typeof ArchivedEvent>;

/** A channel an officer may export: covered by the current policy, or holding archive keys sealed under an earlier one. */
export const ArchivedChannel = z.object({
  id: Id,
  name: z.string(),
  kind: ChannelKind,
  labels: z.array(z.string()),
  /** Covered by the current policy (false: only keys sealed under an earlier scope). */
  covered: z.boolean(),
  /** Sealed key batches stored for it. */
  keyBatches: z.number().int().nonnegative(),
  /** Its current members. */
  memberIds: z.array(Id),
});
export type ArchivedChannel = z.infer<typeof ArchivedChannel>;

/** A recorded eDiscovery export. */
export const ArchiveExport = z.object({
  id: Id,
  by: Id,
  createdAt: Timestamp,
  channelIds: z.array(Id),
  userId: Id.nullable(),
  from: Timestamp.nullable(),
  to: Timestamp.nullable(),
  items: z.number().int().nonnegative(),
  attachments: z.number().int().nonnegative(),
  /** SHA-256 (hex) of the bundle's signed manifest. */
  manifestSha256: z.string(),
  /** Fingerprint of the officer's key that signed the manifest. */
  signerFingerprint: z.string(),
});
export type ArchiveExport = z.infer<typeof ArchiveExport>;

const ChannelParams = z.object({ channelId: Id });

export const archiveRoutes = {
  getArchivePolicy: route({
    method: "GET",
    path: "/e2ee/archive-policy",
    tag: "archive",
    auth: "user",
    summary:
      "The org's signed compliance archive policy (or null), when it was stored, and which of the caller's channels the server holds archived (devices check both against the signature)",
    response: z.object({ current: SignedArchivePolicy.nullable(), storedAt: Timestamp.nullable(), archivedChannelIds: z.array(Id) }),
  }),
  setArchivePolicy: route({
    method: "PUT",
    path: "/compliance/archive",
    tag: "compliance",
    auth: "user",
    summary: "Store the next version of the signed archive policy (owners and compliance officers); the signature, org, version and signer key are checked",
    body: SignedArchivePolicy,
    response: SignedArchivePolicy,
    errors: ["forbidden", "archive_policy_invalid"],
  }),
  appendArchiveKeys: route({
    method: "POST",
    path: "/channels/:channelId/archive-keys",
    tag: "archive",
    auth: "user",
    status: 201,
    summary: "Append history keys of an archived channel sealed to the archive key (members' devices; a batch already stored by this device is skipped)",
    params: ChannelParams,
    body: z.object({ policyVersion: z.number().int().positive(), entries: z.array(ArchiveKeyUpload).min(1).max(LOCKER_LIMITS.entriesPerAppend) }),
    response: z.object({ stored: z.number().int().nonnegative() }),
    errors: ["not_archived", "archive_policy_invalid"],
  }),
  listArchivedChannels: route({
    method: "GET",
    path: "/compliance/archive/channels",
    tag: "compliance",
    auth: "user",
    summary: "The channels an export can cover: those the current policy covers and those with sealed archive keys, with their members (officers; audited)",
    response: z.object({ channels: z.array(ArchivedChannel) }),
    noStore: true,
  }),
  listArchiveKeys: route({
    method: "GET",
    path: "/compliance/archive/channels/:channelId/keys",
    tag: "compliance",
    auth: "user",
    summary: "The channel's sealed archive key batches (owners and compliance officers; each read is audited)",
    params: ChannelParams,
    response: z.object({ entries: z.array(ArchiveKeyEntry) }),
    noStore: true,
  }),
  listArchiveEvents: route({
    method: "GET",
    path: "/compliance/archive/channels/:channelId/events",
    tag: "compliance",
    auth: "user",
    summary: "The channel's events with their archive copies, oldest first after `after`, including those a legal hold keeps (officers; audited)",
    params: ChannelParams,
    query: z.object({ after: z.coerce.number().int().nonnegative().default(0), limit: z.coerce.number().int().min(1).max(1000).default(500) }),
    response: z.object({ events: z.array(ArchivedEvent), hasMore: z.boolean() }),
    noStore: true,
  }),
  downloadArchiveFile: route({
    method: "GET",
    path: "/compliance/archive/files/:fileId",
    tag: "compliance",
    auth: "user",
    status: 200,
    summary: "Download an attachment's ciphertext for an export, also one deleted under a legal hold (officers; audited)",
    params: z.object({ fileId: Id }),
    raw: { response: "octet-stream" },
    response: null,
  }),
  recordArchiveExport: route({
    method: "POST",
    path: "/compliance/archive/exports",
    tag: "compliance",
    auth: "user",
    status: 201,
    summary: "Record an eDiscovery export made on the officer's machine (what, how many items, the manifest's hash)",
    body: ArchiveExport.omit({ id: true, by: true, createdAt: true }),
    response: ArchiveExport,
  }),
  listArchiveExports: route({
    method: "GET",
    path: "/compliance/archive/exports",
    tag: "compliance",
    auth: "user",
    summary: "The org's recorded eDiscovery exports, newest first",
    response: z.object({ exports: z.array(ArchiveExport) }),
  }),
} as const;
