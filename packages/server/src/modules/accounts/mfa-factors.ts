/**
 * Second factors: the parts sign-in (login.ts) and their management (mfa.ts) share.
 * Authenticator apps (TOTP, RFC 6238 via otplib): the secret is sealed through
 * platform/kms, a code is accepted once (the last accepted time step is kept and only a
 * later one passes, a conditional update deciding between two racing requests).
 * Recovery codes: ten, stored as SHA-256 hashes (they carry 50 random bits). Every
 * attempt counts against a per-user throttle.
 */
import crypto from "node:crypto";
import { verify } from "otplib";
import type { MfaChallenge } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, badRequest } from "../../core/errors.ts";
import { hashSecret, newId, newSecret } from "../../platform/ids.ts";
import { mfaPolicyOf, mfaDeadline } from "./mfa-policy.ts";

const CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong codes a sign-in challenge allows. */
export const CHALLENGE_ATTEMPTS = 5;
const RECOVERY_CODES = 10;
/** Codes one step (30 s) either side of now are accepted: clocks drift. */
const TOLERANCE_SECONDS = 30;

export const sealContext = (userId: string) => `totp:${userId}`;
const mfaInvalid = () => new AppError("mfa_invalid", "that code is wrong or was already used; wait for the next code");

export async function mfaRow(q: Db | Tx, userId: string) {
  return q.selectFrom("user_mfa").selectAll().where("user_id", "=", userId).executeTakeFirst();
}

/** Whether the user has a second factor: a confirmed authenticator app or a passkey. */
export async function hasSecondFactor(q: Db | Tx, userId: string): Promise<boolean> {
  return (await secondFactorsOf(q, userId)).length > 0;
}

/** The second factors a sign-in of the user may use. */
async function secondFactorsOf(q: Db | Tx, userId: string): Promise<MfaChallenge["methods"]> {
  const [row, passkey, codes] = await Promise.all([
    mfaRow(q, userId),
    q.selectFrom("passkeys").select("id").where("user_id", "=", userId).limit(1).executeTakeFirst(),
    q.selectFrom("mfa_recovery_codes").select("code_hash").where("user_id", "=", userId).where("used_at", "is", null).limit(1).executeTakeFirst(),
  ]);
  const methods: MfaChallenge["methods"] = [];
  if (row?.totp_enabled_at) methods.push("totp");
  if (passkey) methods.push("passkey");
  if (methods.length && codes) methods.push("recovery_code");
  return methods;
}

/** The restriction a new session of `user` gets: enrolment only, when the org requires MFA of them and their grace is over. */
export async function mfaRestriction(tx: Tx, deps: Deps, user: UsersTable): Promise<"mfa_enrollment" | null> {
  if (await hasSecondFactor(tx, user.id)) return null;
  const deadline = mfaDeadline(await mfaPolicyOf(tx, user.org_id), user);
  return deadline !== null && deadline <= deps.now() ? "mfa_enrollment" : null;
}

/** Count an attempt against the user's MFA throttle (10 per 15 minutes; a success gives it back). */
export async function throttled<T>(deps: Deps, userId: string, attempt: () => Promise<T>): Promise<T> {
  await deps.limits.mfa.consume(userId);
  const out = await attempt();
  await deps.limits.mfa.refund(userId);
  return out;
}

/** Check a TOTP code against the confirmed secret and consume its time step (inside `tx`). */
export async function useTotpCode(tx: Tx, deps: Deps, userId: string, code: string, which: "confirmed" | "pending" = "confirmed"): Promise<number> {
  const row = await mfaRow(tx, userId);
  const sealed = which === "confirmed" ? row?.totp_secret : row?.pending_secret;
  if (!row || !sealed) throw badRequest(which === "confirmed" ? "no authenticator app is set up" : "start enrolling first");
  const secret = new TextDecoder().decode(await deps.kms.open(sealed, sealContext(userId), { orgId: row.org_id, db: tx }));
  const last = row.totp_last_step === null ? undefined : Number(row.totp_last_step);
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(deps.now() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(last !== undefined && which === "confirmed" ? { afterTimeStep: last } : {}),
  });
  if (!result.valid || !("timeStep" in result)) throw mfaInvalid();
  const step = result.timeStep;
  // The arbiter between two requests with one code: only one moves the step forward.
  const moved = await tx
    .updateTable("user_mfa")
    .set({ totp_last_step: step })
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw mfaInvalid();
  return step;
}

/** Normalised form of a recovery code: lowercase, no dashes or spaces. */
const foldCode = (c: string) => c.toLowerCase().replace(/[\s-]/g, "");

/** Use a recovery code (inside `tx`); mfa_invalid if unknown or used. */
export async function useRecoveryCode(tx: Tx, deps: Deps, userId: string, code: string): Promise<number> {
  const r = await tx
    .updateTable("mfa_recovery_codes")
    .set({ used_at: deps.now() })
    .where("code_hash", "=", hashSecret(foldCode(code)))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw mfaInvalid();
  const left = await tx
    .selectFrom("mfa_recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(left.n);
}

/** Ten fresh recovery codes (`xxxxx-xxxxx`, base32); the old ones stop working. */
export async function newRecoveryCodes(tx: Tx, deps: Deps, user: { id: string; org_id: string }): Promise<string[]> {
  await tx.deleteFrom("mfa_recovery_codes").where("user_id", "=", user.id).execute();
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const chars = Array.from(crypto.randomBytes(10), (b) => alphabet[b % alphabet.length]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  const now = deps.now();
  await tx
    .insertInto("mfa_recovery_codes")
    .values(codes.map((c) => ({ code_hash: hashSecret(foldCode(c)), user_id: user.id, org_id: user.org_id, created_at: now, used_at: null })))
    .execute();
  return codes;
}

/** Start the second step of a sign-in whose password was right. */
export async function createMfaChallenge(
  deps: Deps,
  a: { orgId: string; userId: string; deviceId: string | undefined; deviceName: string | undefined },
): Promise<MfaChallenge> {
  const token = newSecret();
  const now = deps.now();
  const expiresAt = now + CHALLENGE_TTL_MS;
  const methods = await secondFactorsOf(deps.db, a.userId);
  await runCommand(deps, null, "accounts.mfaChallenge", async (tx) => {
    await tx
      .insertInto("mfa_challenges")
      .values({
        id: newId("mfc"),
        token_hash: hashSecret(token),
        org_id: a.orgId,
        user_id: a.userId,
        device_id: a.deviceId ?? null,
        device_name: a.deviceName ?? null,
        attempts: 0,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
  });
  return { mfaToken: token, methods, expiresAt };
}
