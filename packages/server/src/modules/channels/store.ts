/**
 * Channel and membership queries. Every read that starts from a channel id
 * also names the org, so a row of another org is simply not found.
 */
import { sql } from "kysely";
import { parseLabels } from "../access/labels.ts";
import type { Channel, ChannelMember, ChannelRole } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { ChannelsTable } from "../../platform/db/tables.ts";

/** A query runner: the database or an open transaction. */
export type Q = Db | Tx;
export type ChannelRow = ChannelsTable;

export interface MembershipRow {
  role: ChannelRole;
  read_seq: number;
  joined_at: number;
}

export function toChannel(r: ChannelRow, memberCount: number): Channel {
  return {
    id: r.id,
    orgId: r.org_id,
    kind: r.kind,
    name: r.name,
    topic: r.topic,
    archived: r.archived_at !== null,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    lastSeq: Number(r.last_seq),
    memberCount,
    epoch: Number(r.epoch),
    history: r.history,
    labels: parseLabels(r.labels),
    retentionFloor: Number(r.retention_floor ?? 0),
  };
}

export async function findChannel(q: Q, orgId: string, channelId: string): Promise<ChannelRow | undefined> {
  return q.selectFrom("channels").selectAll().where("id", "=", channelId).where("org_id", "=", orgId).executeTakeFirst();
}

