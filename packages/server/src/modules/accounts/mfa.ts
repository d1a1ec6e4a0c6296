/**
 * Multi-factor authentication, the user's side: enrol an authenticator app (TOTP) with a
 * QR code, confirm it with a code (which issues ten one-time recovery codes), replace the
 * codes, turn it off; and an admin's reset for a user who lost both. Sign-in with a second
 * factor is in login.ts; the org's policy in mfa-policy.ts; the shared parts in
 * mfa-factors.ts.
 */
import { generateSecret, generateURI } from "otplib";
import { renderSVG } from "uqr";
import type { MfaStatus } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { actingUserId } from "../../core/actor.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { reauthenticate } from "./reauth.ts";
import { revokeSessions } from "./sessions.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { mails, queueMail } from "./mail.ts";
import { mfaPolicyOf, mfaDeadline } from "./mfa-policy.ts";
import { hasSecondFactor, mfaRow, newRecoveryCodes, sealContext, throttled, useTotpCode } from "./mfa-factors.ts";

// ---- the user's own factors -------------------------------------------------------

export async function getMfaStatus(deps: Deps, p: DeviceActor): Promise<MfaStatus> {
  const [row, user, policy] = await Promise.all([mfaRow(deps.db, p.userId), getUserInOrg(deps.db, p.orgId, p.userId), mfaPolicyOf(deps.db, p.orgId)]);
  if (!user) throw notFound("user");
  const left = await deps.db
    .selectFrom("mfa_recovery_codes")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("user_id", "=", p.userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  const enabled = Boolean(row?.totp_enabled_at);
  const deadline = mfaDeadline(policy, user);
  // A passkey is a second factor too: nothing to enrol by then.
  const anyFactor = enabled || (await hasSecondFactor(deps.db, p.userId));
  return {
    totp: { enabled, enabledAt: row?.totp_enabled_at ? Number(row.totp_enabled_at) : null },
    recoveryCodesLeft: Number(left.n),
    required: deadline !== null,
    enrollBy: anyFactor ? null : deadline,
  };
}

/** Start enrolling: a new (pending) secret. */
export async function startTotp(
  deps: Deps,
  p: DeviceActor,
  ip: string,
  currentPassword: string,
): Promise<{ secret: string; otpauthUri: string; qrSvg: string }> {
  const { user, org } = await reauthenticate(deps, p, ip, currentPassword, "mfa.enrol");
  if ((await mfaRow(deps.db, p.userId))?.totp_enabled_at) throw badRequest("an authenticator app is already set up; turn it off first to replace it");
  const secret = generateSecret();
  const sealed = await deps.kms.seal(new TextEncoder().encode(secret), sealContext(p.userId), { orgId: p.orgId });
  const now = deps.now();
  await runCommand(deps, p, "accounts.startTotp", async (tx) => {
    await tx
      .insertInto("user_mfa")
      .values({ user_id: p.userId, org_id: p.orgId, totp_secret: null, totp_enabled_at: null, totp_last_step: null, pending_secret: sealed, pending_at: now })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ pending_secret: sealed, pending_at: now }))
      .execute();
  });
  const otpauthUri = generateURI({ issuer: `Parley (${org.name})`, label: `${user.username}@${org.slug}`, secret });
  return { secret, otpauthUri, qrSvg: renderSVG(otpauthUri) };
}

