/**
 * Sessions, devices and token pairs. A session is one refresh-token family on
 * one device: each refresh rotates the token, and presenting a token that was
 * already rotated away means it leaked, so the whole family is revoked.
 */
import type { AuthTokens } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import { runCommand, type AfterCommit, type CommandEffects } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret, newId, newSecret } from "../../platform/ids.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { signAccessToken } from "./tokens.ts";
import { deleteKeyPackagesOf } from "../e2ee/store.ts";
import { recordPendingRemovals } from "../mls/removals.ts";
import { findRefreshToken, getOrg, getUserInOrg } from "./store.ts";
import { toOrg, toUser } from "./views.ts";
import { checkIpAllowed, idleLifetimeMs, pastAbsoluteTimeout, sessionPolicyOf } from "./session-policy.ts";
import { dropDevicesFromCalls } from "../calls/lifecycle.ts";

export interface IssuedSession {
  orgId: string;
  userId: string;
  deviceId: string;
  sessionId: string;
  refreshToken: string;
}

/** Register a new device for a user and announce it on the user's stream. */
export async function addDevice(tx: Tx, after: AfterCommit, deps: Deps, a: { orgId: string; userId: string; name: string }): Promise<string> {
  const id = newId("dev");
  const now = deps.now();
  await tx
    .insertInto("devices")
    .values({
      id,
      org_id: a.orgId,
      user_id: a.userId,
      name: a.name,
      created_at: now,
      last_seen_at: now,
      revoked_at: null,
    })
    .execute();
  await appendUserStream(tx, after, { orgId: a.orgId, userId: a.userId, kind: "device.added", data: { deviceId: id, name: a.name }, now });
  return id;
}

async function insertRefreshToken(tx: Tx, deps: Deps, sessionId: string): Promise<string> {
  const token = newSecret();
  const now = deps.now();
  await tx
    .insertInto("refresh_tokens")
    .values({
      token_hash: hashSecret(token),
      session_id: sessionId,
      created_at: now,
      expires_at: now + deps.config.refreshTokenTtl * 1000,
      used_at: null,
    })
    .execute();
  return token;
}

/** Start a session (a new refresh-token family) on a device. */
export async function startSession(
  tx: Tx,
  deps: Deps,
  a: {
    orgId: string;
    userId: string;
    deviceId: string;
    restriction?: "mfa_enrollment" | null;
    /** An API-key session: limited to the key's scopes, never outliving it. */
    apiKey?: { id: string; scopes: string[]; expiresAt: number };
  },
): Promise<IssuedSession> {
  const sessionId = newId("ses");
  const now = deps.now();
  const idle = idleLifetimeMs(deps, await sessionPolicyOf(tx, a.orgId));
  await tx
    .insertInto("sessions")
    .values({
      id: sessionId,
      org_id: a.orgId,
      user_id: a.userId,
      device_id: a.deviceId,
      created_at: now,
      last_used_at: now,
      expires_at: Math.min(now + idle, a.apiKey?.expiresAt ?? Infinity),
      revoked_at: null,
      revoked_reason: null,
      restriction: a.restriction ?? null,
      api_key_id: a.apiKey?.id ?? null,
      scopes: a.apiKey ? JSON.stringify(a.apiKey.scopes) : null,
    })
    .execute();
  const refreshToken = await insertRefreshToken(tx, deps, sessionId);
  return { orgId: a.orgId, userId: a.userId, deviceId: a.deviceId, sessionId, refreshToken };
}

/** Sign an access token for an issued session and build the AuthTokens answer (after commit). */
export async function authTokens(deps: Deps, s: IssuedSession): Promise<AuthTokens> {
  const [user, org] = await Promise.all([getUserInOrg(deps.db, s.orgId, s.userId), getOrg(deps.db, s.orgId)]);
  if (!user) throw new AppError("internal", "session user vanished");
  const ttl = deps.config.accessTokenTtl;
  const accessToken = await signAccessToken(deps.keys, { sub: s.userId, org: s.orgId, dev: s.deviceId, sid: s.sessionId }, ttl, deps.now());
  return {
    accessToken,
    refreshToken: s.refreshToken,
    expiresIn: ttl,
    user: toUser(user),
    org: toOrg(org),
    deviceId: s.deviceId,
    sessionId: s.sessionId,
  };
}

export interface RevokeScope {
  orgId: string;
  userId: string;
  sessionIds?: string[];
  deviceIds?: string[];
  all?: boolean;
}

/**
 * Revoke sessions (by id, by device, or all of a user's) inside `tx`; after
 * commit, gateways close the matching sockets. Access tokens die at once
 * because resolvePrincipal() checks the session on every request.
 */
export async function revokeSessions(tx: Tx, after: CommandEffects, deps: Deps, scope: RevokeScope, reason: string): Promise<void> {
  let q = tx
    .updateTable("sessions")
    .set({ revoked_at: deps.now(), revoked_reason: reason })
    .where("org_id", "=", scope.orgId)
    .where("user_id", "=", scope.userId)
    .where("revoked_at", "is", null);
  if (!scope.all) {
    if (scope.sessionIds?.length) q = q.where("id", "in", scope.sessionIds);
    else if (scope.deviceIds?.length) q = q.where("device_id", "in", scope.deviceIds);
    else return;
  }
  await q.execute();
  // A revoked device, or a user with no session left (deactivated), is dropped from calls at once.
  if (scope.all) await dropDevicesFromCalls(tx, after, scope.orgId, { userId: scope.userId }, deps.now(), deps.sfu);
  else if (!scope.sessionIds?.length && scope.deviceIds?.length)
    await dropDevicesFromCalls(tx, after, scope.orgId, { deviceIds: scope.deviceIds }, deps.now(), deps.sfu);
  after.publish("auth.revoked", { ...scope });
}

