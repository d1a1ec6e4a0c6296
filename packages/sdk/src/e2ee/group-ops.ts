/**
 * Changing a channel's MLS group through the server: creating it (init
 * bundle at epoch 0), adding the devices of members, committing pending
 * proposals, joining by Welcome or by external commit. Every commit is built
 * against the current epoch, posted as one bundle, and confirmed only when the
 * server accepts it; on `stale_epoch` the device discards it, catches up the
 * channel timeline (which applies the winning commit) and tries again.
 */
import {
  addMembers,
  channelGroupId,
  commitPendingProposals,
  E2eeError,
  MLS_ENGINE,
  parseChannelGroupId,
  confirmPending,
  createGroup,
  discardPending,
  epoch,
  epochAuthenticator,
  groupInfoMembers,
  groupInfoOf,
  hasPendingCommit,
  hasPendingProposals,
  holdsOwnLeaf,
  inspectMlsMessage,
  isE2eeError,
  joinExternal,
  joinFromWelcome,
  members,
  parseKeyPackage,
  pendingEpochAuthenticator,
  type CommitBundle,
  type DeviceIdentity,
  type Group,
  type KeyStore,
  type LeafPolicy,
  type Member,
} from "@parley/crypto";
import type { Api } from "../http.ts";
import { backoffDelay, sleep } from "../backoff.ts";
import { isParleyError, ParleyError } from "../errors.ts";
import type { ChannelCrypto, IdentityFor } from "./channel-state.ts";
import type { DeviceDirectory } from "./directory.ts";
import { equalBytes } from "./bytes.ts";
import type { E2eeConfig, E2eeServerApi, ServerGroup } from "./server-api.ts";

/** What group operations need from the engine. */
export interface GroupContext {
  api: Api;
  server: E2eeServerApi;
  keyStore: KeyStore;
  /** The device's identity (its deviceId, key and key store); use {@link identityFor} for MLS operations. */
  identity: DeviceIdentity;
  /** The identity for groups of a suite: the same key, any suite (each channel keeps its group's suite). */
  identityFor: IdentityFor;
  directory: DeviceDirectory;
  /** The org's E2EE config as last fetched (its suite is the one new groups use). */
  readonly config: E2eeConfig;
  /** Fetch the config again (the org's suite may have changed) and act on a change. */
  refreshConfig(): Promise<E2eeConfig>;
  policy: LeafPolicy;
  /** Fetch and process the channel timeline up to now. */
  catchUp(channelId: string): Promise<void>;
  /** Process queued events again (the group changed). */
  resume(ch: ChannelCrypto): void;
  /** Commit attempts before giving up (default 8). */
  maxCommitAttempts: number;
  /** Wait this long for a Welcome before joining by external commit. */
  joinWaitMs: number;
  /** True once the client is closing: stop waiting for the server. */
  closed(): boolean;
  /** The clock (tests may move it). */
  now(): number;
  /** This device's leaf keys in the channel were just renewed by one of its commits. */
  renewed(ch: ChannelCrypto): void;
  /**
   * This device's commit brought users into the group who were not in it (`added`), or it is the
   * member to answer another user's external join (`joined`): hand them the channel's past keys
   * (on `shared` channels; for a join, on public ones only).
   */
  shareKeys(ch: ChannelCrypto, how: "added" | "joined"): void;
}

const isStale = (err: unknown) => isParleyError(err) && err.code === "stale_epoch";
/**
 * The request may or may not have been applied: the connection dropped, the server died
 * or answered 5xx. A commit in that state is neither confirmed nor discarded until the
 * server says which commit took the epoch (see {@link appliedAfterAll}).
 */
const outcomeUnknown = (err: unknown) => isParleyError(err) && ["network", "timeout", "internal", "unavailable", "bad_response"].includes(err.code);

/** The channel's group as the server has it, asking again (with backoff) until the server answers. */
/**
 * The channel's group as the server has it (undefined: none yet), asking again until the
 * server answers. The device learns the channel's current generation from it: events of
 * older generations are history it can skip, and a group it creates is of this one.
 */
async function serverGroup(ctx: GroupContext, ch: ChannelCrypto): Promise<ServerGroup | undefined> {
  const state = await retrying(ctx, () => ctx.server.groupState(ch.id));
  if (!ch.group && state.generation > ch.generation) ch.generation = state.generation;
  return state.group;
}

/** A failure that says nothing about the request: the network, the server, or a look-up a check needed. */
const isTransient = (err: unknown) => outcomeUnknown(err) || (isParleyError(err) && err.isRetryable()) || isE2eeError(err, "unavailable");

