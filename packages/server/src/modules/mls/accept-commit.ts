/**
 * acceptCommitBundle: the MLS Delivery Service's one write path for a
 * channel's group. The first valid commit for the channel's epoch wins
 * (RFC 9750 §5.2.1): the epoch is claimed with a conditional UPDATE, the
 * bundle is checked against the rows read after that claim, and everything
 * (epoch, timeline event, GroupInfo, leaf map, Welcome, stream items,
 * satisfied removals) commits together or not at all.
 */
import { appendEvents } from "../timeline/append.ts";
import type { CommitBundleBody, CommitBundleResult } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { newId } from "../../platform/ids.ts";
import { AppError } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { loadChannel, type LoadedChannel } from "../channels/access.ts";
import { insertMembers, memberIds, toChannel } from "../channels/store.ts";
import { entryRoles } from "../channels/restrictions.ts";
import { channelData, publishMembers, tellUsers } from "../channels/notify.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import type { EventRow } from "../messages/store.ts";
import { serverMlsKeys } from "../../platform/kms/index.ts";
import { parseBundle, refused, serverSenderIndex, verifyBundle, type ParsedBundle } from "./bundle.ts";
import { checkCommit, type CommitPlan } from "./check-commit.ts";
import { bindingKeys } from "./directory.ts";
import { orgSuite } from "../e2ee/store.ts";
import { issueRemovalProposals, scheduleRemovalProposals } from "./removals.ts";
import {
  channelEpoch,
  channelMemberIds,
  claimEpoch,
  deletePending,
  deviceFacts,
  findGroup,
  insertGroup,
  insertWelcome,
  listLeaves,
  listPending,
  replaceLeaves,
  resetPending,
  updateGroupInfo,
  type LeafRow,
} from "./store.ts";

/** The timeline clientId of a commit: one per epoch of each generation (epochs restart after a reset). */
const commitClientId = (generation: number, epoch: number) => (generation === 0 ? `mls-commit-${epoch}` : `mls-commit-${generation}-${epoch}`);
const stale = (epoch: number) => new AppError("stale_epoch", `the channel's group is at epoch ${epoch}: process the newer commits and retry`, { epoch });
const resetMeanwhile = (generation: number) =>
  new AppError("encryption_reset", `the channel's encryption was reset (generation ${generation}): build the change against the new group`, { generation });

/** Post a commit bundle (or the init bundle) for a channel. */
export async function acceptCommitBundle(deps: Deps, p: DeviceActor, channelId: string, body: CommitBundleBody): Promise<CommitBundleResult> {
  try {
    return await accept(deps, p, channelId, body);
  } catch (err) {
    // Refusals by reason: a group that keeps failing shows up here before its users report it.
    if (err instanceof AppError) deps.metrics.mlsCommitRejections.inc({ reason: (err.details as { reason?: string } | undefined)?.reason ?? err.code });
    throw err;
  }
}

async function accept(deps: Deps, p: DeviceActor, channelId: string, body: CommitBundleBody): Promise<CommitBundleResult> {
  const ch = await loadChannel(deps.db, p, channelId);
  // Members may commit; others only join a public channel by external commit (authorize 404s private ones).
  if (!ch.membership) authorize(p, "channel.read", { type: "channel", channel: ch.resource });
  if (ch.row.archived_at !== null) throw new AppError("channel_archived", "the channel is archived");
  const group = await findGroup(deps.db, channelId);
  const generation = Number(ch.row.mls_generation);
  if (!body.commit) return initGroup(deps, p, ch, body, group !== undefined);
  if (!group && generation > 0) throw resetMeanwhile(generation);
  if (!group) throw refused("no_group", "the channel has no MLS group yet: post the init bundle (epoch 0, groupInfo only)");
  if (body.engine !== undefined && body.engine !== group.engine) {
    throw refused(
      "engine_mismatch",
      `the channel's group was made by ${group.engine}; a device on ${body.engine} cannot continue it: reset the channel's encryption (reason "engine_upgrade")`,
    );
  }
  // Cheap early answer for the common race; the claim below is what decides.
  if (body.epoch !== Number(ch.row.epoch)) throw stale(Number(ch.row.epoch));
  const bundle = await parseBundle(channelId, generation, body, group.suite);
  if (!ch.membership && bundle.commit!.info.sender?.type !== "new_member_commit") throw refused("not_a_member", "join the channel first", "forbidden");
  // The stored GroupInfo is the one of the epoch the commit is for (the claim
  // below re-checks the epoch, and each epoch has exactly one accepted
  // GroupInfo), so the signature checks can run before the transaction.
  if (Number(group.epoch) !== body.epoch) throw stale(Number(group.epoch));
  await verifyBundle(bundle, group.group_info, group.suite);
  serverSenderIndex(bundle.groupInfo.verified, (await serverMlsKeys(deps)).externalSender.publicKey);

  try {
    return await runCommand(deps, p, "mls.accept", async (tx, after) => {
      const claimed = await claimEpoch(tx, channelId, generation, body.epoch);
      if (!claimed) {
        const now = await channelEpoch(tx, channelId);
        if (now?.archived) throw new AppError("channel_archived", "the channel is archived");
        if (now && now.generation !== generation) throw resetMeanwhile(now.generation);
        throw stale(now?.epoch ?? body.epoch);
      }
      const plan = await checkInTx(tx, p, ch, bundle);
      return writeCommit(deps, tx, after, p, ch, bundle, plan, claimed.seq);
    });
  } catch (err) {
    // The committer waits for the server's proposals: make sure they are (re)issued for
    // this epoch, or a failed issue would block every commit of the channel.
    if (err instanceof AppError && err.code === "pending_removals") {
      issueRemovalProposals(deps, channelId).catch((e: unknown) => deps.log.error({ err: e, channelId }, "issuing MLS remove proposals failed"));
    }
    throw err;
  }
}

