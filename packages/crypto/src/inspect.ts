// Reading public MLS structures without any group secret: what the server (Delivery
// Service) may check. Nothing here decrypts; PrivateMessage content stays opaque.
import {
  contentTypes,
  encode,
  keyPackageEncoder,
  makeKeyPackageRef,
  senderTypes,
  wireformats,
  type CiphersuiteImpl,
  type KeyPackage,
  type ProposalOrRef,
  type Sender,
} from "ts-mls";
import { concat, mlsVarint, toHex, utf8 } from "./bytes.ts";
import { parseCredentialIdentity, type CredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import { suiteFromId, suiteImpl, type SuiteName } from "./suites.ts";
import { decodeMlsMessage } from "./wire.ts";

/** A KeyPackage's public facts, after its signature was verified. */
export interface KeyPackageInfo {
  /** KeyPackageRef (hash of the KeyPackage). */
  ref: Uint8Array;
  /** `ref` as lowercase hex. */
  refHex: string;
  /** Parsed credential identity (must be a device of the uploading user). */
  identity: CredentialIdentity;
  /** Leaf signature public key (must equal the device's directory key). */
  signaturePublicKey: Uint8Array;
  /** Cipher suite name, or undefined for a suite Parley does not use. */
  suite: SuiteName | undefined;
  /** Lifetime bounds, seconds since the epoch. */
  notBefore: bigint;
  notAfter: bigint;
}

function keyPackageOf(bytes: Uint8Array): KeyPackage {
  const msg = decodeMlsMessage(bytes);
  if (msg.wireformat !== wireformats.mls_key_package) throw new E2eeError("bad_input", "not a KeyPackage message");
  return msg.keyPackage;
}

/**
 * Parses and verifies an uploaded KeyPackage (MLSMessage bytes): the KeyPackage
 * signature must verify under its own leaf signature key. The caller then checks that
 * `identity` names the uploading device and `signaturePublicKey` matches its directory key.
 * @throws E2eeError `bad_input` (malformed / foreign suite or credential), `invalid_message` (bad signature).
 */
export async function parseKeyPackage(bytes: Uint8Array): Promise<KeyPackageInfo> {
  const kp = keyPackageOf(bytes);
  const suite = suiteFromId(kp.cipherSuite);
  if (!suite) throw new E2eeError("bad_input", `unsupported cipher suite ${kp.cipherSuite}`);
  const impl = await suiteImpl(suite);
  const cred = kp.leafNode.credential;
  if (!("identity" in cred)) throw new E2eeError("bad_input", "KeyPackage credential is not Basic");
  const identity = parseCredentialIdentity(cred.identity);
  if (!(await keyPackageSignatureValid(kp, impl.signature))) throw new E2eeError("invalid_message", "KeyPackage signature does not verify");
  const ref = await makeKeyPackageRef(kp, impl.hash);
  if (!("lifetime" in kp.leafNode)) throw new E2eeError("bad_input", "KeyPackage leaf has no lifetime");
  return {
    ref,
    refHex: toHex(ref),
    identity,
    signaturePublicKey: kp.leafNode.signaturePublicKey,
    suite,
    notBefore: kp.leafNode.lifetime.notBefore,
    notAfter: kp.leafNode.lifetime.notAfter,
  };
}

/**
 * Internal: whether a KeyPackage's signature verifies under its own leaf key.
 * KeyPackage = KeyPackageTBS || signature<V>: re-encode and strip the signature field to
 * get the signed bytes (ts-mls does not export its TBS encoder).
 */
export async function keyPackageSignatureValid(kp: KeyPackage, signature: CiphersuiteImpl["signature"]): Promise<boolean> {
  const full = encode(keyPackageEncoder, kp);
  const sigField = concat(mlsVarint(kp.signature.length), kp.signature);
  const tbs = full.subarray(0, full.length - sigField.length);
  return signature.verify(kp.leafNode.signaturePublicKey, signContent("KeyPackageTBS", tbs), kp.signature);
}

/** Internal: SignWithLabel content (RFC 9420 §5.1.2): struct { opaque label<V>; opaque content<V>; }. */
export function signContent(label: string, content: Uint8Array): Uint8Array {
  const l = utf8(`MLS 1.0 ${label}`);
  return concat(mlsVarint(l.length), l, mlsVarint(content.length), content);
}

/** RefHash (RFC 9420 §5.2) with the suite's hash. */
async function refHash(suite: SuiteName, label: string, value: Uint8Array): Promise<Uint8Array> {
  return refHashWith((await suiteImpl(suite)).hash, label, value);
}

/** Internal: RefHash with a given hash implementation. */
export function refHashWith(hash: CiphersuiteImpl["hash"], label: string, value: Uint8Array): Promise<Uint8Array> {
  const l = utf8(label);
  return hash.digest(concat(mlsVarint(l.length), l, mlsVarint(value.length), value));
}

/** Sender of a framed message, as the server sees it. */
export type InspectedSender =
  { type: "member"; leafIndex: number } | { type: "external"; senderIndex: number } | { type: "new_member_commit" } | { type: "new_member_proposal" };

/** A leaf added by a commit or proposal, from its KeyPackage. */
export interface InspectedAdd {
  identity: CredentialIdentity;
  signaturePublicKey: Uint8Array;
  keyPackageRefHex: string;
}

/** Public facts of an MLS message (see {@link inspectMlsMessage}). */
export interface InspectedMessage {
  wireFormat: "public" | "private" | "welcome" | "group_info" | "key_package";
  /** Group id (public/private messages and GroupInfo). */
  groupId?: Uint8Array;
  /** Epoch the message belongs to (public/private messages and GroupInfo). */
  epoch?: bigint;
  contentType?: "application" | "proposal" | "commit";
  /** Sender (PublicMessage only: a PrivateMessage hides it). */
  sender?: InspectedSender;
  /** PublicMessage commits and proposals: adds by value. */
  adds: InspectedAdd[];
  /** PublicMessage commits and proposals: leaf indexes removed by value. */
  removes: number[];
  /** PublicMessage commits: proposals included by reference (hex ProposalRefs). */
  proposalRefs: string[];
  /** PublicMessage commits: other by-value proposal types (numbers). */
  otherProposals: number[];
  /** External commits: the joiner's leaf (from the update path). */
  joiner?: { identity: CredentialIdentity; signaturePublicKey: Uint8Array };
  /** PublicMessage proposals: this proposal's ProposalRef (hex), to match against a later commit's `proposalRefs`. */
  proposalRefHex?: string;
  /** Welcome: KeyPackageRefs (hex) of the devices it is for. */
  welcomeFor?: string[];
  /** Welcome, GroupInfo, KeyPackage: cipher suite. */
  suite?: SuiteName;
}

const CONTENT: Record<number, "application" | "proposal" | "commit"> = {
  [contentTypes.application]: "application",
  [contentTypes.proposal]: "proposal",
  [contentTypes.commit]: "commit",
};

function inspectSender(s: Sender): InspectedSender {
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
 * Reads the public structure of MLSMessage bytes: for the server to check a commit
 * bundle's adds/removes against channel membership and the device directory, route
 * Welcomes by KeyPackageRef, and track its own Remove proposals by ProposalRef.
 * `suite` (the channel's org suite) is needed only for the ProposalRef hash.
 * @throws E2eeError `invalid_message` for bytes that are not an MLS message.
 */
export async function inspectMlsMessage(bytes: Uint8Array, options: { suite?: SuiteName } = {}): Promise<InspectedMessage> {
  const msg = decodeMlsMessage(bytes);
  const out: InspectedMessage = { wireFormat: "public", adds: [], removes: [], proposalRefs: [], otherProposals: [] };
  switch (msg.wireformat) {
    case wireformats.mls_private_message: {
      const pm = msg.privateMessage;
      return { ...out, wireFormat: "private", groupId: pm.groupId, epoch: pm.epoch, contentType: CONTENT[pm.contentType] };
    }
    case wireformats.mls_welcome:
      return { ...out, wireFormat: "welcome", welcomeFor: msg.welcome.secrets.map((s) => toHex(s.newMember)), suite: suiteFromId(msg.welcome.cipherSuite) };
    case wireformats.mls_group_info: {
      const gc = msg.groupInfo.groupContext;
      return { ...out, wireFormat: "group_info", groupId: gc.groupId, epoch: gc.epoch, suite: suiteFromId(gc.cipherSuite) };
    }
    case wireformats.mls_key_package:
      return { ...out, wireFormat: "key_package", suite: suiteFromId(msg.keyPackage.cipherSuite) };
  }
  const pub = msg.publicMessage;
  const c = pub.content;
  out.groupId = c.groupId;
  out.epoch = c.epoch;
  out.contentType = CONTENT[c.contentType];
  out.sender = inspectSender(c.sender);
  const suite = options.suite ?? "default";
  const byValue = async (p: ProposalOrRef) => {
    if (p.proposalOrRefType !== 1) {
      out.proposalRefs.push(toHex(p.reference));
      return;
    }
    const prop = p.proposal;
    if ("add" in prop) {
      const cred = prop.add.keyPackage.leafNode.credential;
      if (!("identity" in cred)) throw new E2eeError("bad_input", "added credential is not Basic");
      const impl = await suiteImpl(suite);
      out.adds.push({
        identity: parseCredentialIdentity(cred.identity),
        signaturePublicKey: prop.add.keyPackage.leafNode.signaturePublicKey,
        keyPackageRefHex: toHex(await makeKeyPackageRef(prop.add.keyPackage, impl.hash)),
      });
    } else if ("remove" in prop) out.removes.push(prop.remove.removed);
    else out.otherProposals.push(prop.proposalType);
  };
  if (c.contentType === contentTypes.commit) {
    for (const p of c.commit.proposals) await byValue(p);
    const leaf = c.commit.path?.leafNode;
    if (c.sender.senderType === senderTypes.new_member_commit && leaf && "identity" in leaf.credential) {
      out.joiner = { identity: parseCredentialIdentity(leaf.credential.identity), signaturePublicKey: leaf.signaturePublicKey };
    }
  } else if (c.contentType === contentTypes.proposal) {
    await byValue({ proposalOrRefType: 1, proposal: c.proposal });
    out.proposalRefHex = toHex(
      await proposalRef(bytes, pub.senderType === senderTypes.member ? (pub as { membershipTag: Uint8Array }).membershipTag : undefined, suite),
    );
  }
  return out;
}

// ProposalRef = RefHash("MLS 1.0 Proposal Reference", AuthenticatedContent), and
// AuthenticatedContent is the PublicMessage bytes minus the 2-byte version in front
// and the membership tag field at the end (members only).
async function proposalRef(mlsMessage: Uint8Array, membershipTag: Uint8Array | undefined, suite: SuiteName): Promise<Uint8Array> {
  const tail = membershipTag ? mlsVarint(membershipTag.length).length + membershipTag.length : 0;
  return refHash(suite, "MLS 1.0 Proposal Reference", mlsMessage.subarray(2, mlsMessage.length - tail));
}

/** The public header of an MLS PrivateMessage. */
export interface PrivateMessageHeader {
  groupId: Uint8Array;
  epoch: bigint;
  contentType: "application" | "proposal" | "commit";
}

/**
 * The group, epoch and content type of MLS PrivateMessage bytes, or null if the
 * bytes are not a PrivateMessage. Synchronous and cheap (no hashing, no keys):
 * lets the server refuse event content that is not ciphertext of the channel's group.
 */
export function privateMessageHeader(bytes: Uint8Array): PrivateMessageHeader | null {
  let msg;
  try {
    msg = decodeMlsMessage(bytes);
  } catch {
    return null;
  }
  if (msg.wireformat !== wireformats.mls_private_message) return null;
  const pm = msg.privateMessage;
  const contentType = CONTENT[pm.contentType];
  return contentType ? { groupId: pm.groupId, epoch: pm.epoch, contentType } : null;
}