/** `fn`, tried again with backoff while it fails transiently (network, 5xx), for up to {@link RESOLVE_MS}. */
async function retrying<T>(ctx: GroupContext, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + RESOLVE_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (ctx.closed() || Date.now() > until || !isTransient(err)) throw err;
      await sleep(backoffDelay(attempt, { initialMs: 100, maxMs: 5000 }));
    }
  }
}

/** How long a device waits for the timeline to show whether its commit was applied. */
const RESOLVE_MS = 120_000;

/**
 * The answer to a posted commit was lost. If the server is still at the commit's base
 * epoch, it was not applied. Otherwise the timeline decides: the commit's echo confirms
 * the pending state, another member's commit at that epoch discards it. Discarding it
 * before knowing would leave this device unable to read the epoch its own commit opened.
 * @returns true when this device's commit is the one the server applied
 */
async function appliedAfterAll(ctx: GroupContext, ch: ChannelCrypto, group: Group, bundle: CommitBundle): Promise<boolean> {
  const mine = pendingEpochAuthenticator(group);
  const info = await serverGroup(ctx, ch);
  if (!mine || !info || info.epoch < Number(bundle.epoch)) return false;
  const until = Date.now() + RESOLVE_MS;
  while (ch.group === group && hasPendingCommit(group) && Date.now() < until && !ctx.closed()) {
    await ctx.catchUp(ch.id).catch(() => undefined);
    if (hasPendingCommit(group)) await sleep(200);
  }
  return ch.group === group && !hasPendingCommit(group) && epoch(group) === bundle.epoch && equalBytes(epochAuthenticator(group), mine);
}

/** The server is removing leaves an external commit would keep: a member commits that shortly. */
const isPendingRemovals = (err: unknown) => isParleyError(err) && err.code === "pending_removals";

/**
 * Post a commit built by `build` (undefined = nothing to do), retrying after
 * `stale_epoch` with backoff. `build` runs again on every attempt so it sees
 * the epoch (and members) the winning commits produced.
 */
export async function commitWithRetry(ctx: GroupContext, ch: ChannelCrypto, build: (group: Group) => Promise<CommitBundle | undefined>): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    // One commit of this device in flight per channel: a second one built meanwhile would
    // replace the first as "pending", and the first one's echo would then look foreign.
    const outcome = await ch.oneCommit(() => commitOnce(ctx, ch, build));
    if (outcome === "retry") {
      if (attempt + 1 >= ctx.maxCommitAttempts) throw ch.lastCommitError;
      await sleep(backoffDelay(attempt, { initialMs: 20, maxMs: 1000 }));
      continue;
    }
    if (outcome) ctx.resume(ch);
    return outcome;
  }
}

async function commitOnce(ctx: GroupContext, ch: ChannelCrypto, build: (group: Group) => Promise<CommitBundle | undefined>): Promise<boolean | "retry"> {
  const group = ch.group;
  if (!group) throw new ParleyError({ code: "bad_request", message: `no MLS group for channel ${ch.id} on this device` });
  const bundle = await build(group);
  if (!bundle) return false;
  try {
    await ctx.server.postCommit(ch.id, {
      epoch: Number(bundle.epoch) - 1,
      commit: bundle.commit,
      ...(bundle.welcome ? { welcome: bundle.welcome } : {}),
      groupInfo: bundle.groupInfo,
    });
  } catch (err) {
    if (outcomeUnknown(err) && (await appliedAfterAll(ctx, ch, group, bundle))) {
      await ch.exclusive(async () => {
        if (bundle.added.length === 0) ctx.renewed(ch);
        await ch.save(ctx.keyStore);
      });
      if (bringsNewUsers(group, bundle.added)) ctx.shareKeys(ch, "added");
      return true;
    }
    if (resetGeneration(err) !== undefined) {
      // The channel's encryption was reset: this change belongs to a group that is gone. Catching
      // up processes the "reset" event; the new group is created with every member's devices.
      await ctx.catchUp(ch.id).catch(() => undefined);
      await ch.exclusive(() => {
        if (ch.group === group && hasPendingCommit(group)) discardPending(group);
      });
      return false;
    }
    // The echo of an accepted commit may already have confirmed it; otherwise it is dead.
    const retry = isStale(err) || (isParleyError(err) && err.isRetryable());
    if (retry) await ctx.catchUp(ch.id).catch(() => undefined);
    await ch.exclusive(() => {
      if (ch.group === group && hasPendingCommit(group)) discardPending(group);
    });
    if (!retry) throw err;
    ch.lastCommitError = err;
    return "retry";
  }
  await ch.exclusive(async () => {
    if (ch.group === group && hasPendingCommit(group)) confirmPending(group);
    // Every commit but an Add-only one carries an UpdatePath: this device's leaf keys are new.
    if (bundle.added.length === 0) ctx.renewed(ch);
    await ch.save(ctx.keyStore);
  });
  if (bringsNewUsers(group, bundle.added)) ctx.shareKeys(ch, "added");
  return true;
}

