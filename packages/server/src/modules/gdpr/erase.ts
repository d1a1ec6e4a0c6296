/**
 * Erasure (GDPR Art. 17; docs/gdpr.md "Erasure"): a compliance officer erases a user of their
 * org in ONE command — refused with `legal_hold` while a hold covers the user. The account
 * becomes a deactivated pseudonym (`erased-…`): every device is revoked and every session ended
 * through the same commands as an admin's revocation and deactivation (so the server proposes
 * the removal of each device from every MLS group), personal data is deleted or overwritten,
 * and the user's audit PII key is destroyed (crypto-shredding: the entries stay and verify,
 * their personal data reads as erased).
 *
 * Kept, by the documented exception list: the audit chain (entries without their PII), the
 * events the user sent (end-to-end-encrypted ciphertext the server cannot read, attributed to
 * the pseudonymous id), channel memberships and uploads metadata under that id, the invites
 * they made (the org's), the register of requests, and anything a legal hold keeps.
 */
import crypto from "node:crypto";
import type { ErasureResult } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { actingUserId, actorRef } from "../../core/actor.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { getUserInOrg } from "../accounts/store.ts";
import { revokeDevice } from "../accounts/sessions.ts";
import { eraseAuditPii } from "../audit/pii.ts";
import { mattersHoldingUser, refuseIfUserHeld, requireCompliance } from "../compliance/holds.ts";
import { deactivateUserIn } from "../orgs/users.ts";
import { alreadyErased, erasedAt, requestRow } from "./requests.ts";

/** What the erased account's rows say instead of the person's data. */
const ERASED_DISPLAY_NAME = "Erased user";
const ERASED_DEVICE_NAME = "erased device";
/** Not an argon2 hash: no password opens it (as "!scim", "!reset"). */
const ERASED_PASSWORD = "!erased";

/** Delete the rows that only describe the person: factors, links, keys, identity-provider records. */
async function deletePersonalRows(tx: Tx, orgId: string, userId: string): Promise<void> {
  const byUser = [
    "user_avatars",
    "user_mfa",
    "mfa_recovery_codes",
    "mfa_challenges",
    "passkeys",
    "webauthn_challenges",
    "account_tokens",
    "api_keys",
    "notification_settings",
    "channel_notification_settings",
    "push_subscriptions",
    "personal_items",
    "reminders",
    "bot_commands",
    "oauth_grants",
  ] as const;
  for (const table of byUser) await tx.deleteFrom(table).where("org_id", "=", orgId).where("user_id", "=", userId).execute();
  // Which threads the person follows and how far they read them (no org column: user ids are unique).
  await tx.deleteFrom("thread_follows").where("user_id", "=", userId).execute();
  await tx.deleteFrom("personal_heads").where("user_id", "=", userId).execute();
  const links = [
    "sso_identities",
    "sso_codes",
    "scim_users",
    "scim_group_members",
    "scim_channel_grants",
    "ldap_accounts",
    "ldap_channel_grants",
    "sso_channel_grants",
    "org_role_members",
  ] as const;
  for (const table of links) await tx.deleteFrom(table).where("org_id", "=", orgId).where("user_id", "=", userId).execute();
  // The key locker (public keys, recovery blob, sealed history keys) and device approvals: the
  // account can never sign in again, so they open nothing for anyone.
  for (const table of ["locker_entries", "device_approvals", "approval_requests", "user_lockers"] as const)
    await tx.deleteFrom(table).where("org_id", "=", orgId).where("user_id", "=", userId).execute();
  const sessions = tx.selectFrom("sessions").select("id").where("org_id", "=", orgId).where("user_id", "=", userId);
  await tx.deleteFrom("refresh_tokens").where("session_id", "in", sessions).execute();
  // The identity provider's ids of past sign-ins are the person's too; the sessions stay as ended.
  await tx
    .updateTable("sessions")
    .set({ sso_sid: null, sso_name_id: null, sso_name_id_format: null })
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .execute();
  // Notification items carry names (channels, devices, the user's own profile).
  await tx.deleteFrom("user_stream").where("user_id", "=", userId).execute();
}

