/**
 * Approval requests (ADR 0007, cross-signing): a new device of a user asks to be approved, an
 * approved device of the same user accepts, the new device reveals its ephemeral key, and the
 * accepting device completes (device-approvals.ts). The server relays public keys and sealed
 * bytes between the two devices; it checks who may take each step and in which state, not the
 * commitment (the devices do). Every change is told to all the user's devices through their
 * stream, so each device's dialog follows the request.
 */
import type { ApprovalRequest, ApprovalState } from "@parley/protocol";
import { APPROVAL_LIMITS } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { StoredApprovalState } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { fromBase64, toBase64 } from "../../core/base64.ts";
import { newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { getUserDevice } from "../accounts/store.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { findLocker } from "./store.ts";
import {
  OPEN_STATES,
  deleteRequests,
  findApproval,
  findRequest,
  insertRequest,
  moveRequest,
  openRequests,
  requestsOfDevice,
  type RequestChange,
  type RequestRow,
} from "./approval-store.ts";

const orNull = (b: Uint8Array | null) => (b === null ? null : toBase64(b));

/** Open: waiting for a step, and not past its time. */
const isOpen = (r: RequestRow, now: number) => OPEN_STATES.includes(r.state) && now < Number(r.expires_at);

/** The state as devices see it: an open request past its time reads as expired. */
function stateOf(r: RequestRow, now: number): ApprovalState {
  return OPEN_STATES.includes(r.state) && !isOpen(r, now) ? "expired" : r.state;
}

/** A request as `viewer` sees it: the sealed keys go to the device that asked, no other. */
export function toApprovalRequest(r: RequestRow, viewer: DeviceActor, now: number): ApprovalRequest {
  return {
    id: r.id,
    deviceId: r.device_id,
    deviceName: r.device_name,
    state: stateOf(r, now),
    commitment: toBase64(r.commitment),
    approverDeviceId: r.approver_device_id,
    approverKey: orNull(r.approver_key),
    deviceKey: orNull(r.device_key),
    sealed: viewer.deviceId === r.device_id ? orNull(r.sealed) : null,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}

/** One of the caller's user's requests; another user's or org's id is not found, like an unknown one. */
export async function loadRequest(q: Db | Tx, p: DeviceActor, id: string): Promise<RequestRow> {
  const r = await findRequest(q, p.orgId, p.userId, id);
  if (!r) throw notFound("approval request");
  return r;
}

const wrongState = (state: ApprovalState) => new AppError("approval_state", `the approval request is ${state}`, { state });

/** Throws approval_state unless the request is in one of `from` (and unexpired). */
export function requireState(r: RequestRow, from: StoredApprovalState[], now: number): void {
  const state = stateOf(r, now);
  if (!(from as ApprovalState[]).includes(state)) throw wrongState(state);
}

/** Tells the user's devices that a request (or, with requestId null, a device's approval) moved on. */
export async function announce(
  tx: Tx,
  fx: CommandEffects,
  p: DeviceActor,
  now: number,
  data: { requestId: string | null; deviceId: string; state: ApprovalState },
): Promise<void> {
  await appendUserStream(tx, fx, { orgId: p.orgId, userId: p.userId, kind: "approval.updated", data, now });
}

/**
 * Moves a request from one of `from` on with `set`, and announces it. The update is conditional:
 * a device that lost a race to another one's step gets approval_state with the state it lost to.
 */
export async function advance(
  tx: Tx,
  fx: CommandEffects,
  p: DeviceActor,
  now: number,
  r: RequestRow,
  from: StoredApprovalState[],
  set: RequestChange & { state: StoredApprovalState },
): Promise<RequestRow> {
  requireState(r, from, now);
  if (!(await moveRequest(tx, r.id, from, now, set))) {
    const current = await loadRequest(tx, p, r.id);
    throw wrongState(stateOf(current, now));
  }
  await announce(tx, fx, p, now, { requestId: r.id, deviceId: r.device_id, state: set.state });
  return { ...r, ...set, updated_at: now };
}

/** Declines an open request (the device that asked cancels it; another device declines it), audited. */
async function declineOpen(tx: Tx, fx: CommandEffects, p: DeviceActor, now: number, r: RequestRow): Promise<RequestRow> {
  const next = await advance(tx, fx, p, now, r, OPEN_STATES, { state: "declined" });
  fx.audit({
    action: "device.approval.declined",
    target: { kind: "device", id: r.device_id },
    result: "success",
    details: { requestId: r.id, cancelled: p.deviceId === r.device_id },
  });
  return next;
}

/** A device's open requests end (it asks again, or approved itself); its closed ones are dropped. */
export async function closeRequestsOf(tx: Tx, fx: CommandEffects, p: DeviceActor, now: number): Promise<void> {
  const earlier = await requestsOfDevice(tx, p.orgId, p.userId, p.deviceId);
  await deleteRequests(
    tx,
    earlier.filter((r) => !isOpen(r, now)).map((r) => r.id),
  );
  for (const r of earlier) if (isOpen(r, now)) await declineOpen(tx, fx, p, now, r);
}

/** POST /me/approval-requests: the calling device asks the user's other devices for approval. */
export async function createApprovalRequest(deps: Deps, p: DeviceActor, commitment: string): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.createApprovalRequest", async (tx, fx) => {
    // Without a locker the user has no identity key yet, so no device could approve this one.
    if (!(await findLocker(tx, p.orgId, p.userId))) throw notFound("key locker (no device can approve yet)");
    if (await findApproval(tx, p.orgId, p.deviceId)) throw new AppError("already_approved", "this device is already approved");
    const device = await getUserDevice(tx, p.orgId, p.userId, p.deviceId);
    if (!device) throw notFound("device");
    const now = deps.now();
    await closeRequestsOf(tx, fx, p, now);
    const r: RequestRow = {
      id: newId("apr"),
      org_id: p.orgId,
      user_id: p.userId,
      device_id: p.deviceId,
      commitment: fromBase64(commitment),
      approver_device_id: null,
      approver_key: null,
      device_key: null,
      sealed: null,
      state: "pending",
      created_at: now,
      updated_at: now,
      expires_at: now + APPROVAL_LIMITS.ttlMs,
      device_name: device.name,
    };
    const { device_name, ...row } = r;
    await insertRequest(tx, row);
    const data = { requestId: r.id, deviceId: p.deviceId, deviceName: device_name };
    await appendUserStream(tx, fx, { orgId: p.orgId, userId: p.userId, kind: "approval.requested", data, now });
    fx.audit({ action: "device.approval.requested", target: { kind: "device", id: p.deviceId }, result: "success", details: { requestId: r.id } });
    return toApprovalRequest(r, p, now);
  });
}

