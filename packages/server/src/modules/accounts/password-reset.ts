/**
 * Forgotten passwords. Self-service: a reset link by email to the account named by
 * username or email. The request is answered the same whether or not the account
 * exists or has an address, and in the same time: the lookup, the link and the email
 * happen in a durable job (`accounts.password_reset`) after the answer. Admin-initiated:
 * the old password stops working, every session ends, and the link is emailed or
 * handed to the admin once. Completing a reset ends every session of the account.
 */
import type { PasswordPolicy } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import { runCommand } from "../../command.ts";
import { actingUserId, actorRef } from "../../core/actor.ts";
import { badRequest, notFound } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { hashPassword } from "./passwords.ts";
import { checkPassword, passwordPolicyOf } from "./password-policy.ts";
import { revokeSessions } from "./sessions.ts";
import { findOrgBySlug, getOrg, getUserInOrg } from "./store.ts";
import { toOrg } from "./views.ts";
import { mails, queueMail, requireMail } from "./mail.ts";
import { issueAccountToken, liveAccountToken, supersedeAccountTokens, useAccountToken } from "./account-tokens.ts";

const RESET_JOB = "accounts.password_reset";
/** The stored hash of an account whose password an admin reset: no password verifies against it. */
const NO_PASSWORD = "!reset";

/** The web app's page for a reset link; the token rides in the fragment, which browsers never send. */
const resetUrl = (deps: Deps, token: string) => `${deps.publicUrl.get()}/reset-password#token=${token}`;

/** Ask for a reset link. Always the same answer (after the throttles and the email check). */
export async function requestPasswordReset(deps: Deps, ip: string, input: { org: string; login: string }): Promise<{ accepted: true }> {
  requireMail(deps, "a password cannot be reset by email");
  const login = input.login.toLowerCase();
  await deps.limits.resetIp.consume(ip);
  await deps.limits.resetAccount.consume(`${input.org}:${login}`);
  await runCommand(deps, null, "accounts.requestPasswordReset", async (_tx, fx) => {
    await fx.job(RESET_JOB, { org: input.org, login, ip });
  });
  return { accepted: true };
}

/** The job behind requestPasswordReset: find the account, issue a link, email it. */
export function passwordResetJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    [RESET_JOB]: async (payload) => {
      const { org: slug, login, ip } = payload as { org: string; login: string; ip: string };
      const org = await findOrgBySlug(deps.db, slug);
      if (!org) return;
      const user = await deps.db
        .selectFrom("users")
        .selectAll()
        .where("org_id", "=", org.id)
        .where((eb) => eb.or([eb("username", "=", login), eb("email", "=", login)]))
        .executeTakeFirst();
      await runCommand(deps, null, "accounts.issuePasswordReset", async (tx, fx) => {
        const actor = { kind: "device" as const, id: user?.id ?? null, deviceId: null };
        const refused = !user ? "unknown_user" : user.deactivated_at !== null ? "deactivated" : !user.email ? "no_email" : undefined;
        if (refused || !user?.email) {
          // Recorded (an admin may want to know someone tried), nothing sent.
          fx.audit({
            orgId: org.id,
            actor,
            action: "auth.password.reset_requested",
            target: user ? { kind: "user", id: user.id } : null,
            result: "failure",
            details: { reason: refused ?? "no_email" },
            pii: { subject: user?.id ?? "-", data: { login, ip } },
          });
          return;
        }
        const { token, expiresAt } = await issueAccountToken(tx, {
          purpose: "password_reset",
          orgId: org.id,
          userId: user.id,
          createdBy: "self",
          now: deps.now(),
        });
        fx.audit({
          orgId: org.id,
          actor,
          action: "auth.password.reset_requested",
          target: { kind: "user", id: user.id },
          result: "success",
          details: { emailed: true },
          pii: { subject: user.id, data: { ip } },
        });
        await queueMail(
          deps,
          fx,
          mails.passwordReset(user.email, { orgName: org.name, username: user.username, url: resetUrl(deps, token), expiresAt, byAdmin: false }),
        );
      });
    },
  };
}

async function liveReset(deps: Deps, ip: string, token: string) {
  try {
    return await liveAccountToken(deps.db, token, "password_reset", deps.now());
  } catch (err) {
    // A wrong link costs the address a point: tokens are unguessable, but a flood is refused.
    await deps.limits.resetIp.consume(ip);
    throw err;
  }
}

