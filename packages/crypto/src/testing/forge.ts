// Test support: handshakes an honest Parley client never builds, made with ts-mls
// directly from a group's internal state (the wrapper's rules are bypassed on purpose),
// to show that receivers refuse them.
import {
  createCommit,
  createProposal,
  defaultCapabilities,
  defaultCredentialTypes,
  defaultProposalTypes,
  encode,
  generateKeyPackageWithKey,
  wireformats,
  mlsMessageEncoder,
  nodeTypes,
  type ClientState,
  type CiphersuiteImpl,
  type Credential,
  type LeafNode,
  type Proposal,
} from "ts-mls";
import { encodeCredentialIdentity } from "../credential.ts";
import { internalOf, mlsContext, type Group } from "../group-state.ts";
import { credentialOf, implOf, signaturePrivateKey, type DeviceIdentity } from "../identity.ts";
import { encodeKeyPackageMessage } from "../key-packages.ts";
import { decodeMlsMessage } from "../wire.ts";
import { encodeGroupInfo } from "../group.ts";

/** What to falsify in a forged commit. */
export interface Forgery {
  /** Proposals by value, whatever the commit rules say. */
  proposals?: Proposal[];
  /** The identity the committer's new (UpdatePath) leaf claims. */
  leafIdentity?: { orgId: string; userId: string; deviceId: string };
  /** The HPKE public key the committer's new leaf announces instead of its own. */
  leafHpkeKey?: Uint8Array;
}

/** A PublicMessage commit from `group`'s member, forged as told. The group itself is not changed. */
export async function forgeCommit(group: Group, f: Forgery): Promise<Uint8Array> {
  return (await forgeBundle(group, f)).commit;
}

/** The commit bundle (commit, Welcome, new GroupInfo) of a forged commit, to post to a server. */
export async function forgeBundle(group: Group, f: Forgery): Promise<{ commit: Uint8Array; welcome?: Uint8Array; groupInfo: Uint8Array; epoch: bigint }> {
  const g = internalOf(group);
  let state: ClientState = g.state;
  if (f.leafIdentity) {
    const tree = state.ratchetTree.slice();
    const at = state.privatePath.leafIndex * 2;
    const node = tree[at];
    if (node?.nodeType !== nodeTypes.leaf) throw new Error("own leaf missing");
    const credential = { credentialType: defaultCredentialTypes.basic, identity: encodeCredentialIdentity({ kind: "device", ...f.leafIdentity }) };
    tree[at] = { ...node, leaf: { ...node.leaf, credential } };
    state = { ...state, ratchetTree: tree };
  }
  let impl: CiphersuiteImpl = g.impl;
  if (f.leafHpkeKey) impl = announcingLeafKey(g.impl, f.leafHpkeKey);
  const res = await createCommit({
    context: { ...mlsContext(g, {}), cipherSuite: impl },
    state,
    extraProposals: f.proposals ?? [],
    wireAsPublicMessage: true,
    ratchetTreeExtension: true,
  });
  return {
    commit: encode(mlsMessageEncoder, res.commit),
    welcome: res.welcome ? encode(mlsMessageEncoder, res.welcome) : undefined,
    groupInfo: await encodeGroupInfo(res.newState, g.impl),
    epoch: res.newState.groupContext.epoch,
  };
}

// createUpdatePath derives the new leaf's key pair first and exports its public key
// last; the wrapped suite reports `key` for exactly that key object.
function announcingLeafKey(impl: CiphersuiteImpl, key: Uint8Array): CiphersuiteImpl {
  let leafPublic: unknown;
  const hpke = {
    ...impl.hpke,
    deriveKeyPair: async (ikm: Uint8Array) => {
      const kp = await impl.hpke.deriveKeyPair(ikm);
      leafPublic ??= kp.publicKey;
      return kp;
    },
    exportPublicKey: async (k: Parameters<CiphersuiteImpl["hpke"]["exportPublicKey"]>[0]) => (k === leafPublic ? key.slice() : impl.hpke.exportPublicKey(k)),
  };
  return { ...impl, hpke };
}

/** A member proposal (PublicMessage), which Parley members never send. */
export async function forgeMemberProposal(group: Group, proposal: Proposal): Promise<Uint8Array> {
  const g = internalOf(group);
  const res = await createProposal({ context: mlsContext(g, {}), state: g.state, proposal, wireAsPublicMessage: true });
  return encode(mlsMessageEncoder, res.message);
}

