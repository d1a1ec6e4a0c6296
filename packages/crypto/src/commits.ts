// Commits (RFC 9420 §12.4) under optimistic concurrency (RFC 9420 §14, RFC 9750 §5.2.1):
// building a commit never changes the group; the new state waits as "pending" until the
// server accepts the bundle (confirmPending) or answers stale_epoch (discardPending).
import {
  createCommit,
  defaultProposalTypes,
  encode,
  mlsMessageEncoder,
  wireformats,
  type ClientState,
  type KeyPackage,
  type Proposal,
  type MlsMessage,
} from "ts-mls";
import { assertCommitRule } from "./commit-rules.ts";
import { E2eeError } from "./errors.ts";
import { encodeGroupInfo } from "./group.ts";
import { internalOf, membersOf, mlsContext, translate, zeroAll, type Group, type Member, type PolicyProbe } from "./group-state.ts";
import { decodeMlsMessage } from "./wire.ts";

/** What a commit changes and the bytes to post, as one bundle, to the server. */
export interface CommitBundle {
  /** The commit as PublicMessage bytes (the server checks its adds/removes). */
  commit: Uint8Array;
  /**
   * Welcome for the added devices, if any were added. It carries no ratchet tree: joiners
   * take the tree from `groupInfo` (`joinFromWelcome`'s `groupInfo` option), which the
   * server keeps with the Welcome.
   */
  welcome?: Uint8Array;
  /**
   * GroupInfo of the new epoch (external pub + ratchet tree) for the server to store: for
   * external joins, the server's leaf map, and the tree of this commit's Welcome.
   */
  groupInfo: Uint8Array;
  /** The epoch the commit creates (current epoch + 1). */
  epoch: bigint;
  /** Leaves the commit adds. */
  added: Member[];
  /** Leaves the commit removes. */
  removed: Member[];
}

/** Which leaves to remove: leaf indexes, or device ids (every leaf of that device). */
export type RemoveTarget = number | { deviceId: string } | { userId: string };

async function commit(group: Group, proposals: Proposal[], treeInWelcome = false): Promise<CommitBundle> {
  const g = internalOf(group);
  if (g.state.groupActiveState.kind !== "active") throw new E2eeError("invalid_state", "this device is no longer in the group");
  assertCommitRule(g.state, proposals);
  const probe: PolicyProbe = {};
  try {
    const res = await createCommit({
      context: mlsContext(g, probe),
      state: g.state,
      extraProposals: proposals,
      wireAsPublicMessage: true,
      // The Welcome's encrypted GroupInfo is the HPKE context of every joiner's group
      // secrets, so a tree inside it is hashed once per joiner (most of the time of a
      // 1,000-member add). The tree travels in `groupInfo` instead (welcome-tree.ts).
      ratchetTreeExtension: treeInWelcome,
    });
    // A new pending commit supersedes an older unconfirmed one.
    if (g.pending) discardPendingInternal(g.pending.newState);
    const commitBytes = encode(mlsMessageEncoder, res.commit);
    g.pending = { newState: res.newState, consumed: res.consumed, commit: commitBytes };
    const before = membersOf(g.state);
    const after = membersOf(res.newState);
    return {
      commit: commitBytes,
      welcome: res.welcome ? encode(mlsMessageEncoder, res.welcome as MlsMessage) : undefined,
      groupInfo: await encodeGroupInfo(res.newState, g.impl),
      epoch: res.newState.groupContext.epoch,
      ...diffMembers(before, after),
    };
  } catch (err) {
    throw translate(err, probe);
  }
}

/** Internal: leaves added and removed between two member lists. */
export function diffMembers(before: Member[], after: Member[]): { added: Member[]; removed: Member[] } {
  const key = (m: Member) => `${m.leafIndex}:${m.deviceId}:${m.userId}`;
  const b = new Set(before.map(key));
  const a = new Set(after.map(key));
  return { added: after.filter((m) => !b.has(key(m))), removed: before.filter((m) => !a.has(key(m))) };
}

/**
 * Adds devices by their KeyPackages (MLSMessage bytes as claimed from the directory).
 * Each KeyPackage's leaf goes through `authorizeLeaf`. The group is unchanged until
 * {@link confirmPending}. Adds never share a commit with removals (commit-rules.ts):
 * while proposals are pending ({@link hasPendingProposals}), commit them first.
 * @throws E2eeError `mixed_commit` while proposals are pending.
 */
export async function addMembers(group: Group, keyPackages: Uint8Array[]): Promise<CommitBundle> {
  return addMembersInternal(group, keyPackages, { treeInWelcome: false });
}

/**
 * Internal (tests and benchmarks): {@link addMembers}, optionally with the ratchet tree
 * inside the Welcome as Parley built it before issue 7 and as other implementations may.
 */
