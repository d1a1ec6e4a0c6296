// Application messages (PrivateMessage) and incoming handshake/application processing.
import {
  contentTypes,
  createApplicationMessage,
  encode,
  mlsMessageEncoder,
  processMessage as mlsProcessMessage,
  senderTypes,
  wireformats,
  type ClientState,
  type IncomingMessageCallback,
  type MlsContext,
  type MlsFramedMessage,
  type ProcessMessageResult,
  type ProposalWithSender,
} from "ts-mls";
import { equalBytes } from "./bytes.ts";
import { parseCredentialIdentity } from "./credential.ts";
import { checkCommittedTree, incomingRules, throwIfBroken, type RuleProbe } from "./commit-rules.ts";
import { confirmPending, diffMembers, discardPending } from "./commits.ts";
import { E2eeError } from "./errors.ts";
import { internalOf, memberAt, membersOf, mlsContext, translate, zeroAll, type Group, type LeafPolicy, type Member, type PolicyProbe } from "./group-state.ts";
import { decodeMlsMessage } from "./wire.ts";

/** Encrypts application bytes for the group: PrivateMessage (MLSMessage) bytes. */
export async function encrypt(group: Group, plaintext: Uint8Array, options: { authenticatedData?: Uint8Array } = {}): Promise<Uint8Array> {
  const g = internalOf(group);
  if (g.state.groupActiveState.kind !== "active") throw new E2eeError("invalid_state", "this device is no longer in the group");
  const probe: PolicyProbe = {};
  try {
    const res = await createApplicationMessage({
      context: mlsContext(g, probe),
      state: g.state,
      message: plaintext,
      authenticatedData: options.authenticatedData,
    });
    g.state = res.newState;
    zeroAll(res.consumed);
    return encode(mlsMessageEncoder, res.message);
  } catch (err) {
    throw translate(err, probe);
  }
}

/** Who sent a message. */
export interface MessageSender {
  leafIndex: number;
  userId: string;
  deviceId: string;
}

/** A proposal as seen by members. */
export type ProposalSummary =
  | { type: "remove"; leafIndex: number; member?: Member }
  | { type: "add"; userId: string; deviceId: string }
  | { type: "update"; leafIndex?: number }
  | { type: "other"; proposalType: number };

/** Result of {@link processMessage}. */
export type Processed =
  | { kind: "application"; plaintext: Uint8Array; sender: MessageSender; epoch: bigint; authenticatedData: Uint8Array }
  | {
      kind: "commit";
      /** The epoch the commit moved the group to. */
      epoch: bigint;
      /** Committer leaf, or undefined for an external commit (a joiner). */
      committer?: MessageSender;
      added: Member[];
      removed: Member[];
      /** This device was removed: the group is now inactive. */
      removedSelf: boolean;
      /** The commit was this device's own pending commit echoed back (it was confirmed). */
      ownCommit: boolean;
    }
  | { kind: "proposal"; epoch: bigint; external: boolean; proposer?: MessageSender; proposals: ProposalSummary[] };

/**
 * Processes one incoming MLSMessage (PublicMessage handshake or PrivateMessage) and
 * advances the group. Consumed keys are zeroed, so a replay fails with `replay`.
 * @throws E2eeError `future_epoch` (queue it, retry after the next commit — nothing changed),
 *   `old_epoch`, `replay`, `invalid_message`, `unauthorized_leaf` (the commit is not applied).
 */
export async function processMessage(group: Group, bytes: Uint8Array, policy?: LeafPolicy): Promise<Processed> {
  const g = internalOf(group);
  const msg = decodeMlsMessage(bytes);
  if (msg.wireformat !== wireformats.mls_public_message && msg.wireformat !== wireformats.mls_private_message) {
    throw new E2eeError("bad_input", "processMessage takes PublicMessage or PrivateMessage bytes");
  }
  const framed = msg as MlsFramedMessage;
  const msgEpoch = framed.wireformat === wireformats.mls_public_message ? framed.publicMessage.content.epoch : framed.privateMessage.epoch;
  const contentType = framed.wireformat === wireformats.mls_public_message ? framed.publicMessage.content.contentType : framed.privateMessage.contentType;
  const current = g.state.groupContext.epoch;
  if (msgEpoch > current) throw new E2eeError("future_epoch", `message for epoch ${msgEpoch}, group is at ${current}: wait for the commit`);

  if (contentType === contentTypes.commit && g.pending) {
    if (equalBytes(bytes, g.pending.commit)) {
      // Our own accepted commit came back through the stream.
      const before = membersOf(g.state);
      const own = before.find((m) => m.deviceId === g.identity.deviceId && m.userId === g.identity.userId);
      const committer = own ? { leafIndex: own.leafIndex, userId: own.userId, deviceId: own.deviceId } : undefined;
      const e = confirmPending(group);
      return { kind: "commit", epoch: e, committer, ...diffMembers(before, membersOf(g.state)), removedSelf: false, ownCommit: true };
    }
    // Another member's commit for this epoch won: ours is stale.
    if (msgEpoch === current) discardPending(group);
  }
  if (contentType === contentTypes.commit && msgEpoch < current) throw new E2eeError("old_epoch", `commit for past epoch ${msgEpoch}`);

  const probe: PolicyProbe = {};
  const rules: RuleProbe = {};
  const before = g.state;
  let res: ProcessMessageResult;
  try {
    res = await applyMessage(mlsContext(g, probe, policy), probe, before, framed, {
      callback: incomingRules(rules),
      check: (r) => {
        throwIfBroken(rules);
        // A policy that could not answer must not let a message through unjudged.
        if (probe.unavailable !== undefined) throw translate(new Error("leaf policy unavailable"), probe);
        // Checked before the new state is adopted: a refused commit leaves the group as it was.
        if (contentType === contentTypes.commit && r.kind === "newState" && r.actionTaken !== "reject" && r.newState.groupActiveState.kind === "active") {
          const why = checkCommittedTree(before, r.newState, rules.removed ?? new Set());
          if (why) throw new E2eeError("invalid_message", `commit refused: ${why}`);
        }
      },
    });
  } catch (err) {
    throwIfBroken(rules);
    throw err;
  }
  g.state = res.newState;

  if (res.kind === "applicationMessage") {
    return {
      kind: "application",
      plaintext: res.message,
      sender: applicationSender(before, res.newState, msgEpoch),
      epoch: msgEpoch,
      authenticatedData: res.aad,
    };
  }
  if (contentType === contentTypes.commit) {
    const sender = framed.wireformat === wireformats.mls_public_message ? framed.publicMessage.content.sender : undefined;
    const committer = sender?.senderType === senderTypes.member ? senderOf(before, sender.leafIndex) : undefined;
    return {
      kind: "commit",
      epoch: g.state.groupContext.epoch,
      committer,
      ...diffMembers(membersOf(before), membersOf(g.state)),
      removedSelf: g.state.groupActiveState.kind === "removedFromGroup",
      ownCommit: false,
    };
  }
  const fresh = Object.entries(g.state.unappliedProposals)
    .filter(([k]) => !(k in before.unappliedProposals))
    .map(([, p]) => p);
  const proposerIndex = fresh[0]?.senderLeafIndex;
  return {
    kind: "proposal",
    epoch: current,
    external: proposerIndex === undefined,
    proposer: proposerIndex === undefined ? undefined : senderOf(before, proposerIndex),
    proposals: fresh.map((p) => summarize(before, p)),
  };
}

