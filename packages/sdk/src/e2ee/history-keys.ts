/**
 * The history keys this device holds (issue 9, ADR 0007): HK(channel, generation, epoch) for every
 * epoch of a channel's group this device was in, derived from the MLS exporter when the group
 * state of that epoch is saved (ChannelCrypto.save: after every commit and join), and kept in the
 * device's key store (encrypted at rest, like the group states). An HK opens that epoch's archive
 * copies and nothing else. What uses them comes in later slices: sealing and opening archive
 * copies, handing past keys to new members of `shared` channels, the user's key locker.
 */
import { historyKey, type Group, type KeyStore } from "@parley/crypto";

/** Epochs are zero-padded so the key store lists a channel's keys in epoch order. */
const PAD = 12;
const PREFIX = (channelId: string, generation: number) => `sdk/hk/${channelId}/${generation}/`;
const NAME = (channelId: string, generation: number, epoch: number) => `${PREFIX(channelId, generation)}${String(epoch).padStart(PAD, "0")}`;

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
