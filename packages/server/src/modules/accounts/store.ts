/** Queries of the accounts module. Every lookup by id is scoped by org (and user where it applies). */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { DevicesTable, UsersTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;

export function findOrgBySlug(db: Q, slug: string) {
  return db.selectFrom("orgs").select(["id", "slug", "name", "created_at"]).where("slug", "=", slug).executeTakeFirst();
}

export function getOrg(db: Q, orgId: string) {
  return db.selectFrom("orgs").select(["id", "slug", "name", "created_at"]).where("id", "=", orgId).executeTakeFirstOrThrow();
}

export function findUserByUsername(db: Q, orgId: string, username: string): Promise<UsersTable | undefined> {
  return db.selectFrom("users").selectAll().where("org_id", "=", orgId).where("username", "=", username).executeTakeFirst();
}

/** A user of `orgId`, or undefined (another org's id looks like a missing one). */
export function getUserInOrg(db: Q, orgId: string, userId: string): Promise<UsersTable | undefined> {
  return db.selectFrom("users").selectAll().where("org_id", "=", orgId).where("id", "=", userId).executeTakeFirst();
}

/** A device of `userId` in `orgId`, or undefined. */
export function getUserDevice(db: Q, orgId: string, userId: string, deviceId: string): Promise<DevicesTable | undefined> {
  return db.selectFrom("devices").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).where("id", "=", deviceId).executeTakeFirst();
}

export function listUserDevices(db: Q, orgId: string, userId: string): Promise<DevicesTable[]> {
  return db.selectFrom("devices").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
}

/** Unrevoked, unexpired sessions of a user with their device names. */
export function listActiveSessions(db: Q, orgId: string, userId: string, now: number) {
  return db
    .selectFrom("sessions as s")
    .innerJoin("devices as d", "d.id", "s.device_id")
    .select(["s.id", "s.device_id", "d.name as device_name", "s.created_at", "s.last_used_at"])
    .where("s.org_id", "=", orgId)
    .where("s.user_id", "=", userId)
    .where("s.revoked_at", "is", null)
    .where("s.expires_at", ">", now)
    .where("d.revoked_at", "is", null)
    .orderBy("s.created_at")
    .orderBy("s.id")
    .execute();
}

export function getActiveSession(db: Q, orgId: string, userId: string, sessionId: string) {
  return db
    .selectFrom("sessions")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
}

/** The refresh token with its session, user and device state. */
export function findRefreshToken(db: Q, tokenHash: string) {
  return db
    .selectFrom("refresh_tokens as r")
    .innerJoin("sessions as s", "s.id", "r.session_id")
    .innerJoin("users as u", "u.id", "s.user_id")
    .innerJoin("devices as d", "d.id", "s.device_id")
    .select([
      "r.token_hash",
      "r.expires_at",
      "r.used_at",
      "s.id as session_id",
      "s.org_id",
      "s.user_id",
      "s.device_id",
      "s.revoked_at as session_revoked",
      "s.expires_at as session_expires",
      "s.created_at as session_created",
      (eb) => eb.selectFrom("api_keys as k").select("k.expires_at").whereRef("k.id", "=", "s.api_key_id").as("api_key_expires"),
      "u.deactivated_at",
      "d.revoked_at as device_revoked",
    ])
    .where("r.token_hash", "=", tokenHash)
    .executeTakeFirst();
}
