// Test support: handshakes an honest Parley client never builds, made with ts-mls
// directly from a group's internal state (the wrapper's rules are bypassed on purpose),
// to show that receivers refuse them.
import {
  createCommit, createProposal, defaultCredentialTypes, defaultProposalTypes, encode, wireformats, mlsMessageEncoder, nodeTypes, type ClientState, type CiphersuiteImpl, type Proposal,
} from "ts-mls";
import { encodeCredentialIdentity } from "../credential.ts";
import { internalOf, mlsContext, type Group } from "../group-state.ts";
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
    state, extraProposals: f.proposals ?? [], wireAsPublicMessage: true, ratchetTreeExtension: true,
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
