/**
 * A user's email address: where reset links and security notices go, so changing it is
 * guarded. The user changes their own with the current password and a link sent to the
 * new address (the change happens when it is followed); admins set or clear it directly.
 * Either way the old address is told. Addresses are unique in an org.
 */
import type { User } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { actingUserId } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { reauthenticate } from "./reauth.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { toUser, toUserWithEmail } from "./views.ts";
import { mails, queueMail, requireMail } from "./mail.ts";
import { issueAccountToken, liveAccountToken, useAccountToken } from "./account-tokens.ts";

const emailTaken = () => new AppError("email_taken", "another account of this organisation uses that email address");

/** Throws email_taken when another user of the org has `email`. */
export async function assertEmailFree(q: Tx, orgId: string, email: string, exceptUserId?: string): Promise<void> {
  let query = q.selectFrom("users").select("id").where("org_id", "=", orgId).where("email", "=", email);
  if (exceptUserId) query = query.where("id", "!=", exceptUserId);
  if (await query.executeTakeFirst()) throw emailTaken();
}

/** Run `fn`; a unique-index violation (a concurrent claim of the address) becomes email_taken. */
async function mappingTaken<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isUniqueViolation(err) ? emailTaken() : err;
  }
}

/** Ask to change one's own address: a link goes to the new one. */
export async function changeEmail(
  deps: Deps,
  p: DeviceActor,
  ip: string,
  input: { currentPassword: string; email: string },
): Promise<{ pendingEmail: string; expiresAt: number }> {
  requireMail(deps, "an email address cannot be confirmed");
  const { user, org } = await reauthenticate(deps, p, ip, input.currentPassword, "email.change");
  return runCommand(deps, p, "accounts.changeEmail", async (tx, fx) => {
    await assertEmailFree(tx, p.orgId, input.email, p.userId);
    const { token, expiresAt } = await issueAccountToken(tx, {
      purpose: "email_verify",
      orgId: p.orgId,
      userId: p.userId,
      email: input.email,
      createdBy: "self",
      now: deps.now(),
    });
    fx.audit({
      action: "user.email.change_requested",
      target: { kind: "user", id: p.userId },
      result: "success",
      pii: { subject: p.userId, data: { email: input.email, ip } },
    });
    const url = `${deps.publicUrl.get()}/verify-email#token=${token}`;
    await queueMail(deps, fx, mails.verifyEmail(input.email, { orgName: org.name, username: user.username, url, expiresAt }));
    return { pendingEmail: input.email, expiresAt };
  });
}

/** Follow a verification link: its address becomes the account's. */
export async function verifyEmail(deps: Deps, ip: string, token: string): Promise<{ email: string }> {
  let row;
  try {
    row = await liveAccountToken(deps.db, token, "email_verify", deps.now());
  } catch (err) {
    await deps.limits.resetIp.consume(ip);
    throw err;
  }
  const email = row.email;
  if (!email) throw new AppError("internal", "verification link without an address");
  await mappingTaken(() =>
    runCommand(deps, null, "accounts.verifyEmail", async (tx, fx) => {
      await useAccountToken(tx, row.id, deps.now());
      const user = await getUserInOrg(tx, row.org_id, row.user_id);
      if (!user || user.deactivated_at !== null) throw notFound("user");
      await assertEmailFree(tx, row.org_id, email, user.id);
      await setEmail(tx, fx, deps, user, email, { orgId: row.org_id, byAdmin: false, actor: { kind: "device", id: user.id, deviceId: null } });
    }),
  );
  return { email };
}

/** An admin sets or clears a user's address (no link: the admin vouches for it). */
export async function adminSetEmail(deps: Deps, p: Actor, userId: string, email: string | null): Promise<User> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  return mappingTaken(() =>
    runCommand(deps, p, "accounts.adminSetEmail", async (tx, fx) => {
      const user = await getUserInOrg(tx, p.orgId, userId);
      if (!user) throw notFound("user");
      // Where an owner's or admin's reset links go decides who can take over the account: owners only.
      if ((user.role === "owner" || user.role === "admin") && user.id !== actingUserId(p)) authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
      if (user.email === email) return toUserWithEmail(user);
      if (email) await assertEmailFree(tx, p.orgId, email, user.id);
      await setEmail(tx, fx, deps, user, email, { orgId: p.orgId, byAdmin: true });
      return toUserWithEmail({ ...user, email });
    }),
  );
}

/** Set or clear a user's address inside a caller's command (admins, verification links, SCIM): audited, the old address told. */
export async function setEmail(
  tx: Tx,
  fx: CommandEffects,
  deps: Deps,
  user: NonNullable<Awaited<ReturnType<typeof getUserInOrg>>>,
  email: string | null,
  how: { orgId: string; byAdmin: boolean; actor?: { kind: "device"; id: string; deviceId: null } },
): Promise<void> {
  await tx.updateTable("users").set({ email }).where("id", "=", user.id).execute();
  // Links sent to the old address (or for another new one) stop working.
  await tx.updateTable("account_tokens").set({ used_at: deps.now() }).where("user_id", "=", user.id).where("used_at", "is", null).execute();
  fx.audit({
    orgId: how.orgId,
    ...(how.actor ? { actor: how.actor } : {}),
    action: "user.email.changed",
    target: { kind: "user", id: user.id },
    result: "success",
    details: { by: how.byAdmin ? "admin" : "self", cleared: email === null },
    pii: { subject: user.id, data: { from: user.email ?? "", to: email ?? "" } },
  });
  const org = await getOrg(tx, how.orgId);
  if (user.email)
    await queueMail(deps, fx, mails.emailChanged(user.email, { orgName: org.name, username: user.username, newEmail: email, byAdmin: how.byAdmin }));
  await appendUserStream(tx, fx, { orgId: how.orgId, userId: user.id, kind: "user.updated", data: { user: toUser({ ...user, email }) }, now: deps.now() });
}
