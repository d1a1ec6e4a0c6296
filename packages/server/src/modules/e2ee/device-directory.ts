/**
 * The device directory: a device registers its MLS signature key once; the
 * server signs (org, user, device, key) with its directory key. Clients
 * refuse MLS leaves without a valid binding of an active device.
 */
import crypto from "node:crypto";
import { parseCredentialIdentity, signBinding } from "@parley/crypto/public";
import type { DeviceBinding, E2eeSuite } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import type { DeviceBindingsTable } from "../../platform/db/tables.ts";
import { serverMlsKeys } from "../../platform/kms/index.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { runCommand } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { activeBindings, getBinding, insertBinding, usersInOrg } from "./store.ts";
import { activeDirectoryKeyId, DIRECTORY_RESIGN_JOB } from "./directory-keys.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

export function toBinding(r: DeviceBindingsTable): DeviceBinding {
  return {
    orgId: r.org_id,
    userId: r.user_id,
    deviceId: r.device_id,
    suite: r.suite,
    signaturePublicKey: b64(r.signature_key),
    signature: b64(r.signature),
    createdAt: Number(r.created_at),
  };
}

/** PUT /e2ee/device-identity: bind the caller's device to its MLS signature key. */
export async function putDeviceIdentity(
  deps: Deps,
  p: DeviceActor,
  input: { suite: E2eeSuite; signaturePublicKey: string; credential: string },
): Promise<DeviceBinding> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const key = new Uint8Array(Buffer.from(input.signaturePublicKey, "base64"));
  if (key.length !== 32) throw badRequest("signaturePublicKey must be an Ed25519 public key (32 bytes)");
  let identity;
  try {
    identity = parseCredentialIdentity(new Uint8Array(Buffer.from(input.credential, "base64")));
  } catch (err) {
    throw badRequest(`credential is not a Parley device credential: ${(err as Error).message}`);
  }
  if (identity.kind !== "device" || identity.orgId !== p.orgId || identity.userId !== p.userId || identity.deviceId !== p.deviceId) {
    throw badRequest("the credential must name your own org, user and calling device", { reason: "credential_mismatch" });
  }
  const existing = await getBinding(deps.db, p.orgId, p.deviceId);
  if (existing) return sameOrConflict(existing, key);
  const { directory } = await serverMlsKeys(deps);
  const signed = signBinding(directory.privateKey, { orgId: p.orgId, userId: p.userId, deviceId: p.deviceId, signaturePublicKey: key });
  const row: DeviceBindingsTable = {
    device_id: p.deviceId,
    org_id: p.orgId,
    user_id: p.userId,
    suite: input.suite,
    signature_key: key,
    signature: signed.signature,
    signed_by: directory.id,
    created_at: deps.now(),
    low_warned_at: null,
  };
  try {
    await runCommand(deps, p, "e2ee.putDeviceIdentity", async (tx, fx) => {
      await insertBinding(tx, row);
      // Signed with a key a rotation already retired (this node had not re-read its keys yet):
      // the re-signing job runs again for it.
      const active = await activeDirectoryKeyId(tx);
      if (active && active !== directory.id) await fx.job(DIRECTORY_RESIGN_JOB, { keyId: active }, { runAt: deps.now() + 5_000 });
      fx.audit({ action: "e2ee.device.registered", target: { kind: "device", id: p.deviceId }, result: "success", details: { suite: input.suite } });
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // A concurrent registration of the same device won: answer as if it came first.
    const raced = await getBinding(deps.db, p.orgId, p.deviceId);
    if (!raced) throw err;
    return sameOrConflict(raced, key);
  }
  deps.log.info({ module: "e2ee", orgId: p.orgId, userId: p.userId, deviceId: p.deviceId }, "device identity bound");
  return toBinding(row);
}

function sameOrConflict(existing: DeviceBindingsTable, key: Uint8Array): DeviceBinding {
  const stored = new Uint8Array(existing.signature_key);
  if (stored.length === key.length && crypto.timingSafeEqual(stored, key)) return toBinding(existing);
  throw new AppError("already_exists", "this device already has a different MLS signature key; device identities are immutable (register a new device)");
}

/**
 * GET /e2ee/bindings: bindings of active devices (with `includeRevoked`, of revoked
 * devices and deactivated users too: what verifies their old archive copies). Naming a
 * user of another org (or an unknown one) is 404, like every lookup across orgs; unknown
 * device ids simply have no binding.
 */
export async function listBindings(
  deps: Deps,
  p: DeviceActor,
  q: { userIds?: string[]; deviceIds?: string[]; includeRevoked?: "true" | "false" },
): Promise<DeviceBinding[]> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const filter = !q.userIds && !q.deviceIds ? { userIds: [p.userId] } : { userIds: q.userIds, deviceIds: q.deviceIds };
  if (filter.userIds) {
    const unique = [...new Set(filter.userIds)];
    const known = await usersInOrg(deps.db, p.orgId, unique);
    if (known.size !== unique.length) throw notFound("user");
  }
  return (await activeBindings(deps.db, p.orgId, filter, { includeRevoked: q.includeRevoked === "true" })).map(toBinding);
}
