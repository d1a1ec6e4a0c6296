/**
 * Legal holds (issue 11, docs/compliance.md): a compliance officer puts a user or a channel
 * under hold for a matter. While any hold is active, what it covers outlives retention and
 * deletion: a held channel keeps its whole timeline and attachments; a held user keeps the
 * timelines of every channel they are a member of, the events they sent anywhere, and their
 * attachments; an erasure of a held user is refused (`legal_hold`). Holds are released, never
 * deleted, and every placement, release and refusal is audited.
 */
import type { LegalHold } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { LegalHoldsTable } from "../../platform/db/compliance-tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";

type Q = Tx | Deps["db"];
const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

/** Who may manage retention and holds (owners; compliance officers through a custom role). */
export function requireCompliance(p: Actor): void {
  authorize(p, "org.manage_compliance", org(p));
}

/** The org's active holds: which users and channels they cover, and the matters by target. */
export interface ActiveHolds {
  users: Set<string>;
  channels: Set<string>;
  /** Matter names by held target id. */
  matters: Map<string, string[]>;
}

export async function activeHolds(q: Q, orgId: string): Promise<ActiveHolds> {
  const rows = await q
    .selectFrom("legal_holds")
    .select(["scope", "target_id", "matter"])
    .where("org_id", "=", orgId)
    .where("released_at", "is", null)
    .execute();
  const out: ActiveHolds = { users: new Set(), channels: new Set(), matters: new Map() };
  for (const r of rows) {
    (r.scope === "user" ? out.users : out.channels).add(r.target_id);
    out.matters.set(r.target_id, [...(out.matters.get(r.target_id) ?? []), r.matter]);
  }
  return out;
}

/**
 * The channels whose whole timeline a hold keeps: held channels, and every channel a held
 * user is a member of.
 */
export async function heldChannelIds(q: Q, orgId: string, holds: ActiveHolds): Promise<Set<string>> {
  const out = new Set(holds.channels);
  if (holds.users.size > 0) {
    const rows = await q
      .selectFrom("channel_members")
      .select("channel_id")
      .where("org_id", "=", orgId)
      .where("user_id", "in", [...holds.users])
      .execute();
    for (const r of rows) out.add(r.channel_id);
  }
  return out;
}

/** Matter names of the active holds covering a user (their own hold) — for erasure and account deletion. */
export async function mattersHoldingUser(q: Q, orgId: string, userId: string): Promise<string[]> {
  const rows = await q
    .selectFrom("legal_holds")
    .select("matter")
    .where("org_id", "=", orgId)
    .where("scope", "=", "user")
    .where("target_id", "=", userId)
    .where("released_at", "is", null)
    .execute();
  return rows.map((r) => r.matter);
}

/** Refuse (legal_hold) when an active hold covers the user. */
export async function refuseIfUserHeld(q: Q, orgId: string, userId: string, what: string): Promise<void> {
  const matters = await mattersHoldingUser(q, orgId, userId);
  if (matters.length > 0) throw new AppError("legal_hold", `${what} is refused: a legal hold covers this user (${matters.join(", ")})`, { matters });
}

/**
 * Whether a hold keeps what an event of `senderId` in `channelId` carries (its attachments
 * when the message is deleted): the channel is held, or the sender is, or a held user is a member.
 */
async function holdCovers(q: Q, orgId: string, channelId: string, senderId: string): Promise<boolean> {
  const holds = await activeHolds(q, orgId);
  if (holds.users.size === 0 && holds.channels.size === 0) return false;
  if (holds.channels.has(channelId) || holds.users.has(senderId)) return true;
  return (await heldChannelIds(q, orgId, holds)).has(channelId);
}

/**
 * Attachments of a deleted message whose blobs a hold must keep: all of `fileIds` when a hold
 * covers the message (its channel, its sender, or a held member), recorded in held_files; the
 * caller removes the other blobs. Returns the kept ids.
 */
export async function keepHeldFiles(tx: Tx, orgId: string, channelId: string, targetSeq: number, fileIds: readonly string[], now: number): Promise<string[]> {
  if (fileIds.length === 0) return [];
  const target = await tx.selectFrom("events").select("sender_id").where("channel_id", "=", channelId).where("seq", "=", targetSeq).executeTakeFirst();
  if (!(await holdCovers(tx, orgId, channelId, target?.sender_id ?? ""))) return [];
  await tx
    .insertInto("held_files")
    .values(fileIds.map((file_id) => ({ file_id, org_id: orgId, held_at: now })))
    .execute();
  return [...fileIds];
}

