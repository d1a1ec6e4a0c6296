// Key-less verification of public MLS handshake structures, for the server (the
// Delivery/Authentication Service): it holds no group secret, so it cannot check a
// PublicMessage's membership tag (that needs the epoch's membership key). What
// authenticates a commit or proposal for the server is its SIGNATURE, over the
// FramedContentTBS with the previous epoch's GroupContext, by the sender's leaf key
// from the previous GroupInfo's ratchet tree (or the joiner's path leaf for an external
// commit, or the listed external sender key). All encodings and checks are ts-mls's own
// (see ts-mls-internal.ts).
import { contentTypes, defaultExtensionTypes, encode, senderTypes, wireformats, type GroupInfo, type PublicMessage, type RatchetTree } from "ts-mls";
import { equalBytes } from "./bytes.ts";
import { parseCredentialIdentity, type CredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import type { InspectedSender } from "./inspect.ts";
import { suiteFromId, suiteImpl, type SuiteName } from "./suites.ts";
import { groupInfoMembers, type TreeLeaf } from "./tree.ts";
import {
  createConfirmedHash,
  createInterimHash,
  findSignaturePublicKey,
  groupContextEncoder,
  ratchetTreeFromExtension,
  treeHashRoot,
  verifyFramedContentSignature,
  verifyGroupInfoSignature,
} from "./ts-mls-internal.ts";
import { decodeMlsMessage } from "./wire.ts";

/** An external sender listed in a group context (RFC 9420 §12.1.8.1). */
export interface ExternalSenderInfo {
  /** Its `senderIndex` in external proposals (ts-mls numbers them by extension position). */
  index: number;
  signaturePublicKey: Uint8Array;
  /** Parsed Basic credential identity; undefined for a foreign or non-Basic credential. */
  credentialIdentity: CredentialIdentity | undefined;
}

/** A GroupInfo whose signature and tree hash verified (see {@link verifyGroupInfo}). */
export interface VerifiedGroupInfo {
  groupId: Uint8Array;
  epoch: bigint;
  suite: SuiteName;
  /** The encoded GroupContext (what the epoch's handshake signatures cover). */
  groupContext: Uint8Array;
  confirmedTranscriptHash: Uint8Array;
  confirmationTag: Uint8Array;
  /** Leaf index of the member that signed it, and that leaf's signature key. */
  signer: number;
  signerKey: Uint8Array;
  /** Parley device leaves of its ratchet tree. */
  members: TreeLeaf[];
  externalSenders: ExternalSenderInfo[];
}

/** A PublicMessage commit or proposal whose signature verified (see {@link verifyPublicMessage}). */
export interface VerifiedMessage {
  contentType: "commit" | "proposal";
  sender: InspectedSender;
  /** The key the signature verified under. */
  signaturePublicKey: Uint8Array;
  epoch: bigint;
  /** Commits: what the next epoch's GroupInfo must carry (see {@link checkCommitLeadsTo}). */
  next?: { epoch: bigint; confirmedTranscriptHash: Uint8Array; confirmationTag: Uint8Array };
}

// The decoded library objects behind a VerifiedGroupInfo, so verifyPublicMessage can
// take it without decoding the tree again.
const decoded = new WeakMap<VerifiedGroupInfo, { gi: GroupInfo; tree: RatchetTree }>();

const bad = (msg: string, cause?: unknown) => new E2eeError("invalid_message", msg, cause === undefined ? undefined : { cause });

function decodeGroupInfo(bytes: Uint8Array, expected: SuiteName | undefined): { gi: GroupInfo; tree: RatchetTree; suite: SuiteName } {
  const msg = decodeMlsMessage(bytes);
  if (msg.wireformat !== wireformats.mls_group_info) throw new E2eeError("bad_input", "not a GroupInfo");
  const gi = msg.groupInfo;
  const suite = suiteFromId(gi.groupContext.cipherSuite);
  if (!suite) throw new E2eeError("bad_input", `unsupported cipher suite ${gi.groupContext.cipherSuite}`);
  if (expected && suite !== expected) throw new E2eeError("bad_input", `GroupInfo uses suite ${suite}, expected ${expected}`);
  let tree: RatchetTree | undefined;
  try {
    tree = ratchetTreeFromExtension(gi);
  } catch (cause) {
    throw bad("GroupInfo ratchet tree does not decode", cause);
  }
  if (!tree) throw new E2eeError("bad_input", "GroupInfo carries no ratchet tree");
  return { gi, tree, suite };
}

function externalSendersOf(gi: GroupInfo): ExternalSenderInfo[] {
  const out: ExternalSenderInfo[] = [];
  for (const ext of gi.groupContext.extensions) {
    if (ext.extensionType !== defaultExtensionTypes.external_senders) continue;
    const s = ext.extensionData as { signaturePublicKey: Uint8Array; credential: { identity?: Uint8Array } };
    let credentialIdentity: CredentialIdentity | undefined;
    try {
      credentialIdentity = s.credential.identity ? parseCredentialIdentity(s.credential.identity) : undefined;
    } catch {
      credentialIdentity = undefined; // a foreign credential: listed, but names no Parley server
    }
    out.push({ index: out.length, signaturePublicKey: s.signaturePublicKey, credentialIdentity });
  }
  return out;
}

/**
 * The external senders of a GroupInfo (MLSMessage bytes) WITHOUT verifying it: for a
 * GroupInfo the caller verified when it accepted it (e.g. the server's stored one).
 */
export function groupInfoExternalSenders(groupInfo: Uint8Array): ExternalSenderInfo[] {
  const msg = decodeMlsMessage(groupInfo);
  if (msg.wireformat !== wireformats.mls_group_info) throw new E2eeError("bad_input", "not a GroupInfo");
  return externalSendersOf(msg.groupInfo);
}

/**
 * Verifies a GroupInfo (MLSMessage bytes) with no group secret: its signature under the
 * signer leaf's key from its own ratchet_tree extension, and that the tree hashes to the
 * GroupContext's tree_hash (so the tree is the one the signer vouched for). It does not
 * re-validate every leaf signature and parent hash of the tree (joining clients do);
 * the confirmation tag needs the epoch secret and is checked against the commit instead
 * ({@link checkCommitLeadsTo}).
 * @throws E2eeError `bad_input` (not a GroupInfo, foreign suite, no tree), `invalid_message` (bad signature or tree hash).
 */
export async function verifyGroupInfo(groupInfo: Uint8Array, options: { suite?: SuiteName } = {}): Promise<VerifiedGroupInfo> {
  const { gi, tree, suite } = decodeGroupInfo(groupInfo, options.suite);
  const impl = await suiteImpl(suite);
  const node = tree[gi.signer * 2];
  if (!Number.isInteger(gi.signer) || node?.nodeType !== 1 /* leaf */) throw bad("GroupInfo signer is not a leaf of its tree");
  const signerKey = node.leaf.signaturePublicKey;
  if (!(await verifyGroupInfoSignature(gi, signerKey, impl.signature))) throw bad("GroupInfo signature does not verify");
  if (!equalBytes(await treeHashRoot(tree, impl.hash), gi.groupContext.treeHash))
    throw bad("GroupInfo ratchet tree does not match the group context's tree hash");
  const out: VerifiedGroupInfo = {
    groupId: gi.groupContext.groupId,
    epoch: gi.groupContext.epoch,
    suite,
    groupContext: encode(groupContextEncoder, gi.groupContext),
    confirmedTranscriptHash: gi.groupContext.confirmedTranscriptHash,
    confirmationTag: gi.confirmationTag,
    signer: gi.signer,
    signerKey,
    members: groupInfoMembers(groupInfo),
    externalSenders: externalSendersOf(gi),
  };
  decoded.set(out, { gi, tree });
  return out;
}

function senderOf(m: PublicMessage): InspectedSender {
  const s = m.content.sender;
  switch (s.senderType) {
    case senderTypes.member:
      return { type: "member", leafIndex: s.leafIndex };
    case senderTypes.external:
      return { type: "external", senderIndex: s.senderIndex };
    case senderTypes.new_member_commit:
      return { type: "new_member_commit" };
    default:
      return { type: "new_member_proposal" };
  }
}

/**
 * Verifies the signature of a PublicMessage commit or proposal (MLSMessage bytes)
 * against the previous epoch: the FramedContentTBS over that epoch's GroupContext, with
 * the key of the sender — a member leaf of the previous tree, the joiner's path leaf of
 * an external commit, or a listed external sender. `previousGroupInfo` is the
 * epoch's GroupInfo as {@link verifyGroupInfo} returned it, or its bytes when the
 * caller already verified them (they are not verified again). The membership tag is
 * NOT checked (it needs the epoch's membership key, which the server never has): the
 * signature is what authenticates the sender. For a commit, `next` says what the next
 * epoch's GroupInfo must carry.
 * @throws E2eeError `bad_input` (not a PublicMessage commit/proposal), `invalid_message` (wrong group/epoch, unknown sender, bad signature).
 */
export async function verifyPublicMessage(
  message: Uint8Array,
  previousGroupInfo: VerifiedGroupInfo | Uint8Array,
  options: { suite?: SuiteName } = {},
): Promise<VerifiedMessage> {
  const prev = previousGroupInfo instanceof Uint8Array ? decodeGroupInfo(previousGroupInfo, options.suite) : decoded.get(previousGroupInfo);
  if (!prev) throw new E2eeError("bad_input", "previousGroupInfo is not one verifyGroupInfo returned");
  const context = prev.gi.groupContext;
  const impl = await suiteImpl(suiteFromId(context.cipherSuite)!);
  const msg = decodeMlsMessage(message);
  if (msg.wireformat !== wireformats.mls_public_message) throw new E2eeError("bad_input", "not a PublicMessage");
  const pm = msg.publicMessage;
  const c = pm.content;
  if (c.contentType !== contentTypes.commit && c.contentType !== contentTypes.proposal) throw new E2eeError("bad_input", "not a commit or proposal");
  if (!equalBytes(c.groupId, context.groupId)) throw bad("the message belongs to another group");
  if (c.epoch !== context.epoch) throw bad(`the message is for epoch ${c.epoch}, the GroupInfo for ${context.epoch}`);
  const st = c.sender.senderType;
  const allowed =
    c.contentType === contentTypes.commit
      ? [senderTypes.member, senderTypes.new_member_commit]
      : [senderTypes.member, senderTypes.external, senderTypes.new_member_proposal];
  if (!(allowed as number[]).includes(st)) throw bad("this sender type may not send this content type");
  let key: Uint8Array;
  try {
    key = findSignaturePublicKey(prev.tree, context, c);
  } catch (cause) {
    throw bad("the message's sender has no key in the previous epoch", cause);
  }
  if (!key) throw bad("the message's sender has no key in the previous epoch");
  if (!(await verifyFramedContentSignature(key, wireformats.mls_public_message, c, pm.auth, context, impl.signature))) {
    throw bad("the message's signature does not verify");
  }
  const out: VerifiedMessage = {
    contentType: c.contentType === contentTypes.commit ? "commit" : "proposal",
    sender: senderOf(pm),
    signaturePublicKey: key,
    epoch: c.epoch,
  };
  if (c.contentType === contentTypes.commit && pm.auth.contentType === contentTypes.commit) {
    // RFC 9420 §8.2: interim(n) = H(confirmed(n) || tag(n)); confirmed(n+1) = H(interim(n) || wireformat, content, signature).
    const interim = await createInterimHash(context.confirmedTranscriptHash, prev.gi.confirmationTag, impl.hash);
    const confirmedTranscriptHash = await createConfirmedHash(
      interim,
      { wireformat: wireformats.mls_public_message, content: c, signature: pm.auth.signature },
      impl.hash,
    );
    out.next = { epoch: context.epoch + 1n, confirmedTranscriptHash, confirmationTag: pm.auth.confirmationTag };
  }
  return out;
}

/**
 * Checks that a verified GroupInfo is the one a verified commit leads to: epoch + 1,
 * the confirmed transcript hash the commit produces, the commit's confirmation tag, and
 * signed by the committer (its signer leaf holds the key the commit verified under).
 * Together with the signature checks this binds the new GroupInfo to this commit; that
 * the new tree is the exact result of applying the commit is left to the members.
 * @throws E2eeError `invalid_message` on any mismatch.
 */
export function checkCommitLeadsTo(commit: VerifiedMessage, next: VerifiedGroupInfo): void {
  if (!commit.next) throw new E2eeError("bad_input", "not a commit");
  if (next.epoch !== commit.next.epoch) throw bad(`the GroupInfo is for epoch ${next.epoch}, the commit leads to ${commit.next.epoch}`);
  if (!equalBytes(next.confirmedTranscriptHash, commit.next.confirmedTranscriptHash))
    throw bad("the GroupInfo's transcript hash is not the one the commit leads to");
  if (!equalBytes(next.confirmationTag, commit.next.confirmationTag)) throw bad("the GroupInfo's confirmation tag is not the commit's");
  if (commit.sender.type === "member" && next.signer !== commit.sender.leafIndex) throw bad("the GroupInfo is not signed by the committer's leaf");
  if (!equalBytes(next.signerKey, commit.signaturePublicKey)) throw bad("the GroupInfo is not signed by the committer");
}