/** Whether `added` (now in the group) includes devices of users who had no device in it before. */
function bringsNewUsers(group: Group, added: Member[]): boolean {
  if (added.length === 0) return false;
  const addedDevices = new Set(added.map((m) => m.deviceId));
  const stayed = new Set(
    members(group)
      .filter((m) => !addedDevices.has(m.deviceId))
      .map((m) => m.userId),
  );
  return added.some((m) => !stayed.has(m.userId));
}

/**
 * Add every device of the channel's members that is not in the group yet
 * (claiming one KeyPackage per device). Devices whose KeyPackage does not
 * match its directory binding are skipped, never added. Adds never share a
 * commit with removals (crypto's commit rule): pending proposals, such as the
 * server's Remove after a revocation or kick, are committed first on their own.
 */
export async function addMissingDevices(ctx: GroupContext, ch: ChannelCrypto, userIds?: string[]): Promise<void> {
  let removalsFirst: boolean;
  const pendingCommit = (group: Group) => (ch.group === group && hasPendingProposals(group) ? commitPendingProposals(group) : undefined);
  do {
    removalsFirst = false;
    await commitWithRetry(ctx, ch, async (group) => {
      const first = await ch.exclusive(() => pendingCommit(group));
      if (first) {
        removalsFirst = true;
        return first;
      }
      const keyPackages = await claimMissing(ctx, ch, group, userIds);
      if (keyPackages.length === 0) return undefined;
      return ch.exclusive(async () => {
        // The timeline may have moved on while claiming: build against the group as it is now.
        if (ch.group !== group) return undefined;
        // A proposal arrived while claiming: it goes first (the claimed KeyPackages are spent; devices hold spares).
        const late = await pendingCommit(group);
        if (late) {
          removalsFirst = true;
          return late;
        }
        return addMembers(group, keyPackages);
      });
    });
  } while (removalsFirst);
}

/** Claim a KeyPackage of the group's suite for every device of `userIds` (default: the channel's members) not in the group. */
async function claimMissing(ctx: GroupContext, ch: ChannelCrypto, group: Group, userIds?: string[]): Promise<Uint8Array[]> {
  const users = userIds ?? (await ctx.api.call("listMembers", { params: { channelId: ch.id } })).members.map((m) => m.userId);
  if (users.length === 0) return [];
  const present = new Set(members(group).map((m) => m.deviceId));
  // KeyPackages of the group's own suite: a channel created before the org switched suites keeps its suite.
  const { claimed } = await ctx.server.claimKeyPackages(users, [...present], group.suite);
  await ctx.directory.accept(claimed.map((c) => c.binding));
  const keyPackages: Uint8Array[] = [];
  for (const c of claimed) {
    if (present.has(c.deviceId)) continue;
    try {
      const info = await parseKeyPackage(c.keyPackage);
      if (info.identity.kind !== "device" || info.identity.deviceId !== c.deviceId) continue;
      const ok = await ctx.directory.authorizeLeaf({
        orgId: info.identity.orgId,
        userId: info.identity.userId,
        deviceId: info.identity.deviceId,
        signaturePublicKey: info.signaturePublicKey,
      });
      if (ok) keyPackages.push(c.keyPackage);
    } catch (err) {
      if (!isE2eeError(err)) throw err; // a malformed KeyPackage is skipped
    }
  }
  return keyPackages;
}

/** Commit the proposals (e.g. the server's Remove) this device holds, unless another member did first. */
export async function commitProposals(ctx: GroupContext, ch: ChannelCrypto): Promise<void> {
  await commitWithRetry(ctx, ch, (group) =>
    ch.exclusive(async () => (ch.group === group && hasPendingProposals(group) ? commitPendingProposals(group) : undefined)),
  );
}

/**
 * Make sure this device is in the channel's group: load it, create it if the
 * channel has none (init bundle, then add every member's devices), wait for a
 * Welcome, or join by external commit. A group this device is still creating
 * is returned only once the members' devices are in it.
 */