async function checkInTx(tx: Tx, p: DeviceActor, ch: LoadedChannel, bundle: ParsedBundle): Promise<CommitPlan> {
  const channelId = ch.row.id;
  const info = bundle.commit!.info;
  const [oldLeaves, members, pending] = await Promise.all([listLeaves(tx, channelId), channelMemberIds(tx, channelId), listPending(tx, channelId)]);
  const named = [
    ...oldLeaves.map((l) => l.device_id),
    ...info.adds.flatMap((a) => (a.identity.kind === "device" ? [a.identity.deviceId] : [])),
    ...(info.joiner?.identity.kind === "device" ? [info.joiner.identity.deviceId] : []),
  ];
  const [devices, bindings] = await Promise.all([deviceFacts(tx, p.orgId, named), bindingKeys(tx, p.orgId, named)]);
  return checkCommit(
    {
      p,
      orgId: p.orgId,
      callerIsMember: members.all.has(p.userId),
      oldLeaves,
      members,
      devices,
      bindings,
      pending,
      epoch: bundle.epoch,
    },
    bundle,
  );
}

async function writeCommit(
  deps: Deps,
  tx: Tx,
  after: CommandEffects,
  p: DeviceActor,
  ch: LoadedChannel,
  bundle: ParsedBundle,
  plan: CommitPlan,
  seq: number,
): Promise<CommitBundleResult> {
  const channelId = ch.row.id;
  const now = deps.now();
  const newEpoch = bundle.epoch + 1;
  const row: EventRow = {
    channel_id: channelId,
    seq,
    id: newId("ev"),
    client_id: commitClientId(Number(ch.row.mls_generation), bundle.epoch),
    sender_id: p.userId,
    sender_device_id: p.deviceId,
    kind: "commit",
    epoch: bundle.epoch,
    generation: Number(ch.row.mls_generation),
    content: bundle.commit!.bytes,
    thread_root: null,
    target: null,
    mentions: "[]",
    created_at: now,
  };
  // A device replacing its own leaf by external commit: it had lost, or could not follow, the group's state.
  if (plan.joiner && plan.removedLeaves.some((l) => l.device_id === p.deviceId)) after.run(() => deps.metrics.mlsResyncs.inc());
  await updateGroupInfo(tx, channelId, newEpoch, bundle.groupInfo.bytes, now);
  await replaceLeaves(
    tx,
    channelId,
    plan.newLeaves.map((l) => leafRow(channelId, p.orgId, l)),
  );

  if (plan.joinsChannel) {
    // External join of a public channel: membership and group join are one change.
    const before = await memberIds(tx, channelId);
    // A former reader of the channel comes back as one (channels/restrictions.ts).
    await insertMembers(tx, channelId, p.orgId, await entryRoles(tx, channelId, [p.userId]), now);
    const c = { tx, after, orgId: p.orgId, channelId, now };
    await tellUsers(c, [p.userId], "channel.joined", {
      ...channelData(toChannel({ ...ch.row, epoch: newEpoch, last_seq: seq }, before.length + 1)),
      by: p.userId,
    });
    await tellUsers(c, before, "member.joined", { userIds: [p.userId], by: p.userId });
    publishMembers(c, [p.userId], []);
  }

  let welcomeId: string | null = null;
  if (bundle.welcome && plan.addedUsers.length > 0) {
    welcomeId = newId("wel");
    await insertWelcome(tx, {
      // The GroupInfo of the Welcome's epoch goes with it: the joiners take the ratchet tree
      // from it, and mls_groups.group_info will have moved on by the time they fetch.
      id: welcomeId,
      channel_id: channelId,
      org_id: p.orgId,
      epoch: newEpoch,
      data: bundle.welcome.bytes,
      group_info: bundle.groupInfo.bytes,
      recipients: JSON.stringify(plan.addedUsers),
      created_at: now,
    });
    for (const userId of plan.addedUsers) {
      await appendUserStream(tx, after, { orgId: p.orgId, userId, kind: "mls.welcome", channelId, data: { channelId, epoch: newEpoch, welcomeId }, now });
    }
  }

  // Removals this commit made are done; the rest need a proposal for the new epoch.
  const pending = await listPending(tx, channelId);
  const leafOf = new Map(plan.newLeaves.flatMap((l) => (l.identity.kind === "device" ? [[l.identity.deviceId, l.leafIndex] as const] : [])));
  await deletePending(
    tx,
    channelId,
    pending.filter((r) => !leafOf.has(r.device_id)).map((r) => r.device_id),
  );
  const remaining = pending.filter((r) => leafOf.has(r.device_id));
  for (const r of remaining) await resetPending(tx, channelId, r.device_id, leafOf.get(r.device_id)!);

  // Appended (and so announced) after the membership items and Welcomes above: a device
  // added by this commit has its Welcome before it sees the commit in the channel.
  const event = (await appendEvents(tx, after, [{ orgId: p.orgId, row }]))[0]!;
  if (remaining.length > 0) await scheduleRemovalProposals(after, [channelId]);
  return { epoch: newEpoch, event, welcomeId };
}

