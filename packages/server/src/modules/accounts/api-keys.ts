/**
 * API keys and service accounts. A key (`pk_` + 32 random bytes, base64url) is shown once
 * and stored as its SHA-256 hash; it expires (at most a year) and can be revoked. It is
 * exchanged for a session on a device of its user, limited to the key's scopes and ending
 * no later than the key; every exchange is an audit entry and updates the key's last use.
 * Revoking a key ends its sessions. Service accounts are users of kind "service", made by
 * admins, with no password: API keys are their only way in.
 */
import crypto from "node:crypto";
import type { ApiKey, ApiKeyScope, AuthTokens, OrgRole, User } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { ApiKeysTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { hashSecret, newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { roleAllows } from "../access/permissions.ts";
import { insertUser, mapUniqueViolation } from "../orgs/create-org.ts";
import { revokeSessions } from "./sessions.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { toUser } from "./views.ts";
import { completeSignIn } from "./login.ts";

const PREFIX = "pk_";
const DAY = 86_400_000;
/** No password verifies against it: service accounts sign in with API keys only. */
const NO_PASSWORD = "!service-account";

function toApiKey(r: ApiKeysTable): ApiKey {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    prefix: r.prefix,
    scopes: JSON.parse(r.scopes) as ApiKeyScope[],
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revoked: r.revoked_at !== null,
  };
}

async function insertKey(
  tx: Tx,
  deps: Deps,
  p: Actor,
  a: { userId: string; name: string; scopes: ApiKeyScope[]; expiresInDays: number },
): Promise<{ key: string; apiKey: ApiKey }> {
  const key = PREFIX + crypto.randomBytes(32).toString("base64url");
  const now = deps.now();
  const row: ApiKeysTable = {
    id: newId("apk"),
    org_id: p.orgId,
    user_id: a.userId,
    name: a.name,
    key_hash: hashSecret(key),
    prefix: key.slice(0, 8),
    scopes: JSON.stringify([...new Set(a.scopes)].sort()),
    created_by: actorRef(p),
    created_at: now,
    expires_at: now + a.expiresInDays * DAY,
    last_used_at: null,
    revoked_at: null,
  };
  await tx.insertInto("api_keys").values(row).execute();
  return { key, apiKey: toApiKey(row) };
}

/** `admin` scope only for a user whose role may administer. */
function checkScopes(role: OrgRole, scopes: ApiKeyScope[]): void {
  if (scopes.includes("admin") && !roleAllows(role, "org.manage_users")) throw new AppError("forbidden", "only admins may hold keys with the admin scope");
}

export async function createApiKey(
  deps: Deps,
  p: DeviceActor,
  input: { name: string; scopes: ApiKeyScope[]; expiresInDays: number },
): Promise<{ key: string; apiKey: ApiKey }> {
  checkScopes(p.role, input.scopes);
  return runCommand(deps, p, "accounts.createApiKey", async (tx, fx) => {
    const out = await insertKey(tx, deps, p, { userId: p.userId, ...input });
    fx.audit({
      action: "api_key.created",
      target: { kind: "api_key", id: out.apiKey.id },
      result: "success",
      details: { userId: p.userId, scopes: out.apiKey.scopes, expiresAt: out.apiKey.expiresAt },
    });
    return out;
  });
}

export async function listApiKeys(deps: Deps, p: Actor, own: boolean): Promise<ApiKey[]> {
  if (!own) authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  let q = deps.db.selectFrom("api_keys").selectAll().where("org_id", "=", p.orgId);
  if (own && p.kind === "device") q = q.where("user_id", "=", p.userId);
  return (await q.orderBy("created_at", "desc").execute()).map(toApiKey);
}

/** Revoke a key (the owner's own, or any as an admin): its sessions end. */
export async function revokeApiKey(deps: Deps, p: Actor, id: string, own: boolean): Promise<void> {
  if (!own) authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "accounts.revokeApiKey", async (tx, fx) => {
    const row = await tx.selectFrom("api_keys").selectAll().where("org_id", "=", p.orgId).where("id", "=", id).executeTakeFirst();
    if (!row || (own && p.kind === "device" && row.user_id !== p.userId)) throw notFound("API key");
    if (!own) {
      const holder = await getUserInOrg(tx, p.orgId, row.user_id);
      if ((holder?.role === "owner" || holder?.role === "admin") && !(p.kind === "device" && holder.id === p.userId)) {
        authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
      }
    }
    if (row.revoked_at !== null) return;
    await tx.updateTable("api_keys").set({ revoked_at: deps.now() }).where("id", "=", id).execute();
    const sessions = await tx.selectFrom("sessions").select("id").where("api_key_id", "=", id).where("revoked_at", "is", null).execute();
    if (sessions.length) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId: row.user_id, sessionIds: sessions.map((s) => s.id) }, "api_key_revoked");
    fx.audit({
      action: "api_key.revoked",
      target: { kind: "api_key", id },
      result: "success",
      details: { userId: row.user_id, sessionsEnded: sessions.length },
    });
  });
}

