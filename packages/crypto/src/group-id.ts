import { fromUtf8, utf8 } from "./bytes.ts";
import { E2eeError } from "./errors.ts";

/** Group ids are channel ids; strings are taken as UTF-8 (1..255 bytes). */
export function groupIdBytes(groupId: Uint8Array | string): Uint8Array {
  const b = typeof groupId === "string" ? utf8(groupId) : groupId;
  if (b.length === 0 || b.length > 255) throw new E2eeError("bad_input", "group id must be 1..255 bytes");
  return b;
}

/**
 * The MLS group id of a channel's group of `generation`: the channel id for the first
 * group, `<channelId>~<n>` after the n-th encryption reset. A reset creates a new group
 * (new id, epochs from 0), so nothing of the old group can be replayed into the new one.
 */
export function channelGroupId(channelId: string, generation: number): string {
  if (!Number.isInteger(generation) || generation < 0) throw new E2eeError("bad_input", "bad group generation");
  return generation === 0 ? channelId : `${channelId}~${generation}`;
}

/** The channel and generation a group id names (see {@link channelGroupId}), or undefined. */
export function parseChannelGroupId(groupId: Uint8Array): { channelId: string; generation: number } | undefined {
  let s: string;
  try {
    s = fromUtf8(groupId);
  } catch {
    return undefined;
  }
  const m = /^([^~]+)(?:~([1-9][0-9]{0,8}))?$/.exec(s);
  return m ? { channelId: m[1]!, generation: m[2] ? Number(m[2]) : 0 } : undefined;
}
