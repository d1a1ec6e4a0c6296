// Welcomes without the ratchet tree (RFC 9420 §12.4.3.1 lets the tree travel out of
// band). A Welcome is HPKE-sealed once per joiner with the encrypted GroupInfo as the
// HPKE context, so a tree inside it is hashed once per joiner: adding 1,000 members spent
// most of its time there. Parley's Welcomes leave the tree out; the joiner takes it from
// the GroupInfo the committer posted for the same epoch (the server keeps it with the
// Welcome), and this file checks that tree against the Welcome's own GroupContext before
// ts-mls sees it.
import { defaultExtensionTypes, wireformats, type CiphersuiteImpl, type RatchetTree, type Welcome } from "ts-mls";
import { equalBytes, toHex } from "./bytes.ts";
import { E2eeError } from "./errors.ts";
import { translate } from "./group-state.ts";
import { decryptGroupInfo, decryptGroupSecrets, ratchetTreeFromExtension, treeHashRoot } from "./ts-mls-internal.ts";
import { decodeMlsMessage } from "./wire.ts";

/** What a joiner knows about its Welcome before joining: the tree to use, if it must supply one. */
export interface WelcomeTree {
  /** The tree to pass to joinGroup; undefined when the Welcome's GroupInfo carries its own. */
  ratchetTree?: RatchetTree;
}

/**
 * Internal: opens the Welcome's group secrets and GroupInfo (with ts-mls's own
 * functions) to decide which ratchet tree the join uses.
 * - The Welcome carries the tree (older Parley Welcomes, other implementations, the
 *   conformance vectors): that tree, as before; `groupInfo` is ignored.
 * - It does not: the tree of `groupInfo` (GroupInfo MLSMessage bytes with the ratchet_tree
 *   extension), accepted only if that GroupInfo names the Welcome's group and epoch and its
 *   tree hashes to the tree_hash of the Welcome's GroupContext. Nothing else of `groupInfo`
 *   is trusted: the Welcome's GroupInfo is what joinGroup then verifies (its signature by a
 *   leaf of this tree, the confirmation tag, every leaf and parent hash).
 * Checking here, before joinGroup, keeps a wrong tree from reaching the leaf policy (one
 * directory look-up per leaf) and names the problem instead of a signature failure.
 * @throws E2eeError `bad_input` (no tree anywhere, not a GroupInfo), `invalid_message`
 *   (the Welcome does not open, or the tree is not the Welcome's).
 */
export async function welcomeTree(
  impl: CiphersuiteImpl,
  welcome: Welcome,
  keyPackageRef: Uint8Array,
  initPrivateKey: Uint8Array,
  groupInfo: Uint8Array | undefined,
): Promise<WelcomeTree> {
  let context: { groupId: Uint8Array; epoch: bigint; treeHash: Uint8Array };
  try {
    const secrets = await decryptGroupSecrets(await impl.hpke.importPrivateKey(initPrivateKey), keyPackageRef, welcome, impl.hpke);
    if (!secrets) throw new E2eeError("invalid_message", "the Welcome's group secrets do not decode");
    let gi;
    try {
      if (secrets.psks.length > 0) throw new E2eeError("invalid_message", "the Welcome needs pre-shared keys, which Parley groups never use");
      gi = await decryptGroupInfo(welcome, secrets.joinerSecret, new Uint8Array(impl.kdf.size), impl);
    } finally {
      secrets.joinerSecret.fill(0);
      secrets.pathSecret?.fill(0);
    }
    if (!gi) throw new E2eeError("invalid_message", "the Welcome's GroupInfo does not decode");
    // Present: joinGroup decodes and checks it (looked up by type here, not decoded twice).
    if (gi.extensions.some((e) => e.extensionType === defaultExtensionTypes.ratchet_tree)) return {};
    context = gi.groupContext;
  } catch (err) {
    throw translate(err, {});
  }
  if (!groupInfo) throw new E2eeError("bad_input", "the Welcome carries no ratchet tree: pass the GroupInfo of its epoch (as stored with the Welcome)");
  const msg = decodeMlsMessage(groupInfo);
  if (msg.wireformat !== wireformats.mls_group_info) throw new E2eeError("bad_input", "the tree source is not a GroupInfo");
  const supplied = msg.groupInfo.groupContext;
  if (!equalBytes(supplied.groupId, context.groupId)) throw new E2eeError("invalid_message", "the GroupInfo belongs to another group than the Welcome");
  if (supplied.epoch !== context.epoch) {
    throw new E2eeError("invalid_message", `the GroupInfo is for epoch ${supplied.epoch}; the Welcome joins epoch ${context.epoch}`);
  }
  let tree: RatchetTree | undefined;
  try {
    tree = ratchetTreeFromExtension(msg.groupInfo);
  } catch (cause) {
    throw new E2eeError("invalid_message", "the GroupInfo's ratchet tree does not decode", { cause });
  }
  if (!tree) throw new E2eeError("bad_input", "the GroupInfo carries no ratchet tree");
  const hash = await treeHashRoot(tree, impl.hash);
  if (!equalBytes(hash, context.treeHash)) {
    throw new E2eeError("invalid_message", `the ratchet tree (hash ${toHex(hash).slice(0, 16)}…) is not the one the Welcome's group context names`);
  }
  return { ratchetTree: tree };
}
