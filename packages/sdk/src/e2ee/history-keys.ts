/**
 * The history keys this device holds (issue 9, ADR 0007): HK(channel, generation, epoch) for every
 * epoch of a channel's group this device was in, derived from the MLS exporter when the group
 * state of that epoch is saved (ChannelCrypto.save: after every commit and join), and kept in the
 * device's key store (encrypted at rest, like the group states). An HK opens that epoch's archive
 * copies and nothing else. A send seals its archive copy with the group's current key
 * (sealArchive). Later slices: opening and checking archive copies, handing past keys to new
 * members of `shared` channels, the user's key locker.
 */
import { epoch, historyKey, parseChannelGroupId, sealArchiveCopy, type DeviceIdentity, type Group, type KeyStore } from "@parley/crypto";

/** Epochs are zero-padded so the key store lists a channel's keys in epoch order. */
const PAD = 12;
/** Where a channel's history keys are kept: `sdk/hk/<channel>/<generation>/<epoch, 12 digits>`. */
export const HISTORY_KEY_PREFIX = (channelId: string) => `sdk/hk/${channelId}/`;
const PREFIX = (channelId: string, generation: number) => `${HISTORY_KEY_PREFIX(channelId)}${generation}/`;
const NAME = (channelId: string, generation: number, epoch: number) => `${PREFIX(channelId, generation)}${String(epoch).padStart(PAD, "0")}`;
/** The key-store name of one history key. */
export const historyKeyName = NAME;

/** Derive and keep the history key of `group`'s current epoch, unless it is kept already; returns whether it was new. */
export async function recordHistoryKey(keyStore: KeyStore, channelId: string, generation: number, epoch: number, group: Group): Promise<boolean> {
  const name = NAME(channelId, generation, epoch);
  if (await keyStore.get(name)) return false;
  const hk = await historyKey(group, channelId, generation);
  await keyStore.put(name, hk);
  hk.fill(0);
  return true;
}

/** The history key of one epoch, if this device holds it. */
export function heldHistoryKey(keyStore: KeyStore, channelId: string, generation: number, epoch: number): Promise<Uint8Array | undefined> {
  return keyStore.get(NAME(channelId, generation, epoch));
}

/** The epochs of a channel's generation whose history keys this device holds, in order. */
export async function heldHistoryEpochs(keyStore: KeyStore, channelId: string, generation: number): Promise<number[]> {
  const prefix = PREFIX(channelId, generation);
  return (await keyStore.list(prefix)).map((k) => Number(k.slice(prefix.length)));
}

/**
 * The archive copy of a content payload this device sends in `group`'s current epoch: sealed under
 * that epoch's history key and signed by the device (ADR 0007). The group's generation comes from
 * its id, as the server reads it from the MLS message.
 */
export async function sealArchive(group: Group, signer: DeviceIdentity, channelId: string, clientId: string, payload: Uint8Array): Promise<Uint8Array> {
  const generation = parseChannelGroupId(group.groupId)?.generation ?? 0;
  const hk = await historyKey(group, channelId, generation);
  try {
    return await sealArchiveCopy({ hk, channelId, generation, epoch: epoch(group), clientId, payload, signer });
  } finally {
    hk.fill(0);
  }
}