/** The HPKE public key of a member's leaf (to forge a duplicate). */
export function leafHpkeKey(group: Group, leafIndex: number): Uint8Array {
  const node = internalOf(group).state.ratchetTree[leafIndex * 2];
  if (node?.nodeType !== nodeTypes.leaf) throw new Error(`no leaf at ${leafIndex}`);
  return node.leaf.hpkePublicKey.slice();
}

/** An Add proposal by value for a KeyPackage (MLSMessage bytes). */
export function addProposal(keyPackage: Uint8Array): Proposal {
  const m = decodeMlsMessage(keyPackage);
  if (m.wireformat !== wireformats.mls_key_package) throw new Error("not a KeyPackage");
  return { proposalType: defaultProposalTypes.add, add: { keyPackage: m.keyPackage } };
}

/** A Remove proposal by value. */
export function removeProposal(leafIndex: number): Proposal {
  return { proposalType: defaultProposalTypes.remove, remove: { removed: leafIndex } };
}

/** What to falsify in a forged KeyPackage. */
export interface KeyPackageForgery {
  /** The HPKE (encryption) public key its leaf announces, e.g. a member's (whose private key the forger lacks). */
  leafHpkeKey?: Uint8Array;
  /** The credential types its leaf's capabilities list (default: ts-mls's, which list Basic and X.509). */
  credentialTypes?: number[];
  /** Its leaf's credential (default: the device's Basic credential). */
  credential?: Credential;
}

/**
 * A KeyPackage of `identity`, forged as told and properly signed with the device's
 * signature key, so the forged field is its only defect. Its private half is not kept
 * (nobody joins with it).
 */
export async function forgeKeyPackage(identity: DeviceIdentity, f: KeyPackageForgery): Promise<Uint8Array> {
  const impl = await implOf(identity);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const { publicPackage } = await generateKeyPackageWithKey({
    credential: f.credential ?? credentialOf(identity),
    signatureKeyPair: { signKey: signaturePrivateKey(identity), publicKey: identity.signaturePublicKey },
    cipherSuite: f.leafHpkeKey ? announcingKeyPackageLeafKey(impl, f.leafHpkeKey) : impl,
    lifetime: { notBefore: now - 3600n, notAfter: now + 3600n },
    ...(f.credentialTypes ? { capabilities: { ...defaultCapabilities(), credentials: f.credentialTypes } } : {}),
  });
  return encodeKeyPackageMessage(publicPackage);
}

// generateKeyPackageWithKey makes the init key pair first and the leaf's key pair second;
// the wrapped suite exports `key` as the public key of that second pair.
function announcingKeyPackageLeafKey(impl: CiphersuiteImpl, key: Uint8Array): CiphersuiteImpl {
  let pairs = 0;
  let leafPublic: unknown;
  const hpke = {
    ...impl.hpke,
    generateKeyPair: async () => {
      const kp = await impl.hpke.generateKeyPair();
      if (++pairs === 2) leafPublic = kp.publicKey;
      return kp;
    },
    exportPublicKey: async (k: Parameters<CiphersuiteImpl["hpke"]["exportPublicKey"]>[0]) => (k === leafPublic ? key.slice() : impl.hpke.exportPublicKey(k)),
  };
  return { ...impl, hpke };
}

/** The HPKE public key a KeyPackage's leaf announces. */
export function keyPackageLeafHpkeKey(keyPackage: Uint8Array): Uint8Array {
  const m = decodeMlsMessage(keyPackage);
  if (m.wireformat !== wireformats.mls_key_package) throw new Error("not a KeyPackage");
  return m.keyPackage.leafNode.hpkePublicKey.slice();
}

/** The HPKE public key of a parent node of a member's tree (to forge a duplicate), or undefined when that node is blank. */
export function parentHpkeKey(group: Group, nodeIndex: number): Uint8Array | undefined {
  const node = internalOf(group).state.ratchetTree[nodeIndex];
  return node?.nodeType === nodeTypes.parent ? node.parent.hpkePublicKey.slice() : undefined;
}

/**
 * Rewrites a leaf in this device's own view of the tree (its state, not a copy): what a
 * corrupted or doctored local state looks like. Signatures are not redone.
 */
export function doctorOwnTree(group: Group, leafIndex: number, change: Partial<Pick<LeafNode, "hpkePublicKey" | "signaturePublicKey">>): void {
  const g = internalOf(group);
  const tree = g.state.ratchetTree.slice();
  const node = tree[leafIndex * 2];
  if (node?.nodeType !== nodeTypes.leaf) throw new Error(`no leaf at ${leafIndex}`);
  tree[leafIndex * 2] = { ...node, leaf: { ...node.leaf, ...change } };
  g.state = { ...g.state, ratchetTree: tree };
}
