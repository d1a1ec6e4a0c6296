/**
 * The register of data-subject requests (gdpr_requests, docs/gdpr.md): a user asks for their
 * erasure; officers list the requests (with whether a hold covers the user) and decline or
 * complete them (erase.ts). Every export is recorded here as a completed request too, so the
 * register answers "who asked for what, when, and what was done" (GDPR Art. 5(2), 12(3)).
 */
import type { GdprRequest } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { GdprRequestsTable } from "../../platform/db/compliance-tables.ts";
import { runCommand } from "../../command.ts";
import { actingUserId, actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { activeHolds, requireCompliance } from "../compliance/holds.ts";

type Q = Tx | Deps["db"];

/** When the user was erased (the completed erasure request), or undefined. */
export async function erasedAt(q: Q, orgId: string, userId: string): Promise<number | undefined> {
  const row = await q
    .selectFrom("gdpr_requests")
    .select("decided_at")
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .where("kind", "=", "erase")
    .where("status", "=", "completed")
    .executeTakeFirst();
  return row ? Number(row.decided_at) : undefined;
}

export function alreadyErased(at: number): AppError {
  return new AppError("already_erased", "this user was already erased", { erasedAt: at });
}

/** A new request row (not yet inserted). */
export function requestRow(
  orgId: string,
  userId: string,
  kind: GdprRequestsTable["kind"],
  by: Actor,
  now: number,
  fields: Partial<Pick<GdprRequestsTable, "status" | "note" | "decided_by" | "decided_at" | "response">> = {},
): GdprRequestsTable {
  return {
    id: newId("gdpr"),
    org_id: orgId,
    user_id: userId,
    kind,
    status: "pending",
    requested_by: actorRef(by),
    requested_at: now,
    note: "",
    decided_by: null,
    decided_at: null,
    response: "",
    ...fields,
  };
}

async function toViews(q: Q, orgId: string, rows: readonly GdprRequestsTable[], withHolds: boolean): Promise<GdprRequest[]> {
  const ids = [...new Set(rows.map((r) => r.user_id))];
  const names = new Map<string, string>();
  if (ids.length)
    for (const u of await q.selectFrom("users").select(["id", "username"]).where("org_id", "=", orgId).where("id", "in", ids).execute())
      names.set(u.id, u.username);
  const held = withHolds ? (await activeHolds(q, orgId)).users : undefined;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    userId: r.user_id,
    username: names.get(r.user_id) ?? r.user_id,
    requestedBy: r.requested_by,
    requestedAt: Number(r.requested_at),
    note: r.note,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    response: r.response,
    ...(held ? { held: held.has(r.user_id) } : {}),
  }));
}

/** A user asks the officers to erase them (one pending request at a time). */
export async function createErasureRequest(deps: Deps, p: Actor, note: string): Promise<GdprRequest> {
  const userId = actingUserId(p);
  if (!userId) throw new AppError("forbidden", "only a signed-in user asks for their own erasure");
  return runCommand(deps, p, "gdpr.requestErasure", async (tx, fx) => {
    const at = await erasedAt(tx, p.orgId, userId);
    if (at !== undefined) throw alreadyErased(at);
    const open = await tx
      .selectFrom("gdpr_requests")
      .select("id")
      .where("org_id", "=", p.orgId)
      .where("user_id", "=", userId)
      .where("kind", "=", "erase")
      .where("status", "=", "pending")
      .executeTakeFirst();
    if (open) throw new AppError("already_exists", "you already asked for your erasure; the compliance officers will answer it", { requestId: open.id });
    const row = requestRow(p.orgId, userId, "erase", p, deps.now(), { note });
    await tx.insertInto("gdpr_requests").values(row).execute();
    // The note is the user's own words: personal data, so not in the (permanent) audit details.
    fx.audit({ action: "gdpr.request.created", target: { kind: "user", id: userId }, result: "success", details: { requestId: row.id, kind: "erase" } });
    return (await toViews(tx, p.orgId, [row], false))[0]!;
  });
}

/** The caller's own requests, newest first. */
export async function listMyRequests(deps: Deps, p: Actor): Promise<{ requests: GdprRequest[] }> {
  const userId = actingUserId(p);
  if (!userId) return { requests: [] };
  const rows = await deps.db
    .selectFrom("gdpr_requests")
    .selectAll()
    .where("org_id", "=", p.orgId)
    .where("user_id", "=", userId)
    .orderBy("requested_at", "desc")
    .orderBy("id")
    .execute();
  return { requests: await toViews(deps.db, p.orgId, rows, false) };
}

/** The org's requests for officers: pending first, each group newest first. */
export async function listRequests(deps: Deps, p: Actor, q: { status: "pending" | "all"; userId?: string | undefined }): Promise<{ requests: GdprRequest[] }> {
  requireCompliance(p);
  let query = deps.db.selectFrom("gdpr_requests").selectAll().where("org_id", "=", p.orgId);
  if (q.status === "pending") query = query.where("status", "=", "pending");
  if (q.userId) query = query.where("user_id", "=", q.userId);
  const rows = await query.orderBy("requested_at", "desc").orderBy("id").execute();
  rows.sort((a, b) => Number(a.status !== "pending") - Number(b.status !== "pending"));
  return { requests: await toViews(deps.db, p.orgId, rows, true) };
}

/** An officer declines a pending erasure request, saying why. */
export async function declineRequest(deps: Deps, p: Actor, requestId: string, response: string): Promise<GdprRequest> {
  requireCompliance(p);
  return runCommand(deps, p, "gdpr.declineRequest", async (tx, fx) => {
    const row = await tx.selectFrom("gdpr_requests").selectAll().where("org_id", "=", p.orgId).where("id", "=", requestId).executeTakeFirst();
    if (!row) throw notFound("request");
    if (row.status !== "pending") throw new AppError("gdpr_request_closed", `this request is already ${row.status}`, { status: row.status });
    const decided = { ...row, status: "declined" as const, decided_by: actorRef(p), decided_at: deps.now(), response };
    await tx
      .updateTable("gdpr_requests")
      .set({ status: decided.status, decided_by: decided.decided_by, decided_at: decided.decided_at, response })
      .where("id", "=", row.id)
      .execute();
    fx.audit({ action: "gdpr.request.declined", target: { kind: "user", id: row.user_id }, result: "success", details: { requestId: row.id, kind: row.kind } });
    return (await toViews(tx, p.orgId, [decided], true))[0]!;
  });
}