/** Exchange a key for a session limited to its scopes. Failures count against the address's sign-in throttle. */
export async function signInWithApiKey(
  deps: Deps,
  ip: string,
  input: { key: string; deviceName?: string | undefined; deviceId?: string | undefined },
): Promise<AuthTokens> {
  await deps.limits.loginIp.consume(ip);
  const row = await deps.db.selectFrom("api_keys").selectAll().where("key_hash", "=", hashSecret(input.key)).executeTakeFirst();
  const now = deps.now();
  const user = row ? await getUserInOrg(deps.db, row.org_id, row.user_id) : undefined;
  if (!row || !user || row.revoked_at !== null || Number(row.expires_at) <= now || user.deactivated_at !== null) {
    if (row) {
      await runCommand(deps, null, "accounts.apiKeyRefused", async (_tx, fx) =>
        fx.audit({
          orgId: row.org_id,
          actor: { kind: "service_token", id: row.id },
          action: "api_key.used",
          target: { kind: "api_key", id: row.id },
          result: "failure",
          details: { reason: row.revoked_at !== null ? "revoked" : Number(row.expires_at) <= now ? "expired" : "user_deactivated" },
          pii: { subject: row.user_id, data: { ip } },
        }),
      );
    }
    throw new AppError("invalid_credentials", "this API key is unknown, revoked or expired");
  }
  await deps.limits.loginIp.refund(ip);
  const org = await getOrg(deps.db, row.org_id);
  return completeSignIn(deps, ip, {
    org,
    user,
    deviceId: input.deviceId,
    deviceName: input.deviceName ?? `API key ${row.name}`.slice(0, 80),
    secondFactor: null,
    apiKey: { id: row.id, scopes: JSON.parse(row.scopes) as ApiKeyScope[], expiresAt: Number(row.expires_at) },
  });
}

// ---- service accounts ------------------------------------------------------------------

export async function createServiceAccount(
  deps: Deps,
  p: Actor,
  input: { username: string; displayName: string; role: Exclude<OrgRole, "owner"> },
): Promise<User> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  if (input.role === "admin") authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
  try {
    return await runCommand(deps, p, "accounts.createServiceAccount", async (tx, fx) => {
      const user = await insertUser(tx, deps, {
        orgId: p.orgId,
        username: input.username,
        displayName: input.displayName,
        passwordHash: NO_PASSWORD,
        role: input.role,
        kind: "service",
      });
      fx.audit({ action: "service_account.created", target: { kind: "user", id: user.id }, result: "success", details: { role: input.role } });
      return { ...user, service: true };
    });
  } catch (err) {
    throw mapUniqueViolation(err, `username "${input.username}" is taken`);
  }
}

export async function listServiceAccounts(deps: Deps, p: Actor): Promise<User[]> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  const rows = await deps.db.selectFrom("users").selectAll().where("org_id", "=", p.orgId).where("kind", "=", "service").orderBy("username").execute();
  return rows.map((r) => toUser(r));
}

export async function createServiceAccountKey(
  deps: Deps,
  p: Actor,
  userId: string,
  input: { name: string; scopes: ApiKeyScope[]; expiresInDays: number },
): Promise<{ key: string; apiKey: ApiKey }> {
  authorize(p, "org.manage_users", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "accounts.createServiceAccountKey", async (tx, fx) => {
    const account = await getUserInOrg(tx, p.orgId, userId);
    if (!account || account.kind !== "service") throw notFound("service account");
    if (account.deactivated_at !== null) throw badRequest("the service account is deactivated; reactivate it first");
    if (account.role === "admin") authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
    checkScopes(account.role, input.scopes);
    const out = await insertKey(tx, deps, p, { userId, ...input });
    fx.audit({
      action: "api_key.created",
      target: { kind: "api_key", id: out.apiKey.id },
      result: "success",
      details: { userId, scopes: out.apiKey.scopes, expiresAt: out.apiKey.expiresAt },
    });
    return out;
  });
}
