/**
 * A user's key locker (ADR 0007): the locker public key devices seal history keys to, the
 * user identity public key that signs device approvals, and the recovery blob (both private
 * keys under the user's recovery key). The server stores them and opens nothing. The keys
 * are fixed once set (rotation is a later slice); the recovery blob may be replaced
 * ("change recovery key").
 */
import type { Locker, RouteResponse, Routes } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { fromBase64, toBase64 } from "../../core/base64.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { authorize } from "../access/authorize.ts";
import { findLocker, insertLocker, replaceRecoveryBlob, type LockerRow } from "./store.ts";
import { approvalsOfActiveDevices } from "./approval-store.ts";

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

function toLocker(r: LockerRow): Locker {
  return {
    publicKey: toBase64(r.public_key),
    identityKey: toBase64(r.identity_key),
    recoveryBlob: toBase64(r.recovery_blob),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** GET /me/locker. */
export async function getLocker(deps: Deps, p: DeviceActor): Promise<Locker> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const row = await findLocker(deps.db, p.orgId, p.userId);
  if (!row) throw notFound("key locker");
  return toLocker(row);
}

/** PUT /me/locker: first setup, or the same keys with a (possibly new) recovery blob. */
export async function putLocker(deps: Deps, p: DeviceActor, input: { publicKey: string; identityKey: string; recoveryBlob: string }): Promise<Locker> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const want = { public_key: fromBase64(input.publicKey), identity_key: fromBase64(input.identityKey), recovery_blob: fromBase64(input.recoveryBlob) };
  const put = () =>
    runCommand(deps, p, "locker.put", async (tx, fx) => {
      const now = deps.now();
      const existing = await findLocker(tx, p.orgId, p.userId);
      if (!existing) {
        const row: LockerRow = { user_id: p.userId, org_id: p.orgId, ...want, created_at: now, updated_at: now };
        await insertLocker(tx, row);
        fx.audit({ action: "locker.created", target: { kind: "user", id: p.userId }, result: "success" });
        return row;
      }
      if (!same(existing.public_key, want.public_key) || !same(existing.identity_key, want.identity_key)) {
        throw new AppError(
          "locker_key_conflict",
          "your key locker already has another locker public key or identity key; replacing them is not supported yet (only the recovery blob may change)",
          { publicKey: !same(existing.public_key, want.public_key), identityKey: !same(existing.identity_key, want.identity_key) },
        );
      }
      if (same(existing.recovery_blob, want.recovery_blob)) return existing;
      await replaceRecoveryBlob(tx, p.userId, want.recovery_blob, now);
      fx.audit({ action: "locker.recovery.changed", target: { kind: "user", id: p.userId }, result: "success" });
      return { ...existing, recovery_blob: want.recovery_blob, updated_at: now };
    });
  try {
    return toLocker(await put());
  } catch (err) {
    // Two devices set the locker up at once: the loser runs again against the winner's row.
    if (!isUniqueViolation(err)) throw err;
    return toLocker(await put());
  }
}

/**
 * GET /users/:id/identity: a user's identity public key and its approvals of the user's active
 * devices, for users of the caller's org only (clients verify each approval themselves).
 */
export async function getUserIdentity(deps: Deps, p: DeviceActor, userId: string): Promise<RouteResponse<Routes["getUserIdentity"]>> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const row = await findLocker(deps.db, p.orgId, userId);
  // Another org's user, an unknown id and a user without a locker answer alike.
  if (!row) throw notFound("user identity");
  const approvals = await approvalsOfActiveDevices(deps.db, p.orgId, userId);
  return {
    userId,
    identityKey: toBase64(row.identity_key),
    approvals: approvals.map((a) => ({ deviceId: a.device_id, signature: toBase64(a.signature), createdAt: Number(a.created_at) })),
  };
}
