/**
 * An org with many members for the connection benches (presence-storm, hundred-k): the owner
 * through the real setup route, the members inserted straight into the server's database (argon2
 * for 100,000 accounts would take hours) with a device, a session and a signed access token each.
 * Multi-row inserts in chunks, one transaction per chunk, with progress lines.
 */
import { API_PREFIX } from "@parley/protocol";
import type { Db } from "../../packages/server/src/platform/db/index.ts";
import type { signAccessToken } from "../../packages/server/src/modules/accounts/tokens.ts";
import { BENCH_PASSWORD, BENCH_SETUP_TOKEN } from "./parley-setup.ts";
import { log } from "./report.ts";

/** Rows per insert: 14 columns x 1,000 stays far below PostgreSQL's 65,535 parameters. */
const CHUNK = 1_000;
/** A progress line per this many rows (or tokens). */
const REPORT_EVERY = 20_000;

export interface SeededOwner {
  userId: string;
  orgId: string;
  accessToken: string;
}

/** `POST /setup` on a fresh server: the org and its owner (one argon2 hash). */
export async function setupOrg(url: string, slug: string, name: string): Promise<SeededOwner> {
  const res = await fetch(`${url}${API_PREFIX}/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      setupToken: BENCH_SETUP_TOKEN,
      orgSlug: slug,
      orgName: name,
      username: "owner",
      displayName: "Owner",
      password: BENCH_PASSWORD,
      deviceName: "d",
    }),
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok) throw new Error(`setup: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { accessToken: string; user: { id: string; orgId: string } };
  return { userId: body.user.id, orgId: body.user.orgId, accessToken: body.accessToken };
}

export interface SeededMember {
  userId: string;
  deviceId: string;
  sessionId: string;
}

/** `count` members `<prefix>0..` of the owner's org, each with one device and session (the owner's password hash). */
export async function insertMembers(db: Db, owner: SeededOwner, count: number, prefix: string): Promise<SeededMember[]> {
  const { password_hash } = await db.selectFrom("users").select("password_hash").where("id", "=", owner.userId).executeTakeFirstOrThrow();
  const orgId = owner.orgId;
  const now = Date.now();
  // Ids as long as real ones (newId: prefix + 22 characters): what a node holds and publishes per user is to scale.
  const id = (kind: string, i: number) => `${kind}_${prefix}${String(i).padStart(22 - prefix.length, "0")}`;
  const rows = Array.from({ length: count }, (_, i) => ({ i, userId: id("usr", i), deviceId: id("dev", i), sessionId: id("ses", i) }));
  const t0 = performance.now();
  for (let k = 0; k < rows.length; k += CHUNK) {
    const chunk = rows.slice(k, k + CHUNK);
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto("users")
        .values(
          chunk.map((r) => ({
            id: r.userId,
            org_id: orgId,
            username: `${prefix}${r.i}`,
            display_name: `${prefix} ${r.i}`,
            password_hash,
            role: "member" as const,
            deactivated_at: null,
            created_at: now,
            stream_seq: 0,
            email: null,
            status_text: null,
            avatar_version: null,
            password_changed_at: null,
            kind: "human" as const,
          })),
        )
        .execute();
      await tx
        .insertInto("devices")
        .values(chunk.map((r) => ({ id: r.deviceId, org_id: orgId, user_id: r.userId, name: prefix, created_at: now, last_seen_at: now, revoked_at: null })))
        .execute();
      await tx
        .insertInto("sessions")
        .values(
          chunk.map((r) => ({
            id: r.sessionId,
            org_id: orgId,
            user_id: r.userId,
            device_id: r.deviceId,
            created_at: now,
            last_used_at: now,
            expires_at: now + 86_400_000,
            revoked_at: null,
            revoked_reason: null,
            restriction: null,
            api_key_id: null,
            scopes: null,
          })),
        )
        .execute();
    });
    const done = k + chunk.length;
    if (done % REPORT_EVERY === 0 || done === rows.length) log(`seed: ${done}/${count} members inserted (${Math.round(performance.now() - t0)} ms)`);
  }
  return rows.map(({ userId, deviceId, sessionId }) => ({ userId, deviceId, sessionId }));
}

/** One access token per member, signed with the server's key (`sign`: that server's signAccessToken). */
export async function signMemberTokens(
  sign: typeof signAccessToken,
  keys: Parameters<typeof signAccessToken>[0],
  orgId: string,
  members: SeededMember[],
  ttlSeconds = 3600,
): Promise<string[]> {
  const tokens: string[] = [];
  const t0 = performance.now();
  for (let k = 0; k < members.length; k += CHUNK) {
    const chunk = members.slice(k, k + CHUNK);
    tokens.push(...(await Promise.all(chunk.map((m) => sign(keys, { sub: m.userId, org: orgId, dev: m.deviceId, sid: m.sessionId }, ttlSeconds, Date.now())))));
    if (tokens.length % REPORT_EVERY === 0 || tokens.length === members.length) {
      log(`seed: ${tokens.length}/${members.length} access tokens signed (${Math.round(performance.now() - t0)} ms)`);
    }
  }
  return tokens;
}