export async function ensureGroup(ctx: GroupContext, ch: ChannelCrypto): Promise<Group> {
  await ch.load(ctx.keyStore, ctx.identityFor, ctx.policy);
  // A group this device has created but not yet added the members' devices to (after a reset the
  // timeline's rejoin creates it while the user may already be typing) holds this device alone:
  // a message encrypted in it now would be in an epoch no other member ever gets.
  if (ch.group && !ch.joining) return ch.group;
  ch.joining ??= (async () => {
    let info = await serverGroup(ctx, ch);
    if (info && info.engine !== MLS_ENGINE) {
      // Made by another MLS engine (a library upgrade): it cannot be continued, only replaced.
      await requestReset(ctx, ch, "engine_upgrade");
      info = await serverGroup(ctx, ch);
      if (info && info.engine !== MLS_ENGINE)
        throw new E2eeError("engine_mismatch", `channel ${ch.id}'s group was made by ${info.engine}; this device runs ${MLS_ENGINE}`);
    }
    if (!info && (await createChannelGroup(ctx, ch))) return;
    // Someone else's group: a Welcome is usually on its way.
    const until = Date.now() + ctx.joinWaitMs;
    while (!ch.group && (Date.now() < until || ch.welcomesInFlight > 0) && !ctx.closed()) await sleep(25);
    if (!ch.group) await joinByExternalCommit(ctx, ch);
  })().finally(() => {
    ch.joining = undefined;
  });
  await ch.joining;
  if (!ch.group) throw new ParleyError({ code: "bad_request", message: `could not join the MLS group of channel ${ch.id}` });
  return ch.group;
}

const isWrongSuite = (err: unknown) =>
  isParleyError(err) && err.code === "bad_request" && (err.details as { reason?: unknown } | undefined)?.reason === "wrong_suite";

async function createChannelGroup(ctx: GroupContext, ch: ChannelCrypto): Promise<boolean> {
  let group: Group;
  for (let attempt = 0; ; attempt++) {
    // New groups use the org's current suite, and the channel's current generation.
    group = await createGroup(ctx.identityFor(ctx.config.suite), channelGroupId(ch.id, ch.generation), {
      externalSenders: [ctx.config.externalSender],
      ...ctx.policy,
    });
    try {
      await ctx.server.postCommit(ch.id, { epoch: 0, groupInfo: await groupInfoOf(group) });
      break;
    } catch (err) {
      if (outcomeUnknown(err)) {
        // The answer was lost: the stored group is ours if it holds this very leaf.
        const info = await serverGroup(ctx, ch);
        if (info && holdsOwnLeaf(group, info.groupInfo)) break;
        if (info) return false;
        continue;
      }
      if (isStale(err) || (isParleyError(err) && err.code === "already_exists")) return false; // another member initialised it first
      // The channel's encryption was reset since this device last looked: build for the new generation.
      const reset = resetGeneration(err);
      if (reset !== undefined && reset > ch.generation && attempt < 4) {
        ch.generation = reset;
        continue;
      }
      // The org switched suites since this device last looked: fetch the config and build again.
      if (isWrongSuite(err) && attempt === 0) {
        await ctx.refreshConfig();
        continue;
      }
      throw err;
    }
  }
  await ch.exclusive(async () => {
    ch.adopt(group, 0, ctx.now());
    await ch.save(ctx.keyStore);
  });
  await addMissingDevices(ctx, ch);
  ctx.resume(ch);
  return true;
}

/** The generation an `encryption_reset` answer names, else undefined. */
function resetGeneration(err: unknown): number | undefined {
  if (!isParleyError(err) || err.code !== "encryption_reset") return undefined;
  const g = (err.details as { generation?: unknown } | undefined)?.generation;
  return typeof g === "number" ? g : undefined;
}

/**
 * Ask the server for a new group for the channel (an unrecoverable group, or one of another
 * MLS engine), then process the channel's timeline so the "reset" event moves this device on.
 * A member's reset is rate-limited: `rate_limited` means another device just did it.
 */
export async function requestReset(ctx: GroupContext, ch: ChannelCrypto, reason: "unrecoverable" | "engine_upgrade"): Promise<void> {
  try {
    await ctx.server.resetEncryption(ch.id, reason);
  } catch (err) {
    if (!(isParleyError(err) && err.code === "rate_limited")) throw err;
  }
  await ctx.catchUp(ch.id);
}

/** Join the channel's group from the GroupInfo the server stores (public channel, a user's new device, lost state). */
export function joinByExternalCommit(ctx: GroupContext, ch: ChannelCrypto): Promise<void> {
  return ch.oneCommit(() => externalJoin(ctx, ch));
}

