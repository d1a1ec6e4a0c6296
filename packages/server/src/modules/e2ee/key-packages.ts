/**
 * The KeyPackage directory (RFC 9750 §5.1): devices upload batches of
 * one-time KeyPackages plus a last-resort one; a claim hands out one per
 * device, atomically; the device is warned on its user stream when low.
 *
 * KeyPackages are per suite: a device identity (one Ed25519 key, one binding)
 * serves every suite, and when an org switches suite its devices upload
 * KeyPackages of the new one while groups created before keep theirs. A claim
 * names the suite of the group being built; the low-water warning watches the
 * org's current suite only (old-suite ones are left to be claimed or expire).
 */
import crypto from "node:crypto";
import { isE2eeError, parseKeyPackage, type KeyPackageInfo } from "@parley/crypto/public";
import type { ClaimedKeyPackage, E2eeSuite, KeyPackageCount, KeyPackageUpload } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { KeyPackagesTable } from "../../platform/db/tables.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { runCommand, type AfterCommit } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import { authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { toBinding } from "./device-directory.ts";
import {
  activeBindings,
  clearLowWarned,
  deleteLastResort,
  getBinding,
  insertKeyPackages,
  keyPackageSupply,
  lastResortOf,
  markLowWarned,
  orgSuite,
  takeOneTime,
  usersInOrg,
  type Suite,
} from "./store.ts";

const seconds = (ms: number) => Math.floor(ms / 1000);

function invalid(index: number, reason: string, message: string): AppError {
  return new AppError("key_package_invalid", `keyPackages[${index}]: ${message}; nothing was stored`, { index, reason });
}

/** POST /e2ee/key-packages: every KeyPackage is checked before any is stored. */
export async function uploadKeyPackages(deps: Deps, p: DeviceActor, uploads: KeyPackageUpload[]): Promise<KeyPackageCount & { stored: number }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const binding = await getBinding(deps.db, p.orgId, p.deviceId);
  if (!binding) throw badRequest("register this device's MLS identity first (PUT /e2ee/device-identity)", { reason: "no_device_identity" });
  const now = deps.now();
  const rows: KeyPackagesTable[] = [];
  const boundKey = new Uint8Array(binding.signature_key);
  for (const [i, u] of uploads.entries()) {
    let info: KeyPackageInfo;
    try {
      info = await parseKeyPackage(new Uint8Array(Buffer.from(u.data, "base64")));
    } catch (err) {
      if (isE2eeError(err)) throw invalid(i, err.code === "invalid_message" ? "bad_signature" : "malformed", err.message);
      throw invalid(i, "malformed", "not an MLS KeyPackage");
    }
    const id = info.identity;
    if (id.kind !== "device" || id.orgId !== p.orgId || id.userId !== p.userId || id.deviceId !== p.deviceId) {
      throw invalid(i, "credential_mismatch", "its credential does not name the calling device");
    }
    if (info.signaturePublicKey.length !== boundKey.length || !crypto.timingSafeEqual(info.signaturePublicKey, boundKey)) {
      throw invalid(i, "signature_key_mismatch", "its signature key is not the device's directory binding");
    }
    // parseKeyPackage refuses suites Parley does not offer; either offered suite is fine.
    const suite = info.suite;
    if (!suite) throw invalid(i, "wrong_suite", "it is for a cipher suite Parley does not offer");
    if (Number(info.notAfter) <= seconds(now)) throw invalid(i, "expired", "it has expired");
    rows.push({
      ref: info.refHex,
      org_id: p.orgId,
      user_id: p.userId,
      device_id: p.deviceId,
      suite,
      data: new Uint8Array(Buffer.from(u.data, "base64")),
      last_resort: u.lastResort ? 1 : 0,
      not_after: Number(info.notAfter),
      created_at: now,
    });
  }
  const lastResortSuites = rows.filter((r) => r.last_resort === 1).map((r) => r.suite);
  if (new Set(lastResortSuites).size !== lastResortSuites.length) throw badRequest("at most one last-resort KeyPackage per suite per upload");
  const current = await orgSuite(deps.db, p.orgId);
  return runCommand(deps, p, "e2ee.uploadKeyPackages", async (tx, fx) => {
    // A new last-resort KeyPackage replaces the old one of its suite (the device keeps only the newest private half).
    for (const suite of lastResortSuites) await deleteLastResort(tx, p.deviceId, suite);
    const stored = await insertKeyPackages(tx, rows);
    fx.audit({
      action: "e2ee.keypackages.uploaded",
      target: { kind: "device", id: p.deviceId },
      result: "success",
      details: { count: rows.length, lastResort: lastResortSuites.length },
    });
    const count = await countOf(deps, tx, p.deviceId, current);
    if (count.available >= deps.config.keyPackageLowWater) await clearLowWarned(tx, p.deviceId);
    return { stored, ...count };
  });
}