/** Finish enrolling with a code from the app: MFA is on, recovery codes are issued, enrolment restrictions lift. */
export async function confirmTotp(deps: Deps, p: DeviceActor, code: string): Promise<{ recoveryCodes: string[] }> {
  return throttled(deps, p.userId, () =>
    runCommand(deps, p, "accounts.confirmTotp", async (tx, fx) => {
      const row = await mfaRow(tx, p.userId);
      if (row?.totp_enabled_at) throw badRequest("an authenticator app is already set up");
      if (!row?.pending_secret || Number(row.pending_at) + 15 * 60_000 <= deps.now()) throw badRequest("start enrolling first (it expires after 15 minutes)");
      await useTotpCode(tx, deps, p.userId, code, "pending");
      await tx
        .updateTable("user_mfa")
        .set({ totp_secret: row.pending_secret, totp_enabled_at: deps.now(), pending_secret: null, pending_at: null })
        .where("user_id", "=", p.userId)
        .execute();
      const user = await getUserInOrg(tx, p.orgId, p.userId);
      if (!user) throw notFound("user");
      const recoveryCodes = await newRecoveryCodes(tx, deps, user);
      await tx.updateTable("sessions").set({ restriction: null }).where("user_id", "=", p.userId).where("restriction", "is not", null).execute();
      fx.audit({ action: "mfa.totp.enabled", target: { kind: "user", id: p.userId }, result: "success" });
      await notify(tx, deps, fx, user, "enabled");
      return { recoveryCodes };
    }),
  );
}

/** Turn the authenticator off (password and a code; not while the org requires MFA of the user). */
export async function disableTotp(deps: Deps, p: DeviceActor, ip: string, input: { currentPassword: string; code: string }): Promise<void> {
  const { user } = await reauthenticate(deps, p, ip, input.currentPassword, "mfa.disable");
  if (mfaDeadline(await mfaPolicyOf(deps.db, p.orgId), user) !== null) {
    throw new AppError("forbidden", "your organisation requires multi-factor authentication, so it cannot be turned off");
  }
  await throttled(deps, p.userId, () =>
    runCommand(deps, p, "accounts.disableTotp", async (tx, fx) => {
      await useTotpCode(tx, deps, p.userId, input.code);
      await removeFactors(tx, p.userId);
      fx.audit({ action: "mfa.totp.disabled", target: { kind: "user", id: p.userId }, result: "success" });
      await notify(tx, deps, fx, user, "disabled");
    }),
  );
}

export async function regenerateRecoveryCodes(deps: Deps, p: DeviceActor, code: string): Promise<{ recoveryCodes: string[] }> {
  return throttled(deps, p.userId, () =>
    runCommand(deps, p, "accounts.regenerateRecoveryCodes", async (tx, fx) => {
      await useTotpCode(tx, deps, p.userId, code);
      const user = await getUserInOrg(tx, p.orgId, p.userId);
      if (!user) throw notFound("user");
      const recoveryCodes = await newRecoveryCodes(tx, deps, user);
      fx.audit({ action: "mfa.recovery_codes.regenerated", target: { kind: "user", id: p.userId }, result: "success" });
      await notify(tx, deps, fx, user, "recovery_codes_regenerated");
      return { recoveryCodes };
    }),
  );
}

/** An admin removes a user's factors (lost phone and codes): every session of the user ends. */
export async function adminResetMfa(deps: Deps, p: Actor, userId: string): Promise<void> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  if (userId === actingUserId(p)) throw badRequest("turn off your own authenticator under your profile");
  await runCommand(deps, p, "accounts.adminResetMfa", async (tx, fx) => {
    const user = await getUserInOrg(tx, p.orgId, userId);
    if (!user) throw notFound("user");
    if (user.role === "owner" || user.role === "admin") authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
    await removeFactors(tx, user.id);
    await tx.deleteFrom("passkeys").where("user_id", "=", user.id).execute();
    await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: user.id, all: true }, "mfa_reset_by_admin");
    fx.audit({ action: "user.mfa.reset", target: { kind: "user", id: user.id }, result: "success" });
    await notify(tx, deps, fx, user, "reset_by_admin");
  });
}

async function removeFactors(tx: Tx, userId: string): Promise<void> {
  await tx.deleteFrom("mfa_recovery_codes").where("user_id", "=", userId).execute();
  await tx.deleteFrom("user_mfa").where("user_id", "=", userId).execute();
}

async function notify(tx: Tx, deps: Deps, fx: CommandEffects, user: UsersTable, change: Parameters<typeof mails.mfaChanged>[1]["change"]): Promise<void> {
  if (!user.email) return;
  const org = await getOrg(tx, user.org_id);
  await queueMail(deps, fx, mails.mfaChanged(user.email, { orgName: org.name, username: user.username, change }));
}
