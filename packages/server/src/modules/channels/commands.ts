/**
 * Channel commands: create, open DMs, rename/topic/history policy, archive. Membership
 * commands live in membership.ts and are re-exported here, so other modules
 * (the gateway) import everything channel-related from this one file.
 *
 * For the gateway's replay:
 * - `listMyChannelHeads(db, principal): Promise<Map<string, number>>` — the channels the user belongs to,
 *   each with its last seq (`channels.last_seq`, bumped by timeline/sequence.ts in the transaction that
 *   inserts the events); `channelHeads(db, orgId, ids)` reads them again once the connection is
 *   subscribed, so replay queries only the channels with something after the client's cursor.
 * Events after a cursor come from `listEventsAfter` in modules/messages/commands.ts.
 */
import { defaultHistoryPolicy, type Channel, type HistoryPolicy, type MyChannel } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Db } from "../../platform/db/index.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { authorize } from "../access/authorize.ts";
import { AppError } from "../../core/errors.ts";
import { runCommand } from "../../command.ts";
import { newId } from "../../platform/ids.ts";
import { channelFor } from "./access.ts";
import { requireOrgUsers } from "./users.ts";
import { channelData, publishMembers, tellUsers, type NotifyCtx } from "./notify.ts";
import { countMembers, findDmChannel, insertChannel, insertMembers, memberIds, nameTaken, toChannel, updateChannelRow, type ChannelRow } from "./store.ts";
import { myChannel } from "./views.ts";
import { channelAttrsChanged } from "../access/org-access.ts";

export { joinChannel, leaveChannel, addMembers, removeMember, setMemberRole } from "./membership.ts";
export { listMyChannels, getChannel, browseChannels, listMembers } from "./views.ts";

const nameTakenError = (name: string) => new AppError("already_exists", `a channel named "${name}" already exists`);

