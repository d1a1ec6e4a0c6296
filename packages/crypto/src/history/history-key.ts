// History keys (ADR 0007): HK(channel, generation, epoch) = MLS-Exporter("parley history
// v1", lengthPrefixed(channelId) ‖ u32(generation), 32) in the group's current epoch. Every
// member derives the same key with no message; a commit changes it.
import { mlsExporter } from "ts-mls";
import { concat, lengthPrefixed, u32, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { internalOf, type Group } from "../group-state.ts";

const LABEL = "parley history v1";
/** Size of a history key. */
export const HISTORY_KEY_BYTES = 32;

/** The exporter context of a history key. */
function historyKeyContext(channelId: string, generation: number): Uint8Array {
  return concat(lengthPrefixed(utf8(channelId)), u32(generation));
}

/**
 * The 32-byte history key of `group`'s current epoch for a channel and generation: it opens
 * that epoch's archive copies. Throws `invalid_state` once this device has left the group.
 */
export async function historyKey(group: Group, channelId: string, generation: number): Promise<Uint8Array> {
  const g = internalOf(group);
  if (g.state.groupActiveState.kind !== "active") throw new E2eeError("invalid_state", "this device is no longer in the group");
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) throw new E2eeError("bad_input", "generation is not a u32");
  return mlsExporter(g.state.keySchedule.exporterSecret, LABEL, historyKeyContext(channelId, generation), HISTORY_KEY_BYTES, g.impl);
}
