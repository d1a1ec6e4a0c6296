// Parley's rules for what a commit may contain and what an incoming handshake may do,
// enforced below every caller (commits.ts builds, messages.ts processes). They close
// defects of ts-mls 2.0.0-rc.10, the newest 2.x on npm, that upstream fixed later
// (docs/security-model.md §5, docs/adr/0005):
//
// - rc.10 encrypts a commit's UpdatePath to the keys copath nodes had *before* the
//   commit's proposals were applied. When an Add fills the slot a Remove in the same
//   commit emptied, the new path secret goes to the removed leaf's old key: the removed
//   device reads the next epoch. When the Add fills a blank slot or extends the tree,
//   createCommit crashes (upstream #481, #505). Add-only commits carry no UpdatePath and
//   Remove-only commits encrypt to no replaced leaf, so Adds never share a commit with a
//   Remove or an Update.
// - rc.10 lets a committer's UpdatePath leaf carry another identity than the leaf it
//   replaces (successor checking is upstream #623) and does not check that the keys of
//   an UpdatePath are fresh (#627); both are checked on the resulting tree.
// - rc.10 mis-encodes and mis-applies GroupContextExtensions (#468, #506); Parley never
//   changes the group context after creation, so such proposals are refused.
// - Parley members never send proposals; the server (the group's external sender) only
//   proposes Removes. Anything else is refused on arrival, so a pending proposal is always
//   a Remove and committing pending proposals can never mix with Adds.
import { defaultProposalTypes, nodeTypes, type ClientState, type IncomingMessageCallback, type Proposal } from "ts-mls";
import { equalBytes, toHex } from "./bytes.ts";
import { E2eeError } from "./errors.ts";
import { membersOf } from "./group-state.ts";

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(defaultProposalTypes).map(([k, v]) => [v, k]));
const nameOf = (t: number) => NAMES[t] ?? `type ${t}`;

/**
 * Refuses to build a commit that mixes Adds with Removes or Updates, counting the
 * pending proposals ts-mls adds to every commit by reference.
 * @throws E2eeError `mixed_commit`
 */
export function assertCommitRule(state: ClientState, extra: readonly Proposal[]): void {
  const types = [...Object.values(state.unappliedProposals).map((p) => p.proposal.proposalType), ...extra.map((p) => p.proposalType)];
  const adds = types.some((t) => t === defaultProposalTypes.add);
  const changes = types.some((t) => t === defaultProposalTypes.remove || t === defaultProposalTypes.update);
  if (adds && changes) {
    throw new E2eeError("mixed_commit", "a commit may not add members while removing or updating others: commit the pending proposals first, then add");
  }
  const other = types.find((t) => t !== defaultProposalTypes.add && t !== defaultProposalTypes.remove);
  if (other !== undefined) throw new E2eeError("mixed_commit", `Parley does not commit ${nameOf(other)} proposals`);
}

/** Why an incoming handshake was refused by {@link incomingRules} (read after processing). */
export interface RuleProbe {
  broken?: string;
  /** Leaf indexes the processed commit removed (its Remove proposals, by value or reference). */
  removed?: Set<number>;
}

// Proposal types a commit may carry: Parley's own (add, remove) and, in an external
// commit, the joiner's external_init (its resync Remove is a remove).
const COMMITTABLE = new Set<number>([defaultProposalTypes.add, defaultProposalTypes.remove, defaultProposalTypes.external_init]);

/** The ts-mls callback that accepts only what Parley's rules allow, recording why it refused. */
export function incomingRules(probe: RuleProbe): IncomingMessageCallback {
  return (incoming) => {
    if (incoming.kind === "proposal") {
      const p = incoming.proposal;
      if (p.senderLeafIndex !== undefined) probe.broken = "members of a Parley group do not send proposals (keys rotate by self-update commits)";
      else if (p.proposal.proposalType !== defaultProposalTypes.remove)
        probe.broken = `the external sender may only propose removals, not ${nameOf(p.proposal.proposalType)}`;
      return probe.broken ? "reject" : "accept";
    }
    const refused = incoming.proposals.find((p) => !COMMITTABLE.has(p.proposal.proposalType));
    if (refused) {
      probe.broken = `the commit carries a ${nameOf(refused.proposal.proposalType)} proposal, which Parley does not allow`;
      return "reject";
    }
    probe.removed = new Set(incoming.proposals.flatMap((p) => ("remove" in p.proposal ? [p.proposal.remove.removed] : [])));
    return "accept";
  };
}

/**
 * Checks the tree a commit produced: every leaf the commit did not remove keeps its
 * identity (a committer's new leaf is a successor of its old one: same org, user and
 * device; its key was already checked against the directory by authorizeLeaf), and no
 * HPKE public key appears at two nodes (an UpdatePath must bring fresh keys).
 * @returns why the tree is refused, or undefined
 */
export function checkCommittedTree(before: ClientState, after: ClientState, removed: ReadonlySet<number>): string | undefined {
  const now = new Map(membersOf(after).map((m) => [m.leafIndex, m]));
  for (const old of membersOf(before)) {
    if (removed.has(old.leafIndex)) continue;
    const m = now.get(old.leafIndex);
    if (!m || m.orgId !== old.orgId || m.userId !== old.userId || m.deviceId !== old.deviceId) {
      return `leaf ${old.leafIndex} (${old.userId}/${old.deviceId}) changed identity without being removed`;
    }
  }
  return duplicateHpkeKey(after);
}

/** Names two nodes of the tree that share an HPKE public key, or undefined. */
function duplicateHpkeKey(state: ClientState): string | undefined {
  // Keyed by a prefix (X-Wing keys are 1,216 bytes), confirmed on the whole key.
  const seen = new Map<string, { index: number; key: Uint8Array }[]>();
  for (const [index, node] of state.ratchetTree.entries()) {
    if (!node) continue;
    const key = node.nodeType === nodeTypes.leaf ? node.leaf.hpkePublicKey : node.parent.hpkePublicKey;
    const prefix = toHex(key.subarray(0, 32));
    const same = seen.get(prefix) ?? [];
    const twin = same.find((s) => equalBytes(s.key, key));
    if (twin) return `nodes ${twin.index} and ${index} share an HPKE public key`;
    same.push({ index, key });
    seen.set(prefix, same);
  }
  return undefined;
}

/** Throws `invalid_message` when a broken rule was recorded. */
export function throwIfBroken(probe: RuleProbe): void {
  if (probe.broken) throw new E2eeError("invalid_message", probe.broken);
}
