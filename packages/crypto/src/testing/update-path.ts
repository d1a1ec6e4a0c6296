// Test support: plays a removed device that ignores its removal and tries to open the
// UpdatePath of later commits with every private key it held (its leaf key and the keys of
// its direct path). Opening any of them means it derives the new epoch's secrets. It needs
// only what such a device has: its old group state, the commits and the GroupInfos the
// server stores (public), so the test shows what an attacker could do, not what a correct
// client does.
import { clientStateDecoder, encode, wireformats, type GroupContext } from "ts-mls";
import { decodeMlsMessage } from "../wire.ts";
import { groupStateEngine } from "../group.ts";
import { suiteFromId, suiteImpl } from "../suites.ts";
import { decryptWithLabel, groupContextEncoder } from "../ts-mls-internal.ts";

/** The HPKE private keys in an exported group state (exportGroupState bytes). */
export function heldPrivateKeys(exported: Uint8Array): { suiteId: number; keys: Uint8Array[] } {
  const decoded = clientStateDecoder(exported.subarray(groupStateEngine(exported).body), 0);
  if (!decoded) throw new Error("not an exported group state");
  const state = decoded[0];
  return { suiteId: state.groupContext.cipherSuite, keys: Object.values(state.privatePath.privateKeys).map((k) => k.slice()) };
}

function contextOf(groupInfo: Uint8Array): GroupContext {
  const m = decodeMlsMessage(groupInfo);
  if (m.wireformat !== wireformats.mls_group_info) throw new Error("not a GroupInfo");
  return m.groupInfo.groupContext;
}

/**
 * How many UpdatePath ciphertexts of `commit` (epoch e → e+1) open under `held` keys.
 * `before` and `after` are the GroupInfos of epochs e and e+1: with them the device
 * rebuilds the provisional GroupContext the path secrets were sealed to.
 */
export async function openUpdatePath(
  held: { suiteId: number; keys: Uint8Array[] },
  commit: Uint8Array,
  before: Uint8Array,
  after: Uint8Array,
): Promise<number> {
  const m = decodeMlsMessage(commit);
  if (!("publicMessage" in m) || !("commit" in m.publicMessage.content)) throw new Error("not a PublicMessage commit");
  const path = m.publicMessage.content.commit.path;
  if (!path) return 0;
  const suite = suiteFromId(held.suiteId);
  if (!suite) throw new Error("unknown suite");
  const cs = await suiteImpl(suite);
  const gcBefore = contextOf(before);
  const gcAfter = contextOf(after);
  const context = encode(groupContextEncoder, { ...gcBefore, epoch: gcBefore.epoch + 1n, treeHash: gcAfter.treeHash, extensions: gcAfter.extensions });
  let opened = 0;
  for (const node of path.nodes) {
    for (const ct of node.encryptedPathSecret) {
      for (const key of held.keys) {
        try {
          await decryptWithLabel(await cs.hpke.importPrivateKey(key), "UpdatePathNode", context, ct.kemOutput, ct.ciphertext, cs.hpke);
          opened++;
        } catch {
          // not sealed to this key
        }
      }
    }
  }
  return opened;
}