/** End every session of every user of an org (suspension); returns how many ended. */
export async function revokeAllOrgSessions(tx: Tx, after: CommandEffects, deps: Deps, orgId: string, reason: string): Promise<number> {
  const rows = await tx.selectFrom("sessions").select(["id", "user_id"]).where("org_id", "=", orgId).where("revoked_at", "is", null).execute();
  const byUser = new Map<string, string[]>();
  for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.id]);
  for (const [userId, sessionIds] of byUser) await revokeSessions(tx, after, deps, { orgId, userId, sessionIds }, reason);
  return rows.length;
}

/** Revoke a device: it can never sign in again and all its sessions end. */
export async function revokeDevice(
  tx: Tx,
  after: CommandEffects,
  deps: Deps,
  a: { orgId: string; userId: string; deviceId: string },
  reason: string,
): Promise<void> {
  const now = deps.now();
  const r = await tx
    .updateTable("devices")
    .set({ revoked_at: now })
    .where("org_id", "=", a.orgId)
    .where("user_id", "=", a.userId)
    .where("id", "=", a.deviceId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) return; // already revoked: idempotent
  await revokeSessions(tx, after, deps, { orgId: a.orgId, userId: a.userId, deviceIds: [a.deviceId] }, reason);
  await deleteKeyPackagesOf(tx, { orgId: a.orgId, deviceIds: [a.deviceId] });
  // A revoked device is never pushed to again.
  await tx.deleteFrom("push_subscriptions").where("org_id", "=", a.orgId).where("device_id", "=", a.deviceId).execute();
  await recordPendingRemovals(deps, tx, after, { orgId: a.orgId, userId: a.userId, deviceIds: [a.deviceId], reason: "device_revoked" });
  await appendUserStream(tx, after, { orgId: a.orgId, userId: a.userId, kind: "device.revoked", data: { deviceId: a.deviceId, reason }, now });
}

type RefreshOutcome = { ok: IssuedSession } | { error: "refresh_token_invalid" | "refresh_token_reused" | "user_deactivated" | "session_too_old" };

/** Rotate a refresh token. Reuse of a rotated token revokes the whole session (family). */
export async function refreshSession(deps: Deps, refreshToken: string, ip: string): Promise<AuthTokens> {
  // The outcome is returned, not thrown, so the family revocation on reuse commits.
  const out = await runCommand(deps, null, "accounts.refreshSession", async (tx, after): Promise<RefreshOutcome> => {
    const now = deps.now();
    const row = await findRefreshToken(tx, hashSecret(refreshToken));
    if (!row) return { error: "refresh_token_invalid" };
    const scope = { orgId: row.org_id, userId: row.user_id, sessionIds: [row.session_id] };
    /** A rotated token came back: someone else may hold it. The session ends, and that is recorded (once). */
    const reused = async (): Promise<RefreshOutcome> => {
      await revokeSessions(tx, after, deps, scope, "refresh_token_reused");
      after.audit({
        orgId: row.org_id,
        actor: { kind: "device", id: row.user_id, deviceId: row.device_id },
        action: "session.refresh_token_reused",
        target: { kind: "session", id: row.session_id },
        result: "failure",
        details: { sessionEnded: true },
      });
      return { error: "refresh_token_reused" };
    };
    if (row.used_at !== null) {
      if (row.session_revoked === null) return reused();
      return { error: "refresh_token_reused" };
    }
    if (row.session_revoked !== null || row.device_revoked !== null || row.expires_at <= now || row.session_expires <= now) {
      return { error: "refresh_token_invalid" };
    }
    if (row.deactivated_at !== null) return { error: "user_deactivated" };
    const policy = await sessionPolicyOf(tx, row.org_id);
    if (pastAbsoluteTimeout(policy, Number(row.session_created), now)) {
      await revokeSessions(tx, after, deps, scope, "absolute_timeout");
      return { error: "session_too_old" };
    }
    // Conditional update: of two concurrent refreshes with one token, only one wins; the other is a reuse.
    const used = await tx
      .updateTable("refresh_tokens")
      .set({ used_at: now })
      .where("token_hash", "=", row.token_hash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    if (Number(used.numUpdatedRows) !== 1) return reused();
    const next = await insertRefreshToken(tx, deps, row.session_id);
    // Sliding idle expiry: an active session lives on, an idle one ends after refreshTokenTtl.
    await tx
      .updateTable("sessions")
      .set({
        last_used_at: now,
        expires_at: Math.min(now + idleLifetimeMs(deps, policy), row.api_key_expires === null ? Infinity : Number(row.api_key_expires)),
      })
      .where("id", "=", row.session_id)
      .execute();
    await tx.updateTable("devices").set({ last_seen_at: now }).where("id", "=", row.device_id).execute();
    return { ok: { orgId: row.org_id, userId: row.user_id, deviceId: row.device_id, sessionId: row.session_id, refreshToken: next } };
  });
  if ("error" in out) {
    const messages = {
      refresh_token_invalid: "refresh token is unknown, expired or revoked; sign in again",
      refresh_token_reused: "refresh token was already used; the session has been ended for safety, sign in again",
      user_deactivated: "this account has been deactivated by an admin",
      session_too_old: "the session reached your organisation's maximum age; sign in again",
    } as const;
    throw new AppError(out.error === "session_too_old" ? "refresh_token_invalid" : out.error, messages[out.error]);
  }
  await checkIpAllowed(deps, out.ok.orgId, ip);
  return authTokens(deps, out.ok);
}
