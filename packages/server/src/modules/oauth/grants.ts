/**
 * A user's grants to OAuth2 apps. Consenting opens a session for the app on a device of its
 * own ("App: name"), limited to the granted scopes (the same scope-limited session an API key
 * opens, modules/accounts/scopes.ts) and ending with the grant; the app's access tokens name
 * the grant, and every request checks that the grant, the session, the device and the user
 * are still live. Revoking a grant (the user, an admin, or deleting the app) revokes the
 * device, which ends the session: the app's next call is answered 401.
 */
import type { ApiKeyScope, OAuthGrant } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { OAuthGrantsTable } from "../../platform/db/oauth-tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { notFound } from "../../core/errors.ts";
import { hashSecret, newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { addDevice, revokeDevice } from "../accounts/sessions.ts";

/** How long a consent lasts before the user is asked again. */
export const GRANT_TTL_SECONDS = 90 * 86_400;

type GrantRow = OAuthGrantsTable & { app_name: string };

function toGrant(r: GrantRow, now: number): OAuthGrant {
  return {
    id: r.id,
    appId: r.app_id,
    appName: r.app_name,
    userId: r.user_id,
    scopes: JSON.parse(r.scopes) as ApiKeyScope[],
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
    revoked: r.revoked_at !== null || Number(r.expires_at) <= now,
  };
}

/** Record a consent: the app's device and scoped session, and the grant row (in one transaction, audited). */
export async function recordConsent(
  deps: Deps,
  p: DeviceActor,
  a: { grantId: string; app: { id: string; name: string }; scopes: ApiKeyScope[] },
): Promise<void> {
  await runCommand(deps, p, "oauth.consent", async (tx, fx) => {
    const now = deps.now();
    const expiresAt = now + GRANT_TTL_SECONDS * 1000;
    const deviceId = await addDevice(tx, fx, deps, { orgId: p.orgId, userId: p.userId, name: `App: ${a.app.name}`.slice(0, 80) });
    const sessionId = newId("ses");
    await tx
      .insertInto("sessions")
      .values({
        id: sessionId,
        org_id: p.orgId,
        user_id: p.userId,
        device_id: deviceId,
        created_at: now,
        last_used_at: now,
        expires_at: expiresAt,
        revoked_at: null,
        revoked_reason: null,
        restriction: null,
        api_key_id: null,
        scopes: JSON.stringify(a.scopes),
      })
      .execute();
    await tx
      .insertInto("oauth_grants")
      .values({
        id: a.grantId,
        org_id: p.orgId,
        app_id: a.app.id,
        user_id: p.userId,
        scopes: JSON.stringify(a.scopes),
        session_id: sessionId,
        device_id: deviceId,
        created_at: now,
        expires_at: expiresAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute();
    fx.audit({
      action: "oauth.consent.granted",
      target: { kind: "oauth_grant", id: a.grantId },
      result: "success",
      details: { appId: a.app.id, appName: a.app.name, scopes: a.scopes, expiresAt },
    });
  });
}

/** A user said no on the consent page (nothing is stored but the audit entry). */
export async function recordDenial(deps: Deps, p: DeviceActor, app: { id: string; name: string }, scopes: ApiKeyScope[]): Promise<void> {
  await runCommand(deps, p, "oauth.deny", async (_tx, fx) =>
    fx.audit({ action: "oauth.consent.denied", target: { kind: "oauth_app", id: app.id }, result: "success", details: { appName: app.name, scopes } }),
  );
}

/** End grants inside `tx`: each is marked revoked, its device revoked (ending its session), its codes and tokens dropped. */
export async function endGrants(tx: Tx, fx: CommandEffects, deps: Deps, grants: OAuthGrantsTable[], reason: string): Promise<void> {
  if (!grants.length) return;
  const ids = grants.map((g) => g.id);
  await tx.updateTable("oauth_grants").set({ revoked_at: deps.now() }).where("id", "in", ids).where("revoked_at", "is", null).execute();
  for (const g of grants) {
    await revokeDevice(tx, fx, deps, { orgId: g.org_id, userId: g.user_id, deviceId: g.device_id }, reason);
    fx.audit({
      orgId: g.org_id,
      action: "oauth.grant.revoked",
      target: { kind: "oauth_grant", id: g.id },
      result: "success",
      details: { appId: g.app_id, userId: g.user_id, reason },
    });
  }
  await tx.deleteFrom("oauth_store").where("grant_id", "in", ids).execute();
  await tx
    .deleteFrom("oauth_store")
    .where("kind", "=", "Grant")
    .where(
      "id_hash",
      "in",
      ids.map((id) => hashSecret(id)),
    )
    .execute();
}

async function grantRows(deps: Deps, orgId: string, userId: string | undefined): Promise<GrantRow[]> {
  let q = deps.db
    .selectFrom("oauth_grants as g")
    .innerJoin("oauth_apps as a", "a.id", "g.app_id")
    .selectAll("g")
    .select("a.name as app_name")
    .where("g.org_id", "=", orgId)
    .where("g.revoked_at", "is", null)
    .where("g.expires_at", ">", deps.now());
  if (userId) q = q.where("g.user_id", "=", userId);
  return q.orderBy("g.created_at", "desc").execute();
}

/** Live grants: the user's own, or (admins) the whole org's. */
export async function listOAuthGrants(deps: Deps, p: Actor, own: boolean): Promise<OAuthGrant[]> {
  if (!own) authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  const now = deps.now();
  return (await grantRows(deps, p.orgId, own && p.kind === "device" ? p.userId : undefined)).map((r) => toGrant(r, now));
}

/** Revoke a grant: the user's own, or any of the org's (admins). */
export async function revokeOAuthGrant(deps: Deps, p: Actor, id: string, own: boolean): Promise<void> {
  if (!own) authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "oauth.revokeGrant", async (tx, fx) => {
    const g = await tx.selectFrom("oauth_grants").selectAll().where("org_id", "=", p.orgId).where("id", "=", id).executeTakeFirst();
    if (!g || (own && p.kind === "device" && g.user_id !== p.userId)) throw notFound("grant");
    if (g.revoked_at !== null) return;
    await endGrants(tx, fx, deps, [g], own ? "oauth_grant_revoked" : "oauth_grant_revoked_by_admin");
  });
}