async function externalJoin(ctx: GroupContext, ch: ChannelCrypto): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const info = await serverGroup(ctx, ch);
    if (!info) throw new ParleyError({ code: "not_found", status: 404, message: `channel ${ch.id} has no MLS group yet` });
    if (info.engine !== MLS_ENGINE)
      throw new E2eeError("engine_mismatch", `channel ${ch.id}'s group was made by ${info.engine}; this device runs ${MLS_ENGINE}`);
    // If this device still has a leaf (its state was lost), the join replaces it.
    const resync = groupInfoMembers(info.groupInfo).some((l) => l.identity.kind === "device" && l.identity.deviceId === ctx.identity.deviceId);
    // The group's suite, whatever the org's current one is.
    const join = await retrying(ctx, () => joinExternal(ctx.identityFor(info.suite), info.groupInfo, { ...ctx.policy, resync }));
    // Its echo may come through the timeline before the answer does (while this device holds an
    // older group, e.g. from a Welcome): the timeline then adopts the joined group instead of
    // processing this device's own commit as someone else's.
    ch.pendingJoin = { commit: join.commit, group: join.group, epoch: Number(join.epoch) };
    try {
      await ctx.server.postCommit(ch.id, { epoch: Number(join.epoch) - 1, commit: join.commit, groupInfo: join.groupInfo });
    } catch (err) {
      // The answer was lost: the join was applied if the server's tree holds this join's own leaf
      // (its key exists nowhere else). Dropping an applied join would leave this device unable to
      // read the epochs it opened; it would only rejoin later, after them.
      const applied =
        outcomeUnknown(err) && (await serverGroup(ctx, ch).then((i) => !!i && i.epoch >= Number(join.epoch) && holdsOwnLeaf(join.group, i.groupInfo)));
      if (!applied) {
        ch.pendingJoin = undefined;
        if (!(isStale(err) || isPendingRemovals(err) || outcomeUnknown(err)) || attempt + 1 >= ctx.maxCommitAttempts) throw err;
        await sleep(backoffDelay(attempt, { initialMs: 20, maxMs: 1000 }));
        continue;
      }
    }
    await ch.exclusive(async () => {
      ch.pendingJoin = undefined;
      // Unless the timeline adopted it already (its echo came first) and went on from there.
      if (ch.group !== join.group) ch.adopt(join.group, Number(join.epoch), ctx.now());
      await ch.save(ctx.keyStore);
    });
    ctx.resume(ch);
    return;
  }
}

/** Join from a Welcome ("mls.welcome" on the user stream); Welcomes for this user's other devices are ignored. */
export async function joinFromWelcomeItem(ctx: GroupContext, ch: ChannelCrypto, welcomeId: string): Promise<void> {
  await ch.load(ctx.keyStore, ctx.identityFor, ctx.policy);
  // Nothing is skipped by its epoch before it is opened: after a reset, a Welcome into the new
  // group has a small epoch while this device may still hold the old group (the checks below
  // compare generations first).
  // The Welcome is the only way into the epochs it opens: fetch and open it through outages
  // (an external join instead would start later and miss what was sent in between).
  ch.welcomesInFlight++;
  let group: Group;
  try {
    // The Welcome carries no ratchet tree: the server returns it with the GroupInfo of the
    // Welcome's epoch (the channel's current one may be later), checked against the Welcome.
    const { welcome, groupInfo } = await retrying(ctx, () => ctx.server.welcome(ch.id, welcomeId));
    // A Welcome is for the group's suite (the KeyPackage it consumed was claimed for that suite).
    const { suite } = await inspectMlsMessage(welcome);
    if (!suite) throw new ParleyError({ code: "bad_response", message: `the Welcome for channel ${ch.id} uses a cipher suite Parley does not offer` });
    group = await retrying(ctx, () => joinFromWelcome(ctx.identityFor(suite), welcome, ctx.policy, { groupInfo }));
  } catch (err) {
    if (isE2eeError(err, "no_matching_key_package")) return; // addressed to another device of this user
    throw err;
  } finally {
    ch.welcomesInFlight--;
  }
  await ch.exclusive(async () => {
    // A Welcome into a group the channel has since replaced (a reset) opens nothing current.
    const generation = parseChannelGroupId(group.groupId)?.generation ?? 0;
    if (generation < ch.generation) return;
    const sameGroup = ch.group !== undefined && !ch.removed && generation === ch.generation;
    if (sameGroup && epoch(ch.group!) >= epoch(group)) return;
    // The first epoch this device can read is the Welcome's, unless it already held an earlier
    // epoch of this same group. An older generation's (the Welcome came before the "reset" event
    // was processed) counts epochs of another group: kept, it would hide the new group's first messages.
    ch.adopt(group, sameGroup ? ch.joinedEpoch : Number(epoch(group)), ctx.now());
    await ch.save(ctx.keyStore);
  });
  ctx.resume(ch);
}