/** Create a public or private channel; the creator becomes its admin. */
export async function createChannel(
  deps: Deps,
  p: DeviceActor,
  input: { kind: "public" | "private"; name: string; topic: string; members: string[]; history?: HistoryPolicy | undefined },
): Promise<MyChannel> {
  authorize(p, input.kind === "public" ? "channel.create_public" : "channel.create_private", { type: "org", orgId: p.orgId });
  const others = [...new Set(input.members)].filter((id) => id !== p.userId);
  await requireOrgUsers(deps.db, p.orgId, others);
  if (await nameTaken(deps.db, p.orgId, input.name)) throw nameTakenError(input.name);
  const now = deps.now();
  const row: ChannelRow = {
    id: newId("ch"),
    org_id: p.orgId,
    kind: input.kind,
    name: input.name,
    topic: input.topic,
    archived_at: null,
    created_by: p.userId,
    created_at: now,
    last_seq: 0,
    epoch: 0,
    mls_generation: 0,
    mls_reset_at: null,
    dm_key: null,
    history: input.history ?? defaultHistoryPolicy(input.kind),
  };
  try {
    await runCommand(deps, p, "channels.createChannel", async (tx, after) => {
      await insertChannel(tx, row);
      await channelAttrsChanged(tx, after, row.org_id);
      after.audit({
        action: "channel.created",
        target: { kind: "channel", id: row.id },
        result: "success",
        details: { kind: row.kind, members: others.length + 1, history: row.history },
      });
      await insertMembers(tx, row.id, p.orgId, [{ userId: p.userId, role: "admin" }, ...others.map((userId) => ({ userId, role: "member" as const }))], now);
      const c: NotifyCtx = { tx, after, orgId: p.orgId, channelId: row.id, now };
      const all = [p.userId, ...others];
      await tellUsers(c, all, "channel.joined", { ...channelData(toChannel(row, all.length)), by: p.userId });
      publishMembers(c, all, []);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTakenError(input.name);
    throw err;
  }
  return myChannel(deps.db, p, row.id);
}

/**
 * Open the DM (one other user) or group DM (2..15 others) with exactly these
 * users, or return the existing one: `dm_key` (sorted member ids) is unique per org.
 */
export async function openDm(deps: Deps, p: DeviceActor, userIds: string[]): Promise<MyChannel> {
  authorize(p, "channel.open_dm", { type: "org", orgId: p.orgId });
  const others = [...new Set(userIds)].filter((id) => id !== p.userId);
  if (others.length === 0) throw new AppError("bad_request", "name at least one other user");
  if (others.length > 15) throw new AppError("bad_request", "a group DM has at most 15 other members");
  await requireOrgUsers(deps.db, p.orgId, others);
  const all = [p.userId, ...others].sort();
  const dmKey = all.join(",");
  const existing = await findDmChannel(deps.db, p.orgId, dmKey);
  if (existing) return myChannel(deps.db, p, existing.id);
  const now = deps.now();
  const row: ChannelRow = {
    id: newId("ch"),
    org_id: p.orgId,
    kind: others.length === 1 ? "dm" : "group_dm",
    name: "",
    topic: "",
    archived_at: null,
    created_by: p.userId,
    created_at: now,
    last_seq: 0,
    epoch: 0,
    mls_generation: 0,
    mls_reset_at: null,
    dm_key: dmKey,
    history: defaultHistoryPolicy(others.length === 1 ? "dm" : "group_dm"),
  };
  try {
    await runCommand(deps, p, "channels.openDm", async (tx, after) => {
      await insertChannel(tx, row);
      await channelAttrsChanged(tx, after, row.org_id);
      after.audit({
        action: "channel.created",
        target: { kind: "channel", id: row.id },
        result: "success",
        details: { kind: row.kind, members: all.length, history: row.history },
      });
      await insertMembers(
        tx,
        row.id,
        p.orgId,
        all.map((userId) => ({ userId, role: "member" as const })),
        now,
      );
      const c: NotifyCtx = { tx, after, orgId: p.orgId, channelId: row.id, now };
      await tellUsers(c, all, "channel.joined", { ...channelData(toChannel(row, all.length)), by: p.userId });
      publishMembers(c, all, []);
    });
  } catch (err) {
    // Someone opened the same DM at the same moment: theirs is the one.
    if (!isUniqueViolation(err)) throw err;
    const raced = await findDmChannel(deps.db, p.orgId, dmKey);
    if (!raced) throw err;
    return myChannel(deps.db, p, raced.id);
  }
  return myChannel(deps.db, p, row.id);
}

/** Write a channel change and tell every member ("channel.updated"). */
async function changeChannel(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  patch: Partial<Pick<ChannelRow, "name" | "topic" | "archived_at" | "history">>,
  before: ChannelRow,
): Promise<Channel> {
  const now = deps.now();
  return runCommand(deps, p, "channels.changeChannel", async (tx, after) => {
    const row = await updateChannelRow(tx, channelId, patch);
    if (patch.archived_at !== undefined) await channelAttrsChanged(tx, after, row.org_id);
    const members = await memberIds(tx, channelId);
    const channel = toChannel(row, members.length);
    const target = { kind: "channel", id: channelId };
    if ("archived_at" in patch) after.audit({ action: patch.archived_at === null ? "channel.unarchived" : "channel.archived", target, result: "success" });
    const renamed = (["name", "topic"] as const).filter((k) => k in patch);
    if (renamed.length) after.audit({ action: "channel.updated", target, result: "success", details: { changed: renamed } });
    // Who may read the past is a security setting of its own: recorded with both values.
    if (patch.history) after.audit({ action: "channel.history.changed", target, result: "success", details: { from: before.history, to: patch.history } });
    await tellUsers({ tx, after, orgId: p.orgId, channelId, now }, members, "channel.updated", { ...channelData(channel), by: p.userId });
    return channel;
  });
}

/** Rename a channel or change its topic (channel admins, org admins; group DM members). */
export async function updateChannel(
  deps: Deps,
  p: DeviceActor,
  channelId: string,
  input: { name?: string | undefined; topic?: string | undefined; history?: HistoryPolicy | undefined },
): Promise<Channel> {
  const ch = await channelFor(deps.db, p, channelId, "channel.manage");
  if (ch.row.archived_at !== null) throw new AppError("channel_archived", "the channel is archived; unarchive it first");
  const patch: { name?: string; topic?: string; history?: HistoryPolicy } = {};
  if (input.history !== undefined && input.history !== ch.row.history) patch.history = input.history;
  if (input.name !== undefined && input.name !== ch.row.name) {
    if (ch.row.kind === "dm") throw new AppError("bad_request", "a DM has no name");
    if (ch.row.kind !== "group_dm" && (await nameTaken(deps.db, p.orgId, input.name, channelId))) throw nameTakenError(input.name);
    patch.name = input.name;
  }
  if (input.topic !== undefined && input.topic !== ch.row.topic) patch.topic = input.topic;
  if (Object.keys(patch).length === 0) return toChannel(ch.row, await countMembers(deps.db, channelId));
  try {
    return await changeChannel(deps, p, channelId, patch, ch.row);
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTakenError(input.name ?? "");
    throw err;
  }
}

async function setArchived(deps: Deps, p: DeviceActor, channelId: string, archived: boolean): Promise<Channel> {
  const ch = await channelFor(deps.db, p, channelId, "channel.manage");
  if (ch.row.kind === "dm" || ch.row.kind === "group_dm") throw new AppError("bad_request", "DMs cannot be archived");
  if ((ch.row.archived_at !== null) === archived) return toChannel(ch.row, await countMembers(deps.db, channelId));
  return changeChannel(deps, p, channelId, { archived_at: archived ? deps.now() : null }, ch.row);
}

/** Archive: the channel becomes read-only (posts get channel_archived). */
export const archiveChannel = (deps: Deps, p: DeviceActor, channelId: string) => setArchived(deps, p, channelId, true);
export const unarchiveChannel = (deps: Deps, p: DeviceActor, channelId: string) => setArchived(deps, p, channelId, false);

/** The channels `p` belongs to, each with its last seq, in one query. */
/** The last seq of each of the org's channels `ids` (channels that are gone are left out). */
export async function channelHeads(db: Db, orgId: string, ids: Iterable<string>): Promise<Map<string, number>> {
  const all = [...ids];
  const heads = new Map<string, number>();
  for (let i = 0; i < all.length; i += 1000) {
    const rows = await db
      .selectFrom("channels")
      .select(["id", "last_seq"])
      .where("org_id", "=", orgId)
      .where("id", "in", all.slice(i, i + 1000))
      .execute();
    for (const r of rows) heads.set(r.id, Number(r.last_seq));
  }
  return heads;
}

export async function listMyChannelHeads(db: Db, p: DeviceActor): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("channel_members as m")
    .innerJoin("channels as c", "c.id", "m.channel_id")
    .select(["m.channel_id", "c.last_seq"])
    .where("m.user_id", "=", p.userId)
    .where("m.org_id", "=", p.orgId)
    .execute();
  return new Map(rows.map((r) => [r.channel_id, Number(r.last_seq)]));
}