/** GET /me/approval-requests: the open requests of the caller's user. */
export async function listApprovalRequests(deps: Deps, p: DeviceActor): Promise<{ requests: ApprovalRequest[] }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const now = deps.now();
  const rows = await openRequests(deps.db, p.orgId, p.userId, now);
  return { requests: rows.map((r) => toApprovalRequest(r, p, now)) };
}

/** GET /me/approval-requests/:id. */
export async function getApprovalRequest(deps: Deps, p: DeviceActor, id: string): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return toApprovalRequest(await loadRequest(deps.db, p, id), p, deps.now());
}

/** POST /me/approval-requests/:id/accept: an approved device of the user takes the request. */
export async function acceptApprovalRequest(deps: Deps, p: DeviceActor, id: string, publicKey: string): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.acceptApprovalRequest", async (tx, fx) => {
    const now = deps.now();
    const r = await loadRequest(tx, p, id);
    if (r.device_id === p.deviceId) throw new AppError("forbidden", "a device cannot accept its own approval request");
    if (!(await findApproval(tx, p.orgId, p.deviceId))) {
      throw new AppError("not_approved", "only an approved device can approve another (approve this one first, e.g. with the recovery key)");
    }
    const next = await advance(tx, fx, p, now, r, ["pending"], { state: "accepted", approver_device_id: p.deviceId, approver_key: fromBase64(publicKey) });
    return toApprovalRequest(next, p, now);
  });
}

/** POST /me/approval-requests/:id/reveal: the device that asked reveals its ephemeral key. */
export async function revealApprovalKey(deps: Deps, p: DeviceActor, id: string, publicKey: string): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.revealApprovalKey", async (tx, fx) => {
    const now = deps.now();
    const r = await loadRequest(tx, p, id);
    if (r.device_id !== p.deviceId) throw new AppError("forbidden", "only the device that asked reveals its key");
    const next = await advance(tx, fx, p, now, r, ["accepted"], { state: "revealed", device_key: fromBase64(publicKey) });
    return toApprovalRequest(next, p, now);
  });
}

/** POST /me/approval-requests/:id/decline: any device of the user ends an open request. */
export async function declineApprovalRequest(deps: Deps, p: DeviceActor, id: string): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.declineApprovalRequest", async (tx, fx) => {
    const now = deps.now();
    const next = await declineOpen(tx, fx, p, now, await loadRequest(tx, p, id));
    return toApprovalRequest(next, p, now);
  });
}