/** Complete the user's pending erasure requests (or record this one), clearing their notes. */
async function closeRequests(tx: Tx, deps: Deps, p: Actor, userId: string, note: string, now: number): Promise<string[]> {
  const pending = await tx
    .selectFrom("gdpr_requests")
    .select("id")
    .where("org_id", "=", p.orgId)
    .where("user_id", "=", userId)
    .where("kind", "=", "erase")
    .where("status", "=", "pending")
    .execute();
  await tx.updateTable("gdpr_requests").set({ note: "" }).where("org_id", "=", p.orgId).where("user_id", "=", userId).execute();
  const decided = { status: "completed" as const, decided_by: actorRef(p), decided_at: now, response: note };
  if (pending.length) {
    await tx
      .updateTable("gdpr_requests")
      .set(decided)
      .where(
        "id",
        "in",
        pending.map((r) => r.id),
      )
      .execute();
    return pending.map((r) => r.id);
  }
  const row = requestRow(p.orgId, userId, "erase", p, now, decided);
  await tx.insertInto("gdpr_requests").values(row).execute();
  return [row.id];
}

/** Erase a user of the officer's org; `confirm` must be their current username. */
export async function eraseUser(deps: Deps, p: Actor, userId: string, input: { confirm: string; note: string }): Promise<ErasureResult> {
  requireCompliance(p);
  if (userId === actingUserId(p)) throw badRequest("you cannot erase yourself: ask another compliance officer (or file a request)");
  try {
    return await runCommand(deps, p, "gdpr.erase", async (tx, fx) => {
      const user = await getUserInOrg(tx, p.orgId, userId);
      if (!user) throw notFound("user");
      const at = await erasedAt(tx, p.orgId, user.id);
      if (at !== undefined) throw alreadyErased(at);
      if (input.confirm !== user.username) throw badRequest("confirm with the user's current username", { field: "confirm" });
      await refuseIfUserHeld(tx, p.orgId, user.id, "erasing this user");
      const now = deps.now();
      const sessionsEnded = (await tx.selectFrom("sessions").select("id").where("user_id", "=", user.id).where("revoked_at", "is", null).execute()).length;
      const devices = await tx
        .selectFrom("devices")
        .select("id")
        .where("org_id", "=", p.orgId)
        .where("user_id", "=", user.id)
        .where("revoked_at", "is", null)
        .execute();

      // The person's names first, so everything the commands below announce (the user object of
      // `user.updated`, stream items) already carries the pseudonym.
      const username = `erased-${crypto.randomBytes(5).toString("hex")}`;
      await tx
        .updateTable("users")
        .set({
          username,
          display_name: ERASED_DISPLAY_NAME,
          email: null,
          status_text: null,
          status_emoji: null,
          status_expires_at: null,
          title: null,
          time_zone: null,
          avatar_version: null,
          password_hash: ERASED_PASSWORD,
          password_changed_at: null,
        })
        .where("id", "=", user.id)
        .execute();
      await tx.updateTable("devices").set({ name: ERASED_DEVICE_NAME }).where("org_id", "=", p.orgId).where("user_id", "=", user.id).execute();

      // The same steps as an admin's device revocation and deactivation: sessions end (sockets
      // close), KeyPackages go, and the server proposes each device's removal from every group.
      for (const d of devices) await revokeDevice(tx, fx, deps, { orgId: p.orgId, userId: user.id, deviceId: d.id }, "user_erased");
      await deactivateUserIn(tx, fx, deps, p, user.id);

      await deletePersonalRows(tx, p.orgId, user.id);
      // Crypto-shredding: the entries about them stay in the chain, their PII no longer opens.
      await eraseAuditPii(tx, p.orgId, user.id);
      const completedRequests = await closeRequests(tx, deps, p, user.id, input.note, now);
      // No erased data in the entry: ids and counts only.
      fx.audit({
        action: "gdpr.erased",
        target: { kind: "user", id: user.id },
        result: "success",
        details: { requestIds: completedRequests, devicesRevoked: devices.length, sessionsEnded },
      });
      return { userId: user.id, username, erasedAt: now, devicesRevoked: devices.length, sessionsEnded, completedRequests };
    });
  } catch (err) {
    // A refusal under hold changes nothing about the user, but is itself a decision worth recording.
    if (err instanceof AppError && err.code === "legal_hold") await recordRefusal(deps, p, userId);
    throw err;
  }
}

async function recordRefusal(deps: Deps, p: Actor, userId: string): Promise<void> {
  await runCommand(deps, p, "gdpr.eraseRefused", async (tx, fx) => {
    const matters = await mattersHoldingUser(tx, p.orgId, userId);
    fx.audit({ action: "gdpr.erase.refused", target: { kind: "user", id: userId }, result: "denied", details: { reason: "legal_hold", matters } });
  });
}
