/**
 * The server as MLS external sender (RFC 9420 §12.1.8.1). A kick, a leave, a
 * device revocation or a user deactivation records pending removals in the
 * SAME transaction (recordPendingRemovals), with a durable job per channel
 * (platform/jobs) that, once committed, signs an external Remove proposal per leaf, built from the stored group's epoch,
 * and appends it to the channel timeline as a "proposal" event (sender
 * "server"). The next active member commits it; an accepted commit that does
 * not remove the leaf makes the server propose it again for the new epoch,
 * and one that removes it clears it.
 */
import { appendEvents } from "../timeline/append.ts";
import { channelGroupId, externalRemoveProposal, groupInfoExternalSenders } from "@parley/crypto/public";
import type { Event } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { serverMlsKeys } from "../../platform/kms/index.ts";
import { newId } from "../../platform/ids.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import type { EventRow } from "../messages/store.ts";
import {
  channelEpoch,
  claimPendingForEpoch,
  findGroup,
  insertPending,
  leavesOfUser,
  listLeaves,
  listPending,
  reserveSeqs,
  setProposal,
  deletePending,
} from "./store.ts";

/** The sender id of the server's own timeline events. */
export const SERVER_SENDER = "server";

export interface RemovalScope {
  orgId: string;
  userId: string;
  /** Only these channels (a kick/leave); all of the user's groups when omitted. */
  channelIds?: string[];
  /** Only these devices (a revocation); all of the user's devices when omitted. */
  deviceIds?: string[];
  /** Why (kept for operators): "left", "kicked", "device_revoked", "user_deactivated". */
  reason: string;
}

/**
 * Inside the transaction that makes a user or device lose access: record a
 * pending removal for each of its leaves in scope, and after commit issue the
 * server's Remove proposals.
 */
export async function recordPendingRemovals(deps: Deps, tx: Tx, fx: CommandEffects, s: RemovalScope): Promise<void> {
  const leaves = await leavesOfUser(tx, s);
  if (leaves.length === 0) return;
  const now = deps.now();
  await insertPending(
    tx,
    leaves.map((l) => ({
      channel_id: l.channel_id,
      device_id: l.device_id,
      org_id: l.org_id,
      user_id: l.user_id,
      leaf_index: Number(l.leaf_index),
      reason: s.reason,
      proposed_epoch: null,
      proposal_seq: null,
      proposal_ref: null,
      created_at: now,
    })),
  );
  await scheduleRemovalProposals(fx, [...new Set(leaves.map((l) => l.channel_id))]);
}

/** The durable job that issues a channel's pending Remove proposals; payload `{ channelId }`. */
const REMOVAL_PROPOSALS_JOB = "mls.removal_proposals";

/**
 * In the command's transaction, enqueue a job per channel that proposes its pending
 * removals once it commits (retried on failure; a rollback enqueues nothing).
 */
export async function scheduleRemovalProposals(fx: CommandEffects, channelIds: string[]): Promise<void> {
  for (const channelId of channelIds) await fx.job(REMOVAL_PROPOSALS_JOB, { channelId });
}

/** Job handlers of the mls module. */
export function mlsJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [REMOVAL_PROPOSALS_JOB](payload) {
      const { channelId } = payload as { channelId: string };
      await issueRemovalProposals(deps, channelId);
    },
  };
}

/**
 * Sign and append a Remove proposal for every pending removal of the channel
 * not yet proposed for its current epoch. Returns the proposal events written.
 * Safe to run concurrently (per row claim) and to repeat (no-op when done).
 */
export async function issueRemovalProposals(deps: Deps, channelId: string): Promise<Event[]> {
  const [group, cur] = await Promise.all([findGroup(deps.db, channelId), channelEpoch(deps.db, channelId)]);
  if (!group || !cur) return [];
  const epoch = cur.epoch;
  const [pending, leaves] = await Promise.all([listPending(deps.db, channelId), listLeaves(deps.db, channelId)]);
  const leafOf = new Map(leaves.map((l) => [l.device_id, Number(l.leaf_index)]));
  const gone = pending.filter((r) => !leafOf.has(r.device_id)).map((r) => r.device_id);
  const todo = pending.filter((r) => leafOf.has(r.device_id) && (r.proposed_epoch === null || Number(r.proposed_epoch) < epoch));
  if (todo.length === 0 && gone.length === 0) return [];
  const { externalSender } = await serverMlsKeys(deps);
  // The proposal names the server by its position among the group's external
  // senders (accepted GroupInfos always list it: accept-commit insists).
  const senderIndex = groupInfoExternalSenders(group.group_info).find((s) =>
    Buffer.from(s.signaturePublicKey).equals(Buffer.from(externalSender.publicKey)),
  )?.index;
  if (senderIndex === undefined) {
    deps.log.warn({ channelId }, "the channel's MLS group does not list the server as external sender: cannot propose removals");
    return [];
  }
  // Signing needs no database: do it before the transaction.
  const proposals = await Promise.all(
    todo.map(async (r) => ({
      row: r,
      proposal: await externalRemoveProposal({
        serverPrivateKey: externalSender.privateKey,
        suite: group.suite,
        orgId: group.org_id,
        groupId: channelGroupId(channelId, cur.generation),
        epoch: BigInt(epoch),
        leafIndex: leafOf.get(r.device_id)!,
        senderIndex,
      }),
    })),
  );
  const events: Event[] = [];
  await runCommand(deps, systemActor(group.org_id, "server"), "mls.issueRemovalProposals", async (tx, after) => {
    await deletePending(tx, channelId, gone);
    const claimed: typeof proposals = [];
    for (const x of proposals) if (await claimPendingForEpoch(tx, channelId, x.row.device_id, epoch)) claimed.push(x);
    if (claimed.length === 0) return;
    const first = await reserveSeqs(tx, channelId, cur.generation, epoch, claimed.length);
    // The epoch moved on meanwhile: the commit that moved it re-issues them. Undo the claims.
    if (first === undefined) throw new EpochMoved();
    const now = deps.now();
    for (const [i, { row, proposal }] of claimed.entries()) {
      const ev: EventRow = {
        channel_id: channelId,
        seq: first + i,
        id: newId("ev"),
        client_id: newId("srv"),
        sender_id: SERVER_SENDER,
        sender_device_id: SERVER_SENDER,
        kind: "proposal",
        epoch,
        generation: cur.generation,
        content: Buffer.from(proposal.message),
        thread_root: null,
        target: null,
        mentions: "[]",
        created_at: now,
      };
      events.push(...(await appendEvents(tx, after, [{ orgId: group.org_id, row: ev }])));
      await setProposal(tx, channelId, row.device_id, ev.seq, proposal.proposalRefHex);
    }
  }).catch((err: unknown) => {
    if (!(err instanceof EpochMoved)) throw err;
  });
  return events;
}

class EpochMoved extends Error {}
