/**
 * Handing a `shared` channel's past history keys to its new members (issue 9, ADR 0007). When a
 * commit brings in users who were not in the group, one device sends every history key it holds
 * for the channel's earlier epochs in `keys` events: MLS application messages of the new epoch,
 * so only its members open them. The device that sends is the committer (it just added them) or,
 * for an external join (a member joining a public channel), the pre-existing member with the
 * lowest leaf. A new device of a user already in the group gets nothing this way: past keys reach
 * a user's own devices through the user's locker and device approval.
 *
 * Receivers keep keys only for epochs before the event's own (in its generation or earlier ones),
 * of this channel, never replacing a key they hold: a bad key opens nothing and is reported on the
 * copies it fails on.
 */
import type { KeyStore } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import type { Api } from "../http.ts";
import { base64ToBytes, bytesToBase64, type MessageContent } from "../codec.ts";
import { historyKeysOf, type ChannelKey } from "./history-keys.ts";

/** Keys per `keys` event: about 20 KB of payload, well under the message size limit. */
const KEYS_PER_EVENT = 256;

/** One shared key: generation, epoch, key. */
type SharedKey = [generation: number, epoch: number, key: Uint8Array];

/** The content of a `keys` event. */
interface SharedKeysContent extends MessageContent {
  historyKeys: { v: 1; keys: [number, number, string][] };
}

/** The history keys this device holds for the channel's epochs before (generation, epoch), oldest first. */
export async function heldKeysBefore(keyStore: KeyStore, channelId: string, generation: number, epoch: number): Promise<SharedKey[]> {
  return (await historyKeysOf(keyStore).ofChannel(channelId))
    .filter((k) => k.generation < generation || (k.generation === generation && k.epoch < epoch))
    .map((k): SharedKey => [k.generation, k.epoch, k.key]);
}

/**
 * Whether the channel's timeline holds anything said (a message, reaction, edit or delete): a
 * channel just created with its members has only handshakes, and nothing to hand over. Looks at
 * up to five pages; a longer run of handshakes alone counts as content (sharing then costs one event).
 */
export async function hasContent(api: Api, channelId: string): Promise<boolean> {
  let after = 0;
  for (let page = 0; page < 5; page++) {
    const r = await api.call("listEvents", { params: { channelId }, query: { after, limit: 200 } });
    if (r.events.some((e) => CONTENT.has(e.kind))) return true;
    if (!r.hasMore || r.events.length === 0) return false;
    after = Math.max(...r.events.map((e) => e.seq));
  }
  return true;
}

const CONTENT = new Set(["message", "reaction", "edit", "delete"]);

/** `keys` event contents carrying `keys`, at most {@link KEYS_PER_EVENT} each. */
export function sharedKeysContents(keys: SharedKey[]): SharedKeysContent[] {
  const out: SharedKeysContent[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_EVENT) {
    out.push({ historyKeys: { v: 1, keys: keys.slice(i, i + KEYS_PER_EVENT).map(([g, e, k]) => [g, e, bytesToBase64(k)]) } });
  }
  return out;
}

/** Keep the keys a `keys` event carries that this device lacks; returns how many were new (malformed content: 0). */
export async function acceptSharedKeys(keyStore: KeyStore, e: Event, content: MessageContent): Promise<number> {
  const hk = (content as Partial<SharedKeysContent>).historyKeys;
  if (!hk || hk.v !== 1 || !Array.isArray(hk.keys)) return 0;
  const generation = e.generation ?? 0;
  const keys: ChannelKey[] = [];
  for (const entry of hk.keys) {
    if (!Array.isArray(entry) || entry.length !== 3) continue;
    const [g, ep, b64] = entry;
    if (!Number.isSafeInteger(g) || !Number.isSafeInteger(ep) || g < 0 || ep < 0 || typeof b64 !== "string") continue;
    // Only the past of the epoch the event was sent in: no one hands out keys of epochs to come.
    if (!(g < generation || (g === generation && ep < e.epoch))) continue;
    let key: Uint8Array;
    try {
      key = base64ToBytes(b64);
    } catch {
      continue;
    }
    keys.push({ channelId: e.channelId, generation: g, epoch: ep, key });
  }
  // Never replacing a key held (malformed keys are skipped there): one write per generation.
  return (await historyKeysOf(keyStore).addMany(keys)).length;
}