/**
 * Internal: one PublicMessage or PrivateMessage through ts-mls under `context` — the core
 * of {@link processMessage}, which adds Parley's context (the leaf policy), the epoch
 * and pending-commit checks and the summary. The keys the step consumed are zeroed, so
 * only the returned state can go on. The RFC 9420 conformance runs
 * (testing/passive-client.ts) call it with a permissive authentication service and the
 * vectors' external PSKs.
 */
export async function applyMessage(
  context: MlsContext,
  probe: PolicyProbe,
  state: ClientState,
  message: MlsFramedMessage,
  rules?: MessageRules,
): Promise<ProcessMessageResult> {
  let res: ProcessMessageResult;
  try {
    res = await mlsProcessMessage({ context, state, message, ...(rules ? { callback: rules.callback } : {}) });
  } catch (err) {
    throw translate(err, probe);
  }
  rules?.check(res);
  if (res.kind === "newState" && res.actionTaken === "reject") throw new E2eeError("invalid_message", "message rejected");
  zeroAll(res.consumed);
  return res;
}

/** Internal: the caller's rules for {@link applyMessage}: which proposals ts-mls may accept, and a check of the result before it counts. */
export interface MessageRules {
  callback: IncomingMessageCallback;
  /** Throws to refuse the result; runs before the consumed keys are zeroed, so the old state stays usable. */
  check(res: ProcessMessageResult): void;
}

function summarize(state: ClientState, p: ProposalWithSender): ProposalSummary {
  const prop = p.proposal;
  if ("remove" in prop) return { type: "remove", leafIndex: prop.remove.removed, member: membersOf(state).find((m) => m.leafIndex === prop.remove.removed) };
  if ("add" in prop) {
    const cred = prop.add.keyPackage.leafNode.credential;
    const id = "identity" in cred ? parseCredentialIdentity(cred.identity) : undefined;
    return { type: "add", userId: id?.kind === "device" ? id.userId : "", deviceId: id?.kind === "device" ? id.deviceId : "" };
  }
  if ("update" in prop) return { type: "update", leafIndex: p.senderLeafIndex };
  return { type: "other", proposalType: prop.proposalType };
}

function senderOf(state: ClientState, leafIndex: number): MessageSender | undefined {
  const m = memberAt(state.ratchetTree, leafIndex);
  return m ? { leafIndex: m.leafIndex, userId: m.userId, deviceId: m.deviceId } : undefined;
}

// ts-mls does not return the sender of an application message; the secret-tree leaf it
// ratcheted is the sender's (the tree is updated immutably, so exactly one leaf entry is
// a new object). That leaf decrypted and its key verified the signature, so it is authentic.
function applicationSender(before: ClientState, after: ClientState, msgEpoch: bigint): MessageSender {
  const historical = msgEpoch < before.groupContext.epoch;
  const oldTree = historical ? before.historicalReceiverData.get(msgEpoch)?.secretTree : before.secretTree;
  const newTree = historical ? after.historicalReceiverData.get(msgEpoch)?.secretTree : after.secretTree;
  const ratchet = historical ? after.historicalReceiverData.get(msgEpoch)?.ratchetTree : after.ratchetTree;
  if (oldTree && newTree && ratchet) {
    for (const [k, node] of Object.entries(newTree.leafNodes)) {
      if (oldTree.leafNodes[Number(k)] === node) continue;
      // Parse only that leaf's credential: this runs for every message, in groups of any size.
      const leafIndex = Number(k) / 2;
      const m = memberAt(ratchet, leafIndex);
      if (m) return { leafIndex, userId: m.userId, deviceId: m.deviceId };
    }
  }
  throw new E2eeError("invalid_state", "could not attribute the application message to a sender");
}