function leafRow(channelId: string, orgId: string, l: CommitPlan["newLeaves"][number]): LeafRow {
  const id = l.identity.kind === "device" ? l.identity : { userId: "", deviceId: "" };
  return { channel_id: channelId, leaf_index: l.leafIndex, org_id: orgId, user_id: id.userId, device_id: id.deviceId, signature_key: l.signaturePublicKey };
}

/** The init bundle: the caller's device created the channel's one-member group; the first one wins. */
async function initGroup(deps: Deps, p: DeviceActor, ch: LoadedChannel, body: CommitBundleBody, exists: boolean): Promise<CommitBundleResult> {
  const channelId = ch.row.id;
  if (!ch.membership) throw refused("not_a_member", "join the channel first", "forbidden");
  if (exists) throw stale(Number(ch.row.epoch));
  if (body.epoch !== 0) throw refused("epoch_mismatch", "an init bundle (no commit) is for epoch 0");
  if (body.welcome) throw refused("welcome_mismatch", "an init bundle carries no welcome");
  const generation = Number(ch.row.mls_generation);
  const suite = await orgSuite(deps.db, p.orgId);
  const bundle = await parseBundle(channelId, generation, body, undefined);
  if (!body.engine) throw refused("engine_missing", "an init bundle names the MLS engine that made the group (engine)");
  if (bundle.groupInfo.suite !== suite) throw refused("wrong_suite", `the org's groups use suite ${suite}`);
  serverSenderIndex(bundle.groupInfo.verified, (await serverMlsKeys(deps)).externalSender.publicKey);
  const leaves = bundle.groupInfo.leaves;
  const only = leaves[0];
  if (
    leaves.length !== 1 ||
    !only ||
    only.identity.kind !== "device" ||
    only.identity.orgId !== p.orgId ||
    only.identity.userId !== p.userId ||
    only.identity.deviceId !== p.deviceId
  ) {
    throw refused("not_your_device", "an init GroupInfo must hold exactly the calling device", "forbidden");
  }
  const bound = (await bindingKeys(deps.db, p.orgId, [p.deviceId])).get(p.deviceId);
  if (!bound) throw refused("no_binding", "register this device's MLS identity first (PUT /e2ee/device-identity)");
  if (Buffer.compare(Buffer.from(bound), Buffer.from(only.signaturePublicKey)) !== 0)
    throw refused("binding_mismatch", "the leaf's signature key is not this device's directory key");
  const now = deps.now();
  try {
    await runCommand(deps, p, "mls.initGroup", async (tx) => {
      // A commit can only follow a group, so epoch 0 still holds; checking it keeps the rule in one place.
      const cur = await channelEpoch(tx, channelId);
      if (cur && cur.generation !== generation) throw resetMeanwhile(cur.generation);
      if (!cur || cur.epoch !== 0) throw stale(cur?.epoch ?? 0);
      await insertGroup(tx, {
        channel_id: channelId,
        org_id: p.orgId,
        suite,
        epoch: 0,
        group_info: bundle.groupInfo.bytes,
        created_by: p.userId,
        created_at: now,
        updated_at: now,
        engine: body.engine!,
      });
      await replaceLeaves(tx, channelId, [leafRow(channelId, p.orgId, only)]);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw stale(0); // another member's init bundle won
    throw err;
  }
  return { epoch: 0, event: null, welcomeId: null };
}