export async function findMembership(q: Q, channelId: string, userId: string): Promise<MembershipRow | undefined> {
  return q
    .selectFrom("channel_members")
    .select(["role", "read_seq", "joined_at"])
    .where("channel_id", "=", channelId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
}

export async function countMembers(q: Q, channelId: string): Promise<number> {
  const r = await q
    .selectFrom("channel_members")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("channel_id", "=", channelId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function memberIds(q: Q, channelId: string): Promise<string[]> {
  const rows = await q.selectFrom("channel_members").select("user_id").where("channel_id", "=", channelId).execute();
  return rows.map((r) => r.user_id);
}

export async function listMemberRows(q: Q, channelId: string): Promise<ChannelMember[]> {
  const rows = await q
    .selectFrom("channel_members")
    .select(["user_id", "role", "joined_at"])
    .where("channel_id", "=", channelId)
    .orderBy("joined_at")
    .orderBy("user_id")
    .execute();
  return rows.map((r) => ({ userId: r.user_id, role: r.role, joinedAt: Number(r.joined_at) }));
}

/** Which of `ids` are active users of `orgId`. */
export async function activeOrgUserIds(q: Q, orgId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await q.selectFrom("users").select("id").where("org_id", "=", orgId).where("id", "in", ids).where("deactivated_at", "is", null).execute();
  return new Set(rows.map((r) => r.id));
}

export async function findDmChannel(q: Q, orgId: string, dmKey: string): Promise<ChannelRow | undefined> {
  return q.selectFrom("channels").selectAll().where("org_id", "=", orgId).where("dm_key", "=", dmKey).executeTakeFirst();
}

/** Whether a public/private channel of the org already has this name (case-insensitive). */
export async function nameTaken(q: Q, orgId: string, name: string, exceptId?: string): Promise<boolean> {
  let query = q
    .selectFrom("channels")
    .select("id")
    .where("org_id", "=", orgId)
    .where("kind", "in", ["public", "private"])
    .where((eb) => eb(eb.fn("lower", ["name"]), "=", name.toLowerCase()));
  if (exceptId) query = query.where("id", "<>", exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function insertChannel(tx: Tx, row: ChannelRow): Promise<void> {
  await tx.insertInto("channels").values(row).execute();
}

export async function insertMembers(
  tx: Tx,
  channelId: string,
  orgId: string,
  members: Array<{ userId: string; role: ChannelRole }>,
  now: number,
): Promise<void> {
  if (members.length === 0) return;
  await tx
    .insertInto("channel_members")
    .values(
      members.map((m) => ({
        channel_id: channelId,
        user_id: m.userId,
        org_id: orgId,
        role: m.role,
        joined_at: now,
        read_seq: 0,
      })),
    )
    .execute();
}

/** Take the channel row's write lock for the rest of the transaction (a no-op update). */
export async function lockChannelRow(tx: Tx, channelId: string): Promise<void> {
  await tx
    .updateTable("channels")
    .set((eb) => ({ last_seq: eb.ref("last_seq") }))
    .where("id", "=", channelId)
    .execute();
}

export async function deleteMember(tx: Tx, channelId: string, userId: string): Promise<boolean> {
  const r = await tx.deleteFrom("channel_members").where("channel_id", "=", channelId).where("user_id", "=", userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function setMemberRoleRow(tx: Tx, channelId: string, userId: string, role: ChannelRole): Promise<void> {
  await tx.updateTable("channel_members").set({ role }).where("channel_id", "=", channelId).where("user_id", "=", userId).execute();
}

export async function updateChannelRow(tx: Tx, channelId: string, patch: Partial<Pick<ChannelRow, "name" | "topic" | "archived_at">>): Promise<ChannelRow> {
  return tx.updateTable("channels").set(patch).where("id", "=", channelId).returningAll().executeTakeFirstOrThrow();
}

/** Unread counts above this are reported as this (clients show "1000+"). */
const UNREAD_CAP = 1000;

/** A user's memberships with the counts MyChannel needs, in one query. */
export async function myChannelRows(q: Q, userId: string, channelId?: string) {
  let query = q
    .selectFrom("channel_members as m")
    .innerJoin("channels as c", "c.id", "m.channel_id")
    .selectAll("c")
    .select(["m.role as my_role", "m.read_seq as read_seq"])
    .select((eb) => {
      // The oldest / newest UNREAD_CAP messages after the read receipt, walked on the events
      // primary key (channel_id, seq): at most 2 x UNREAD_CAP rows whoever sent them.
      const window = (order: "asc" | "desc", as: "a" | "b") =>
        eb
          .selectFrom(
            eb
              .selectFrom("events as e")
              .whereRef("e.channel_id", "=", "c.id")
              .whereRef("e.seq", ">", "m.read_seq")
              .where("e.kind", "=", "message")
              .select(["e.seq", "e.sender_id"])
              .orderBy("e.seq", order)
              .limit(UNREAD_CAP)
              .as(as),
          )
          .select([`${as}.seq`, `${as}.sender_id`]);
      return [
        eb.selectFrom("channel_members as mm").whereRef("mm.channel_id", "=", "c.id").select(eb.fn.countAll<number>().as("n")).as("member_count"),
        // Unread: messages after the read receipt that someone else sent (not reactions,
        // edits, deletes or MLS handshakes), counted in the two windows above: exact up to
        // UNREAD_CAP unless the user posted more than ~UNREAD_CAP messages after their receipt
        // and others' messages sit between the windows. Filtering the sender before the limit
        // would make a heavy poster's listing scan every row after the receipt.
        eb
          .selectFrom(window("asc", "a").union(window("desc", "b")).as("u"))
          .where("u.sender_id", "<>", userId)
          .select(eb.fn.countAll<number>().as("n"))
          .as("unread"),
        eb
          .selectFrom("mentions as x")
          .whereRef("x.channel_id", "=", "c.id")
          .whereRef("x.seq", ">", "m.read_seq")
          .where("x.user_id", "=", userId)
          .select(eb.fn.countAll<number>().as("n"))
          .as("mention_count"),
      ];
    })
    .where("m.user_id", "=", userId);
  if (channelId) query = query.where("c.id", "=", channelId);
  const rows = await query.orderBy("c.created_at").orderBy("c.id").execute();
  for (const r of rows) r.unread = Math.min(UNREAD_CAP, Number(r.unread ?? 0));
  return rows;
}

/** Other members of the given DM channels, by channel id. */
export async function dmPeers(q: Q, channelIds: string[], userId: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (channelIds.length === 0) return out;
  const rows = await q
    .selectFrom("channel_members")
    .select(["channel_id", "user_id"])
    .where("channel_id", "in", channelIds)
    .where("user_id", "<>", userId)
    .orderBy("user_id")
    .execute();
  for (const r of rows) {
    const list = out.get(r.channel_id) ?? [];
    list.push(r.user_id);
    out.set(r.channel_id, list);
  }
  return out;
}

/** LIKE pattern for a substring, with the wildcards in it escaped (ESCAPE '\\' on both dialects). */
function containsPattern(needle: string): string {
  return `%${needle.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * A page of the org's public channels by name (one more row than `limit`, to tell whether more
 * follow), with member counts and whether `userId` joined; `q` matches name or topic, ignoring case.
 */
export async function publicChannelRows(
  q: Q,
  orgId: string,
  userId: string,
  opts: { q?: string | undefined; includeArchived: boolean; limit: number; offset: number },
) {
  let query = q
    .selectFrom("channels as c")
    .selectAll("c")
    .select((eb) => [
      eb.selectFrom("channel_members as mm").whereRef("mm.channel_id", "=", "c.id").select(eb.fn.countAll<number>().as("n")).as("member_count"),
      eb
        .exists(eb.selectFrom("channel_members as me").whereRef("me.channel_id", "=", "c.id").where("me.user_id", "=", userId).select("me.user_id"))
        .as("joined"),
    ])
    .where("c.org_id", "=", orgId)
    .where("c.kind", "=", "public");
  if (!opts.includeArchived) query = query.where("c.archived_at", "is", null);
  const needle = opts.q?.trim();
  if (needle) {
    const pattern = containsPattern(needle);
    query = query.where((eb) => eb.or([sql<boolean>`lower(c.name) LIKE ${pattern} ESCAPE '\\'`, sql<boolean>`lower(c.topic) LIKE ${pattern} ESCAPE '\\'`]));
  }
  return query
    .orderBy((eb) => eb.fn("lower", ["c.name"]))
    .orderBy("c.id")
    .limit(opts.limit + 1)
    .offset(opts.offset)
    .execute();
}
