/**
 * The history keys of an archived channel, as the export opens them (ADR 0008): every sealed
 * batch a member's device appended, opened with the archive private key for the user who sealed
 * it. Every member's device seals, so a slot (generation, epoch) usually has the same key many
 * times; a batch that does not open, or a key that disagrees with the others, is kept aside
 * rather than trusted — an archive copy opens only under its epoch's real key (AES-GCM), so the
 * export tries each distinct candidate.
 */
import { openLockerBatch } from "@parley/crypto";
import type { ArchiveKeyEntry } from "@parley/protocol";

/** The keys of one channel by slot, and what opening the batches gave. */
export interface ChannelKeys {
  /** Distinct candidate keys of an epoch of a generation (usually one). */
  keys(generation: number, epoch: number): Uint8Array[];
  /** Batches opened. */
  opened: number;
  /** Batches that did not open (changed bytes or metadata, or sealed to another key). */
  failed: Array<{ id: string; userId: string; deviceId: string }>;
  /** Distinct slots with at least one key. */
  slots: number;
}

const slot = (generation: number, epoch: number) => `${generation}:${epoch}`;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Opens a channel's sealed batches (as `listArchiveKeys` serves them) with the archive private key. */
export async function openChannelKeys(
  archivePrivateKey: Uint8Array,
  orgId: string,
  channelId: string,
  entries: readonly ArchiveKeyEntry[],
): Promise<ChannelKeys> {
  const bySlot = new Map<string, Map<string, Uint8Array>>();
  const failed: ChannelKeys["failed"] = [];
  let opened = 0;
  for (const e of entries) {
    const meta = { channelId, generation: e.generation, fromEpoch: BigInt(e.fromEpoch), toEpoch: BigInt(e.toEpoch) };
    let held: Awaited<ReturnType<typeof openLockerBatch>>;
    try {
      // The owner is the user whose device sealed it: the HPKE info binds it, so a batch is read as that user's.
      held = await openLockerBatch(archivePrivateKey, { orgId, userId: e.userId }, new Uint8Array(Buffer.from(e.sealed, "base64")), meta);
    } catch {
      failed.push({ id: e.id, userId: e.userId, deviceId: e.deviceId });
      continue;
    }
    opened++;
    for (const k of held) {
      const s = slot(k.generation, Number(k.epoch));
      let m = bySlot.get(s);
      if (!m) bySlot.set(s, (m = new Map()));
      m.set(hex(k.hk), k.hk);
    }
  }
  return {
    keys: (generation, epoch) => [...(bySlot.get(slot(generation, epoch))?.values() ?? [])],
    opened,
    failed,
    slots: bySlot.size,
  };
}
