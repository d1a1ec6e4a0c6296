// This device's position in its own application-message ratchet (RFC 9420 §9.1): each
// PrivateMessage it sends in an epoch uses the next generation, and the generation picks
// the AES-GCM key and nonce. Sending twice under one generation reuses a key/nonce pair,
// which breaks AES-GCM. A device that persists its group state lazily (not after every
// send) must therefore be able to say where it stands and to move past generations an
// earlier run may already have used; these two functions do exactly that.
import { encrypt } from "./messages.ts";
import { internalOf, type Group } from "./group-state.ts";

const EMPTY = new Uint8Array(0);

/**
 * The generation this device's next application message in the group's current epoch
 * will use (0 before its first message of the epoch).
 */
export function sendGeneration(group: Group): number {
  const s = internalOf(group).state;
  // The secret tree is keyed by node index; a leaf's node index is twice its leaf index.
  return s.secretTree.leafNodes[s.privatePath.leafIndex * 2]?.application.generation ?? 0;
}

/**
 * Moves this device's sending ratchet forward so its next application message uses
 * `generation` or later, by encrypting and discarding empty messages (never sent; their
 * keys are zeroed as for any message). Members that receive the next real message ratchet
 * over the gap (ts-mls accepts up to 200 generations ahead), as for lost messages.
 * @returns how many generations were skipped
 */
export async function skipSendGenerations(group: Group, generation: number): Promise<number> {
  let skipped = 0;
  while (sendGeneration(group) < generation) {
    await encrypt(group, EMPTY);
    skipped++;
  }
  return skipped;
}
