/**
 * SCIM tokens: per-org bearer tokens for the identity provider's SCIM client. Created by
 * admins (shown once, only the SHA-256 stored), optionally expiring, revocable; each acts
 * with the authority of its creator's role (ScimActor). Presenting one is the only way in
 * to /scim/v2; an unknown, revoked or expired one is 401, and failures are throttled per
 * client address.
 */
import { SCIM_PREFIX, type ScimToken } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { ScimActor } from "../../core/actor.ts";
import { runCommand } from "../../command.ts";
import { notFound } from "../../core/errors.ts";
import { hashSecret, newId, newSecret } from "../../platform/ids.ts";
import type { ScimTokensTable } from "../../platform/db/tables.ts";
import { authorize } from "../access/authorize.ts";
import { bearerToken } from "../accounts/principal.ts";
import { ScimError, unauthorized } from "./errors.ts";

const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });
/** Secret scanners recognise the prefix. */
const TOKEN_PREFIX = "scim_";
const DAY_MS = 86_400_000;
/** last_used_at is written at most this often per token. */
const LAST_USED_GRANULARITY_MS = 60_000;

function toScimToken(r: ScimTokensTable): ScimToken {
  return {
    id: r.id,
    name: r.name,
    authority: r.authority,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

/** Create a token (admins); the secret is returned this once. */
export async function createScimToken(
  deps: Deps,
  p: Actor,
  input: { name: string; expiresInDays?: number | undefined },
): Promise<ScimToken & { token: string; scimUrl: string }> {
  authorize(p, "org.manage_security", org(p));
  // A token can do no more than its creator: an owner's token may change admins, an admin's may not.
  const authority = p.role === "owner" ? "owner" : "admin";
  const token = TOKEN_PREFIX + newSecret();
  const now = deps.now();
  const row: ScimTokensTable = {
    id: newId("sct"),
    org_id: p.orgId,
    name: input.name,
    token_hash: hashSecret(token),
    authority,
    created_by: p.kind === "device" ? p.userId : "system",
    created_at: now,
    expires_at: input.expiresInDays === undefined ? null : now + input.expiresInDays * DAY_MS,
    last_used_at: null,
    revoked_at: null,
  };
  await runCommand(deps, p, "scim.createToken", async (tx, fx) => {
    await tx.insertInto("scim_tokens").values(row).execute();
    fx.audit({
      action: "scim.token.created",
      target: { kind: "scim_token", id: row.id },
      result: "success",
      details: { name: row.name, authority, expiresAt: row.expires_at },
    });
  });
  return { ...toScimToken(row), token, scimUrl: deps.publicUrl.get() + SCIM_PREFIX };
}

export async function listScimTokens(deps: Deps, p: Actor): Promise<ScimToken[]> {
  authorize(p, "org.manage_security", org(p));
  const rows = await deps.db.selectFrom("scim_tokens").selectAll().where("org_id", "=", p.orgId).orderBy("created_at").orderBy("id").execute();
  return rows.map(toScimToken);
}

/** Revoke a token (idempotent); another org's id is not found. */
export async function revokeScimToken(deps: Deps, p: Actor, tokenId: string): Promise<void> {
  authorize(p, "org.manage_security", org(p));
  await runCommand(deps, p, "scim.revokeToken", async (tx, fx) => {
    const row = await tx.selectFrom("scim_tokens").select(["id", "revoked_at"]).where("org_id", "=", p.orgId).where("id", "=", tokenId).executeTakeFirst();
    if (!row) throw notFound("SCIM token");
    if (row.revoked_at !== null) return;
    await tx.updateTable("scim_tokens").set({ revoked_at: deps.now() }).where("id", "=", row.id).execute();
    fx.audit({ action: "scim.token.revoked", target: { kind: "scim_token", id: row.id }, result: "success" });
  });
}

/**
 * The SCIM client behind an Authorization header. Every failure is the same 401 to the
 * caller; each counts against the client address (`scim:<ip>` on the failed-sign-in
 * limiter), and a blocked address is refused before its token is looked at. A known
 * token that is revoked or expired is recorded in its org's audit log.
 */
export async function scimActorFor(deps: Deps, authorization: string | undefined, ip: string): Promise<ScimActor> {
  const key = `scim:${ip}`;
  const wait = await deps.limits.loginIp.blocked(key);
  if (wait) throw new ScimError(429, undefined, `too many failed SCIM authentications from this address; retry in ${wait}s`, wait);
  const token = bearerToken(authorization);
  const now = deps.now();
  const row = token ? await deps.db.selectFrom("scim_tokens").selectAll().where("token_hash", "=", hashSecret(token)).executeTakeFirst() : undefined;
  const reason = !token
    ? "missing"
    : !row
      ? "unknown"
      : row.revoked_at !== null
        ? "revoked"
        : row.expires_at !== null && row.expires_at <= now
          ? "expired"
          : null;
  if (reason || !row) {
    if (row && (reason === "revoked" || reason === "expired")) {
      await runCommand(deps, null, "scim.rejectToken", async (_tx, fx) => {
        fx.audit({
          orgId: row.org_id,
          actor: { kind: "scim", id: row.id },
          action: "scim.token.rejected",
          target: { kind: "scim_token", id: row.id },
          result: "denied",
          details: { reason },
          pii: { subject: "-", data: { ip } },
        });
      });
    }
    await deps.limits.loginIp.consume(key);
    throw unauthorized(
      reason === "missing" ? "send the org's SCIM token as Authorization: Bearer <token>" : "the SCIM token is not valid (unknown, revoked or expired)",
    );
  }
  const actor: ScimActor = { kind: "scim", orgId: row.org_id, tokenId: row.id, role: row.authority };
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_GRANULARITY_MS) {
    await runCommand(deps, actor, "scim.tokenUsed", async (tx) => {
      await tx.updateTable("scim_tokens").set({ last_used_at: now }).where("id", "=", row.id).execute();
    });
  }
  return actor;
}