/** What a reset link leads to, before a new password is chosen. */
export async function checkPasswordReset(
  deps: Deps,
  ip: string,
  token: string,
): Promise<{ org: ReturnType<typeof toOrg>; username: string; expiresAt: number; policy: PasswordPolicy }> {
  const row = await liveReset(deps, ip, token);
  const [org, user, policy] = await Promise.all([
    getOrg(deps.db, row.org_id),
    getUserInOrg(deps.db, row.org_id, row.user_id),
    passwordPolicyOf(deps.db, row.org_id),
  ]);
  if (!user) throw notFound("user");
  return { org: toOrg(org), username: user.username, expiresAt: Number(row.expires_at), policy };
}

/** Set a new password with a reset link: every session ends, every open reset link dies. */
export async function completePasswordReset(deps: Deps, ip: string, input: { token: string; newPassword: string }): Promise<void> {
  const row = await liveReset(deps, ip, input.token);
  const [org, user] = await Promise.all([getOrg(deps.db, row.org_id), getUserInOrg(deps.db, row.org_id, row.user_id)]);
  if (!user) throw notFound("user");
  checkPassword(await passwordPolicyOf(deps.db, org.id), input.newPassword, { username: user.username, orgSlug: org.slug, orgName: org.name });
  const passwordHash = await hashPassword(input.newPassword);
  await runCommand(deps, null, "accounts.completePasswordReset", async (tx, fx) => {
    const now = deps.now();
    await useAccountToken(tx, row.id, now);
    await supersedeAccountTokens(tx, user.id, "password_reset", now);
    await tx.updateTable("users").set({ password_hash: passwordHash, password_changed_at: now }).where("id", "=", user.id).execute();
    await revokeSessions(tx, fx, deps, { orgId: org.id, userId: user.id, all: true }, "password_reset");
    fx.audit({
      orgId: org.id,
      actor: { kind: "device", id: user.id, deviceId: null },
      action: "auth.password.reset_completed",
      target: { kind: "user", id: user.id },
      result: "success",
      details: { link: row.created_by === "self" ? "self" : "admin" },
      pii: { subject: user.id, data: { ip } },
    });
    if (user.email) {
      await queueMail(
        deps,
        fx,
        mails.passwordChanged(user.email, { orgName: org.name, username: user.username, at: now, otherSessionsEnded: true, via: "reset" }),
      );
    }
  });
  // The account's failed sign-ins are forgiven: its owner just proved control of it.
  await deps.limits.loginAccount.reset(`${org.slug}:${user.username}`);
}

/**
 * An admin resets a user's password: the old one stops working at once and every session
 * ends; the link is emailed, or returned once when it cannot be (no address, no SMTP).
 */
export async function adminResetPassword(deps: Deps, p: Actor, userId: string): Promise<{ emailed: boolean; resetUrl?: string; expiresAt: number }> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  if (userId === actingUserId(p)) throw badRequest("change your own password under your profile (the current one is needed)");
  return runCommand(deps, p, "accounts.adminResetPassword", async (tx, fx) => {
    const user = await getUserInOrg(tx, p.orgId, userId);
    if (!user) throw notFound("user");
    // Resetting an owner's or admin's password is taking over their account: owners only.
    if (user.role === "owner" || user.role === "admin") authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
    if (user.deactivated_at !== null) throw badRequest("the user is deactivated; reactivate them first");
    const org = await getOrg(tx, p.orgId);
    const now = deps.now();
    await tx.updateTable("users").set({ password_hash: NO_PASSWORD, password_changed_at: now }).where("id", "=", user.id).execute();
    await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: user.id, all: true }, "password_reset_by_admin");
    const { token, expiresAt } = await issueAccountToken(tx, { purpose: "password_reset", orgId: p.orgId, userId: user.id, createdBy: actorRef(p), now });
    const emailed = Boolean(user.email && deps.mail.configured);
    fx.audit({ action: "user.password.reset", target: { kind: "user", id: user.id }, result: "success", details: { emailed } });
    if (emailed && user.email) {
      await queueMail(
        deps,
        fx,
        mails.passwordReset(user.email, { orgName: org.name, username: user.username, url: resetUrl(deps, token), expiresAt, byAdmin: true }),
      );
      return { emailed, expiresAt };
    }
    return { emailed, resetUrl: resetUrl(deps, token), expiresAt };
  });
}
