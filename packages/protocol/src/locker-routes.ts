/**
 * Key locker routes (issue 9, ADR 0007): each user's locker public key, identity public key
 * and recovery blob, and the sealed locker entries their devices append (history keys
 * HPKE-sealed to the locker public key). The server stores bytes it cannot open; it checks
 * sizes, ownership and channel membership only.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Base64, Id, Timestamp } from "./models.ts";

/** How many bytes a valid, padded base64 string decodes to. */
export function base64Length(s: string): number {
  return (s.length / 4) * 3 - (s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0);
}

/** Base64 of `min` to `max` decoded bytes: another size is `validation_failed`, like bad base64. */
export function sizedBase64(min: number, max: number, what: string) {
  return Base64.max(Math.ceil(max / 3) * 4).refine(
    (s) => {
      const n = base64Length(s);
      return n >= min && n <= max;
    },
    min === max ? `${what} must be ${min} bytes` : `${what} must be ${min} to ${max} bytes`,
  );
}

/** Limits of the key locker. */
export const LOCKER_LIMITS = {
  /** Largest recovery blob (AES-256-GCM of the locker and identity private keys: about 100 bytes today). */
  recoveryBlobBytes: 4096,
  /** Largest sealed entry (one HPKE seal of a batch of history keys: about 2,000 keys). */
  sealedBytes: 65_536,
  /** Most entries in one append. */
  entriesPerAppend: 500,
  /** Largest page of entries. */
  pageSize: 100,
} as const;

/** An X25519 (locker) or Ed25519 (identity) public key: 32 bytes. */
export const PublicKey32 = (what: string) => sizedBase64(32, 32, what);

/** An MLS epoch (u64 on the wire of MLS; a safe integer here, as `Event.epoch`). */
const Epoch = z.number().int().nonnegative();

/** A user's key locker as the server keeps it. */
export const Locker = z.object({
  /** The user's locker public key (X25519): devices seal history keys to it. */
  publicKey: Base64,
  /** The user's identity public key (Ed25519): it signs the user's device approvals. */
  identityKey: Base64,
  /** The recovery blob: the locker and identity private keys under the recovery key (AES-256-GCM). */
  recoveryBlob: Base64,
  createdAt: Timestamp,
  /** When the recovery blob was last replaced (or the locker created). */
  updatedAt: Timestamp,
});
/** A user's key locker. */
export type Locker = z.infer<typeof Locker>;

/** Body of `PUT /me/locker`: all three on the first setup; afterwards the same keys, and the recovery blob to keep or replace. */
export const PutLocker = z.object({
  publicKey: PublicKey32("publicKey (X25519)"),
  identityKey: PublicKey32("identityKey (Ed25519)"),
  recoveryBlob: sizedBase64(1, LOCKER_LIMITS.recoveryBlobBytes, "recoveryBlob"),
});

/**
 * A sealed locker entry to append: one HPKE seal of a batch of history keys, with the batch's
 * metadata in the clear (it is the seal's AAD: `lockerBatchMeta` in @parley/crypto). A batch of
 * one channel names it (and its generation when it holds one); a batch of several names none.
 */
export const LockerEntryUpload = z
  .object({
    channelId: Id.nullable(),
    generation: z.number().int().nonnegative().nullable(),
    fromEpoch: Epoch,
    toEpoch: Epoch,
    sealed: sizedBase64(1, LOCKER_LIMITS.sealedBytes, "sealed"),
  })
  .refine((e) => e.fromEpoch <= e.toEpoch, { path: ["toEpoch"], message: "fromEpoch must not be after toEpoch" })
  .refine((e) => e.channelId !== null || e.generation === null, { path: ["generation"], message: "a batch of several channels names no generation" });

/** A stored locker entry. */
export const LockerEntry = z.object({
  /** Position in the user's locker (increasing): the cursor of `listLockerEntries`. */
  id: z.number().int().positive(),
  channelId: Id.nullable(),
  generation: z.number().int().nonnegative().nullable(),
  fromEpoch: Epoch,
  toEpoch: Epoch,
  sealed: Base64,
  /** The user's device that appended it. */
  deviceId: Id,
  createdAt: Timestamp,
});
/** A stored locker entry. */
export type LockerEntry = z.infer<typeof LockerEntry>;

/** Key locker routes (the caller's own locker only) and the user identity directory. */
export const lockerRoutes = {
  getLocker: route({
    method: "GET",
    path: "/me/locker",
    tag: "locker",
    auth: "user",
    summary: "The caller's key locker: locker and identity public keys, recovery blob (`not_found` before it is set up)",
    response: Locker,
    // The recovery blob wraps the user's private keys: no browser or proxy cache keeps it.
    noStore: true,
  }),
  putLocker: route({
    method: "PUT",
    path: "/me/locker",
    tag: "locker",
    auth: "user",
    summary:
      'Set up the caller\'s key locker (locker public key, identity public key, recovery blob), or replace its recovery blob ("change recovery key"); other keys than the stored ones are refused',
    body: PutLocker,
    response: Locker,
    errors: ["locker_key_conflict"],
    noStore: true,
  }),
  appendLockerEntries: route({
    method: "POST",
    path: "/me/locker/entries",
    tag: "locker",
    auth: "user",
    status: 201,
    summary:
      "Append sealed entries to the caller's key locker (all or none): each names a channel the caller is a member of, or none for a batch of several channels",
    body: z.object({ entries: z.array(LockerEntryUpload).min(1).max(LOCKER_LIMITS.entriesPerAppend) }),
    response: z.object({ ids: z.array(z.number().int().positive()) }),
    errors: ["forbidden"],
  }),
  listLockerEntries: route({
    method: "GET",
    path: "/me/locker/entries",
    tag: "locker",
    auth: "user",
    summary: "The caller's own locker entries, oldest first, after the cursor `after` (an entry id); continue with `nextCursor`",
    query: z.object({
      after: z.coerce.number().int().nonnegative().default(0),
      limit: z.coerce.number().int().min(1).max(LOCKER_LIMITS.pageSize).default(50),
    }),
    response: z.object({ entries: z.array(LockerEntry), nextCursor: z.number().int().positive().nullable() }),
    noStore: true,
  }),
  getUserIdentity: route({
    method: "GET",
    path: "/users/:id/identity",
    tag: "users",
    auth: "user",
    summary: "A user's identity public key (Ed25519), which signs their device approvals (`not_found` before they set up their key locker)",
    params: z.object({ id: Id }),
    response: z.object({
      userId: Id,
      identityKey: Base64,
      /** The identity key's approvals of the user's active devices (ADR 0007): clients verify each against the device's binding. */
      approvals: z.array(z.object({ deviceId: Id, signature: Base64, createdAt: Timestamp })),
    }),
  }),
} as const;
