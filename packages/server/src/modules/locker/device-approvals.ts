/**
 * Device approvals (ADR 0007, cross-signing): the user identity key's signature over a device
 * and its MLS signature key, as the directory binds it. The server checks each approval against
 * the user's identity key before storing it — from the device that accepted a request (it also
 * hands the new device the sealed keys) or from a device approving itself (it holds the identity
 * key: the first device, or one restored with the recovery key) — and serves them with the
 * identity key; clients check them again.
 */
import { verifyDeviceApproval } from "@parley/crypto/public";
import type { ApprovalRequest } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { fromBase64 } from "../../core/base64.ts";
import { authorize } from "../access/authorize.ts";
import { activeBindings } from "../e2ee/store.ts";
import { findLocker } from "./store.ts";
import { findApproval, upsertApproval } from "./approval-store.ts";
import { advance, announce, closeRequestsOf, loadRequest, requireState, toApprovalRequest } from "./approval-requests.ts";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Throws approval_invalid unless `signature` is the user identity key's approval of `deviceId`
 * (of the caller's user, not revoked) with the MLS signature key its directory binding names.
 */
async function checkApproval(tx: Tx, p: DeviceActor, deviceId: string, signature: Uint8Array): Promise<void> {
  const locker = await findLocker(tx, p.orgId, p.userId);
  // No locker, no identity key: nothing could have signed an approval yet.
  if (!locker) throw notFound("key locker");
  const [binding] = await activeBindings(tx, p.orgId, { userIds: [p.userId], deviceIds: [deviceId] });
  if (!binding) {
    throw new AppError(
      "approval_invalid",
      "the device has no MLS signature key in the directory: it registers one (putDeviceIdentity) before it can be approved",
      {
        reason: "no_binding",
      },
    );
  }
  const fields = { orgId: p.orgId, userId: p.userId, deviceId, deviceSignaturePublicKey: new Uint8Array(binding.signature_key) };
  if (!verifyDeviceApproval(new Uint8Array(locker.identity_key), { ...fields, signature }, fields)) {
    throw new AppError("approval_invalid", "the approval does not verify with your identity key over this device and its MLS signature key", {
      reason: "bad_signature",
    });
  }
}

/** POST /me/approval-requests/:id/complete: the accepting device stores the sealed keys and the checked approval, in one transaction. */
export async function completeApprovalRequest(deps: Deps, p: DeviceActor, id: string, input: { sealed: string; signature: string }): Promise<ApprovalRequest> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "locker.completeApprovalRequest", async (tx, fx) => {
    const now = deps.now();
    const r = await loadRequest(tx, p, id);
    if (r.approver_device_id !== p.deviceId) throw new AppError("forbidden", "only the device that accepted the request completes it");
    requireState(r, ["revealed"], now);
    const signature = fromBase64(input.signature);
    await checkApproval(tx, p, r.device_id, signature);
    const next = await advance(tx, fx, p, now, r, ["revealed"], { state: "approved", sealed: fromBase64(input.sealed) });
    await upsertApproval(tx, { device_id: r.device_id, org_id: p.orgId, user_id: p.userId, signature, approved_by: p.deviceId, created_at: now });
    fx.audit({ action: "device.approved", target: { kind: "device", id: r.device_id }, result: "success", details: { by: p.deviceId, requestId: r.id } });
    return toApprovalRequest(next, p, now);
  });
}

/** PUT /me/approval: the calling device stores its own approval (it holds the identity key). */
export async function approveOwnDevice(deps: Deps, p: DeviceActor, input: { signature: string }): Promise<{ deviceId: string; approved: true }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const signature = fromBase64(input.signature);
  await runCommand(deps, p, "locker.approveOwnDevice", async (tx, fx) => {
    await checkApproval(tx, p, p.deviceId, signature);
    // Ed25519 signatures are deterministic: the same approval again changes nothing and records nothing.
    const existing = await findApproval(tx, p.orgId, p.deviceId);
    if (existing && same(existing.signature, signature)) return;
    const now = deps.now();
    await upsertApproval(tx, { device_id: p.deviceId, org_id: p.orgId, user_id: p.userId, signature, approved_by: null, created_at: now });
    // An approved device needs no hand-off: its open requests end, and the other devices' dialogs with them.
    await closeRequestsOf(tx, fx, p, now);
    await announce(tx, fx, p, now, { requestId: null, deviceId: p.deviceId, state: "approved" });
    fx.audit({ action: "device.approved", target: { kind: "device", id: p.deviceId }, result: "success", details: { by: "self" } });
  });
  return { deviceId: p.deviceId, approved: true };
}