async function targetNames(q: Q, orgId: string, rows: readonly LegalHoldsTable[]): Promise<Map<string, string>> {
  const users = rows.filter((r) => r.scope === "user").map((r) => r.target_id);
  const channels = rows.filter((r) => r.scope === "channel").map((r) => r.target_id);
  const names = new Map<string, string>();
  if (users.length)
    for (const u of await q.selectFrom("users").select(["id", "username"]).where("org_id", "=", orgId).where("id", "in", users).execute())
      names.set(u.id, u.username);
  if (channels.length)
    for (const c of await q.selectFrom("channels").select(["id", "name"]).where("org_id", "=", orgId).where("id", "in", channels).execute())
      names.set(c.id, c.name);
  return names;
}

function toHold(r: LegalHoldsTable, names: Map<string, string>): LegalHold {
  return {
    id: r.id,
    matter: r.matter,
    scope: r.scope,
    targetId: r.target_id,
    targetName: names.get(r.target_id) ?? r.target_id,
    note: r.note,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    releasedBy: r.released_by,
    releasedAt: r.released_at === null ? null : Number(r.released_at),
  };
}

export async function listHolds(deps: Deps, p: Actor, status: "active" | "released" | "all"): Promise<{ holds: LegalHold[] }> {
  requireCompliance(p);
  let q = deps.db.selectFrom("legal_holds").selectAll().where("org_id", "=", p.orgId);
  if (status === "active") q = q.where("released_at", "is", null);
  if (status === "released") q = q.where("released_at", "is not", null);
  const rows = await q.orderBy("created_at", "desc").orderBy("id").execute();
  const names = await targetNames(deps.db, p.orgId, rows);
  // Active first, then released, each newest first.
  rows.sort((a, b) => Number(a.released_at !== null) - Number(b.released_at !== null));
  return { holds: rows.map((r) => toHold(r, names)) };
}

export async function createHold(
  deps: Deps,
  p: Actor,
  input: { matter: string; scope: "user" | "channel"; targetId: string; note: string },
): Promise<LegalHold> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.createHold", async (tx, fx) => {
    const target =
      input.scope === "user"
        ? await tx.selectFrom("users").select("id").where("org_id", "=", p.orgId).where("id", "=", input.targetId).executeTakeFirst()
        : await tx.selectFrom("channels").select("id").where("org_id", "=", p.orgId).where("id", "=", input.targetId).executeTakeFirst();
    if (!target) throw notFound(input.scope);
    const dup = await tx
      .selectFrom("legal_holds")
      .select("id")
      .where("org_id", "=", p.orgId)
      .where("target_id", "=", input.targetId)
      .where("matter", "=", input.matter)
      .where("released_at", "is", null)
      .executeTakeFirst();
    if (dup) throw new AppError("already_exists", `this ${input.scope} is already held for "${input.matter}"`, { holdId: dup.id });
    const row: LegalHoldsTable = {
      id: newId("hold"),
      org_id: p.orgId,
      matter: input.matter,
      scope: input.scope,
      target_id: input.targetId,
      note: input.note,
      created_by: actorRef(p),
      created_at: deps.now(),
      released_by: null,
      released_at: null,
    };
    await tx.insertInto("legal_holds").values(row).execute();
    fx.audit({
      action: "legal_hold.placed",
      target: { kind: input.scope, id: input.targetId },
      result: "success",
      details: { holdId: row.id, matter: row.matter, scope: row.scope },
    });
    return toHold(row, await targetNames(tx, p.orgId, [row]));
  });
}

export async function releaseHold(deps: Deps, p: Actor, holdId: string, note: string): Promise<LegalHold> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.releaseHold", async (tx, fx) => {
    const row = await tx.selectFrom("legal_holds").selectAll().where("org_id", "=", p.orgId).where("id", "=", holdId).executeTakeFirst();
    if (!row) throw notFound("legal hold");
    if (row.released_at !== null) throw new AppError("hold_released", `the hold for "${row.matter}" was already released`);
    const released = { ...row, released_by: actorRef(p), released_at: deps.now(), note: note ? (row.note ? `${row.note}\n${note}` : note) : row.note };
    await tx
      .updateTable("legal_holds")
      .set({ released_by: released.released_by, released_at: released.released_at, note: released.note })
      .where("id", "=", holdId)
      .execute();
    fx.audit({
      action: "legal_hold.released",
      target: { kind: row.scope, id: row.target_id },
      result: "success",
      details: { holdId, matter: row.matter, scope: row.scope },
    });
    return toHold(released, await targetNames(tx, p.orgId, [released]));
  });
}