export async function addMembersInternal(group: Group, keyPackages: Uint8Array[], options: { treeInWelcome: boolean }): Promise<CommitBundle> {
  if (keyPackages.length === 0) throw new E2eeError("bad_input", "no KeyPackages to add");
  const kps: KeyPackage[] = keyPackages.map((b) => {
    const m = decodeMlsMessage(b);
    if (m.wireformat !== wireformats.mls_key_package) throw new E2eeError("bad_input", "not a KeyPackage");
    return m.keyPackage;
  });
  return commit(
    group,
    kps.map((keyPackage) => ({ proposalType: defaultProposalTypes.add, add: { keyPackage } })),
    options.treeInWelcome,
  );
}

/** Removes leaves (by index, device id or user id) in one commit. Unchanged group until {@link confirmPending}. */
export async function removeMembers(group: Group, targets: RemoveTarget[]): Promise<CommitBundle> {
  const current = membersOf(internalOf(group).state);
  const leaves = new Set<number>();
  for (const t of targets) {
    const hits =
      typeof t === "number"
        ? current.filter((m) => m.leafIndex === t)
        : "deviceId" in t
          ? current.filter((m) => m.deviceId === t.deviceId)
          : current.filter((m) => m.userId === t.userId);
    if (hits.length === 0) throw new E2eeError("bad_input", `no member matches ${JSON.stringify(t)}`);
    for (const h of hits) leaves.add(h.leafIndex);
  }
  return commit(
    group,
    [...leaves].map((removed) => ({ proposalType: defaultProposalTypes.remove, remove: { removed } })),
  );
}

/** Rotates this device's leaf keys (post-compromise security); also commits any pending (Remove) proposals. */
export async function selfUpdate(group: Group): Promise<CommitBundle> {
  return commit(group, []);
}

/**
 * Commits every proposal received and not yet committed (e.g. the server's external
 * Remove proposals). Same as {@link selfUpdate}: a commit always includes them.
 */
export async function commitPendingProposals(group: Group): Promise<CommitBundle> {
  return commit(group, []);
}

/** True when proposals (e.g. the server's Remove) wait for a member to commit them. */
export function hasPendingProposals(group: Group): boolean {
  return Object.keys(internalOf(group).state.unappliedProposals).length > 0;
}

/**
 * The epoch authenticator the pending commit would give the group, or undefined. Compare
 * it with {@link epochAuthenticator} once the timeline resolved a commit whose answer was
 * lost: equal means this device's commit is the one the server applied.
 */
export function pendingEpochAuthenticator(group: Group): Uint8Array | undefined {
  return internalOf(group).pending?.newState.keySchedule.epochAuthenticator.slice();
}

/** True while a commit built by this device awaits the server's verdict. */
export function hasPendingCommit(group: Group): boolean {
  return internalOf(group).pending !== undefined;
}

/**
 * The server accepted this device's commit bundle: move the group to the new epoch and
 * zero the secrets the old epoch no longer needs.
 */
export function confirmPending(group: Group): bigint {
  const g = internalOf(group);
  if (!g.pending) throw new E2eeError("invalid_state", "no pending commit to confirm");
  g.state = carryRatchets(g.state, g.pending.newState);
  zeroAll(g.pending.consumed);
  g.pending = undefined;
  return g.state.groupContext.epoch;
}

// createCommit snapshots the epoch's secret tree (and the older retained epochs) into the
// new state. Messages decrypted while the commit waited for the server advanced those
// ratchets and zeroed the secrets they spent, which the snapshot still points at: carry the
// current ratchets over, or later messages of those epochs would no longer decrypt.
function carryRatchets(current: ClientState, next: ClientState): ClientState {
  const retained = new Map(next.historicalReceiverData);
  for (const [e, data] of retained) {
    if (e === current.groupContext.epoch) retained.set(e, { ...data, secretTree: current.secretTree });
    else {
      const now = current.historicalReceiverData.get(e);
      if (now) retained.set(e, now);
    }
  }
  return { ...next, historicalReceiverData: retained };
}

/**
 * The server refused the bundle (`stale_epoch`): forget the pending state. Process the
 * winning commit, then build the change again against the new epoch.
 */
export function discardPending(group: Group): void {
  const g = internalOf(group);
  if (g.pending) discardPendingInternal(g.pending.newState);
  g.pending = undefined;
}

// The discarded epoch's key schedule was derived for it alone; the consumed list
// belongs to the current state, which stays in use, so it is not touched.
function discardPendingInternal(state: { keySchedule: object }): void {
  for (const v of Object.values(state.keySchedule)) if (v instanceof Uint8Array) v.fill(0);
}