async function countOf(deps: Deps, q: Tx | Deps["db"], deviceId: string, current: Suite): Promise<KeyPackageCount> {
  const suites = await keyPackageSupply(q, deviceId, seconds(deps.now()));
  return { suite: current, ...suites[current], lowWater: deps.config.keyPackageLowWater, suites };
}

/** GET /e2ee/key-packages/count for the calling device: the org's current suite, and per suite. */
export async function countKeyPackages(deps: Deps, p: DeviceActor): Promise<KeyPackageCount> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return countOf(deps, deps.db, p.deviceId, await orgSuite(deps.db, p.orgId));
}

/**
 * POST /e2ee/key-packages/claim: one KeyPackage of `suite` (the group's; default
 * the org's current suite) per active, bound device of the users (minus `exclude`),
 * in one transaction: one-time ones are deleted as they are handed out, the
 * last-resort one is reused only when none is left.
 */
export async function claimKeyPackages(
  deps: Deps,
  p: DeviceActor,
  input: { userIds: string[]; exclude?: string[]; suite?: E2eeSuite },
): Promise<{ keyPackages: ClaimedKeyPackage[]; missing: Array<{ userId: string; deviceId: string }> }> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  const userIds = [...new Set(input.userIds)];
  // Another org's (or an unknown) user is not found: nothing is claimed.
  if ((await usersInOrg(deps.db, p.orgId, userIds)).size !== userIds.length) throw notFound("user");
  const exclude = new Set(input.exclude ?? []);
  const nowSec = seconds(deps.now());
  const current = await orgSuite(deps.db, p.orgId);
  const suite = input.suite ?? current;
  // Only the current suite's supply is watched: devices do not refill an old suite.
  const watch = suite === current;
  return runCommand(deps, p, "e2ee.claimKeyPackages", async (tx, after) => {
    const bindings = (await activeBindings(tx, p.orgId, { userIds })).filter((b) => !exclude.has(b.device_id));
    const keyPackages: ClaimedKeyPackage[] = [];
    const missing: Array<{ userId: string; deviceId: string }> = [];
    for (const b of bindings) {
      const oneTime = await takeOneTime(tx, b.device_id, suite, nowSec);
      const kp = oneTime ?? (await lastResortOf(tx, b.device_id, suite, nowSec));
      if (watch) await warnIfLow(deps, tx, after, b.org_id, b.user_id, b.device_id, suite, nowSec);
      if (!kp) {
        missing.push({ userId: b.user_id, deviceId: b.device_id });
        continue;
      }
      keyPackages.push({
        userId: b.user_id,
        deviceId: b.device_id,
        keyPackage: Buffer.from(kp.data).toString("base64"),
        suite,
        lastResort: Number(kp.last_resort) === 1,
        binding: toBinding(b),
      });
    }
    after.audit({
      action: "e2ee.keypackages.claimed",
      target: { kind: "org", id: p.orgId },
      result: "success",
      details: { suite, claimed: keyPackages.length, missing: missing.length, users: userIds.length },
    });
    return { keyPackages, missing };
  });
}

/**
 * Posts keypackages.low { deviceId, available, suite } once per drop of the current
 * suite's supply below the low-water mark (re-armed by an upload that refills it,
 * or by a suite switch).
 */
async function warnIfLow(deps: Deps, tx: Tx, after: AfterCommit, orgId: string, userId: string, deviceId: string, suite: Suite, nowSec: number): Promise<void> {
  const { available } = (await keyPackageSupply(tx, deviceId, nowSec))[suite];
  if (available >= deps.config.keyPackageLowWater) return;
  if (!(await markLowWarned(tx, deviceId, deps.now()))) return;
  await appendUserStream(tx, after, { orgId, userId, kind: "keypackages.low", data: { deviceId, available, suite }, now: deps.now() });
}
