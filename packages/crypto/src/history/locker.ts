// The key locker (ADR 0007): every device of a user appends the history keys it holds,
// HPKE-sealed in batches to the user's locker public key (writing needs no secret); only
// holders of the locker private key read them. A second recipient (an org's compliance
// key, later) is one more seal of the same batch.
import { concat, lengthPrefixedAll, u64, u32, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { generateX25519KeyPair, hpkeOpen, hpkeRecipient, hpkeSeal, type X25519KeyPair } from "./hpke.ts";
import { decodeLockerBatch, encodeLockerBatch, type LockerEntry } from "./locker-batch.ts";

/** Whose locker: bound into every seal's HPKE info. */
export interface LockerOwner {
  /** Org of the user. */
  orgId: string;
  /** The user owning the locker. */
  userId: string;
}

/**
 * What the server stores in the clear beside a sealed batch (bound as the seal's AAD):
 * the channel and generation when the batch holds one channel generation (else null), and
 * the range of epochs it covers.
 */
export interface LockerBatchMeta {
  /** The one channel of the batch, or null for a batch of several channels. */
  channelId: string | null;
  /** The one generation of the batch, or null. */
  generation: number | null;
  /** Lowest epoch in the batch. */
  fromEpoch: bigint;
  /** Highest epoch in the batch. */
  toEpoch: bigint;
}

const INFO_LABEL = utf8("parley locker v1");
const AAD_LABEL = utf8("parley locker batch v1");
const SEALED_VERSION = 1;

const infoOf = (owner: LockerOwner) => concat(INFO_LABEL, lengthPrefixedAll(utf8(owner.orgId), utf8(owner.userId)));

function aadOf(meta: LockerBatchMeta): Uint8Array {
  return concat(
    AAD_LABEL,
    meta.channelId === null ? Uint8Array.of(0) : concat(Uint8Array.of(1), lengthPrefixedAll(utf8(meta.channelId))),
    meta.generation === null ? Uint8Array.of(0) : concat(Uint8Array.of(1), u32(meta.generation)),
    u64(meta.fromEpoch),
    u64(meta.toEpoch),
  );
}

/** Generates a user's locker key pair (X25519): the public key goes to the server, the private key stays on approved devices and in the recovery blob. */
export function generateLockerKeyPair(): X25519KeyPair {
  return generateX25519KeyPair();
}

/** The metadata of a batch: its one channel and generation (or null) and its epoch range. */
export function lockerBatchMeta(entries: readonly LockerEntry[]): LockerBatchMeta {
  if (entries.length === 0) throw new E2eeError("bad_input", "an empty locker batch");
  const channels = new Set(entries.map((e) => e.channelId));
  const generations = new Set(entries.map((e) => `${e.channelId}/${e.generation}`));
  let fromEpoch = entries[0]!.epoch;
  let toEpoch = fromEpoch;
  for (const e of entries) {
    if (e.epoch < fromEpoch) fromEpoch = e.epoch;
    if (e.epoch > toEpoch) toEpoch = e.epoch;
  }
  return {
    channelId: channels.size === 1 ? entries[0]!.channelId : null,
    generation: generations.size === 1 ? entries[0]!.generation : null,
    fromEpoch,
    toEpoch,
  };
}

function fits(entries: readonly LockerEntry[], meta: LockerBatchMeta): boolean {
  return entries.every(
    (e) =>
      (meta.channelId === null || e.channelId === meta.channelId) &&
      (meta.generation === null || e.generation === meta.generation) &&
      e.epoch >= meta.fromEpoch &&
      e.epoch <= meta.toEpoch,
  );
}

/**
 * Seals one batch to each of `publicKeys` (the user's locker key, then e.g. an org's
 * compliance key): encoded once, one HPKE seal per key. `meta` defaults to {@link lockerBatchMeta}.
 */
export async function sealLockerBatchToEach(
  publicKeys: readonly Uint8Array[],
  owner: LockerOwner,
  entries: readonly LockerEntry[],
  meta: LockerBatchMeta = lockerBatchMeta(entries),
): Promise<Uint8Array[]> {
  if (entries.length === 0) throw new E2eeError("bad_input", "an empty locker batch");
  if (!fits(entries, meta)) throw new E2eeError("bad_input", "a locker entry lies outside the batch metadata");
  const batch = encodeLockerBatch(entries);
  const info = infoOf(owner);
  const aad = aadOf(meta);
  try {
    return await Promise.all(publicKeys.map(async (pk) => concat(Uint8Array.of(SEALED_VERSION), await hpkeSeal(pk, info, aad, batch))));
  } finally {
    batch.fill(0);
  }
}

/** Seals a batch of history keys to a locker public key (HPKE; `meta`, stored in the clear by the server, is the AAD). */
export async function sealLockerBatch(
  publicKey: Uint8Array,
  owner: LockerOwner,
  entries: readonly LockerEntry[],
  meta: LockerBatchMeta = lockerBatchMeta(entries),
): Promise<Uint8Array> {
  const [sealed] = await sealLockerBatchToEach([publicKey], owner, entries, meta);
  return sealed!;
}

/**
 * Opens sealed batches (as served: sealed bytes and their metadata) with the locker private
 * key, importing it once. Returns every entry, batch after batch.
 * Errors: E2eeError `locker_open_failed` (another key, changed bytes or metadata).
 */
export async function openLockerBatches(
  privateKey: Uint8Array,
  owner: LockerOwner,
  batches: ReadonlyArray<{ sealed: Uint8Array; meta: LockerBatchMeta }>,
): Promise<LockerEntry[]> {
  const recipient = await hpkeRecipient(privateKey);
  const info = infoOf(owner);
  const out: LockerEntry[] = [];
  for (const { sealed, meta } of batches) {
    const plain = sealed[0] === SEALED_VERSION ? await hpkeOpen(recipient, info, aadOf(meta), sealed.subarray(1)) : undefined;
    if (!plain) throw new E2eeError("locker_open_failed", "a locker batch did not open with this key, owner and metadata");
    const entries = decodeLockerBatch(plain);
    plain.fill(0);
    // Authenticated but inconsistent: a device of this user sealed a malformed batch.
    if (!entries || !fits(entries, meta)) throw new E2eeError("locker_open_failed", "a locker batch is malformed or lies outside its metadata");
    for (const e of entries) out.push(e);
  }
  return out;
}

/** Opens one sealed batch (see {@link openLockerBatches}). */
export function openLockerBatch(privateKey: Uint8Array, owner: LockerOwner, sealed: Uint8Array, meta: LockerBatchMeta): Promise<LockerEntry[]> {
  return openLockerBatches(privateKey, owner, [{ sealed, meta }]);
}
