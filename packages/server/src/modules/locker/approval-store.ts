/** SQL of device approvals and approval requests (ADR 0007). Every lookup is scoped by org and user. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { ApprovalRequestsTable, DeviceApprovalsTable, StoredApprovalState } from "../../platform/db/tables.ts";

type Q = Db | Tx;

/** A request with its asking device's name. */
export type RequestRow = ApprovalRequestsTable & { device_name: string };

/** What a step of a request sets. */
export type RequestChange = Partial<Pick<ApprovalRequestsTable, "state" | "approver_device_id" | "approver_key" | "device_key" | "sealed">>;

/** States in which a request still waits for a step (unless it expired). */
export const OPEN_STATES: StoredApprovalState[] = ["pending", "accepted", "revealed"];

export function findApproval(q: Q, orgId: string, deviceId: string): Promise<DeviceApprovalsTable | undefined> {
  return q.selectFrom("device_approvals").selectAll().where("org_id", "=", orgId).where("device_id", "=", deviceId).executeTakeFirst();
}

/** Stores a device's approval, replacing one it had (a device approved again gets the newer signature). */
export async function upsertApproval(tx: Tx, row: DeviceApprovalsTable): Promise<void> {
  await tx
    .insertInto("device_approvals")
    .values(row)
    .onConflict((oc) => oc.column("device_id").doUpdateSet({ signature: row.signature, approved_by: row.approved_by, created_at: row.created_at }))
    .execute();
}

/** Of `deviceIds`, those with an approval. */
export async function approvedDeviceIds(q: Q, orgId: string, deviceIds: string[]): Promise<Set<string>> {
  if (deviceIds.length === 0) return new Set();
  const rows = await q.selectFrom("device_approvals").select("device_id").where("org_id", "=", orgId).where("device_id", "in", deviceIds).execute();
  return new Set(rows.map((r) => r.device_id));
}

/** The approvals of a user's devices that are not revoked, oldest first. */
export function approvalsOfActiveDevices(q: Q, orgId: string, userId: string): Promise<DeviceApprovalsTable[]> {
  return q
    .selectFrom("device_approvals as a")
    .innerJoin("devices as d", "d.id", "a.device_id")
    .selectAll("a")
    .where("a.org_id", "=", orgId)
    .where("a.user_id", "=", userId)
    .where("d.revoked_at", "is", null)
    .orderBy("a.created_at")
    .orderBy("a.device_id")
    .execute();
}

function requests(q: Q, orgId: string, userId: string) {
  return q
    .selectFrom("approval_requests as r")
    .innerJoin("devices as d", "d.id", "r.device_id")
    .selectAll("r")
    .select("d.name as device_name")
    .where("r.org_id", "=", orgId)
    .where("r.user_id", "=", userId);
}

/** One request of the user, in any state. */
export function findRequest(q: Q, orgId: string, userId: string, id: string): Promise<RequestRow | undefined> {
  return requests(q, orgId, userId).where("r.id", "=", id).executeTakeFirst();
}

/** The user's open, unexpired requests of devices that are not revoked, oldest first. */
export function openRequests(q: Q, orgId: string, userId: string, now: number): Promise<RequestRow[]> {
  return requests(q, orgId, userId)
    .where("r.state", "in", OPEN_STATES)
    .where("r.expires_at", ">", now)
    .where("d.revoked_at", "is", null)
    .orderBy("r.created_at")
    .orderBy("r.id")
    .execute();
}

/** A device's requests (any state). */
export function requestsOfDevice(q: Q, orgId: string, userId: string, deviceId: string): Promise<RequestRow[]> {
  return requests(q, orgId, userId).where("r.device_id", "=", deviceId).orderBy("r.created_at").execute();
}

export async function insertRequest(tx: Tx, row: ApprovalRequestsTable): Promise<void> {
  await tx.insertInto("approval_requests").values(row).execute();
}

export async function deleteRequests(tx: Tx, ids: string[]): Promise<void> {
  if (ids.length) await tx.deleteFrom("approval_requests").where("id", "in", ids).execute();
}

/**
 * Moves a request on from `from` if it is still there and unexpired: a conditional update, so of
 * two devices taking the same step at once only one wins. False when it was not.
 */
export async function moveRequest(tx: Tx, id: string, from: StoredApprovalState[], now: number, set: RequestChange): Promise<boolean> {
  const r = await tx
    .updateTable("approval_requests")
    .set({ ...set, updated_at: now })
    .where("id", "=", id)
    .where("state", "in", from)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
