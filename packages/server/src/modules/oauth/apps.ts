/**
 * OAuth2 apps an org's admins register. Each is a public client (no secret: a browser or
 * native app cannot keep one) that must use the authorization code flow with PKCE S256, may
 * ask for some of the API key scopes, and is sent back only to its exact redirect URIs.
 * Deleting an app revokes every grant to it.
 */
import type { ApiKeyScope, OAuthApp } from "@parley/protocol";
import type { Actor } from "../../context.ts";
import type { Deps } from "../../context.ts";
import type { OAuthAppsTable } from "../../platform/db/oauth-tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { endGrants } from "./grants.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** The client metadata oidc-provider validates and uses (adapter.ts hands it over on lookup). */
export function clientMetadata(app: OAuthAppsTable): Record<string, unknown> {
  const redirectUris = JSON.parse(app.redirect_uris) as string[];
  // Loopback http and private-use schemes are native-app redirects (RFC 8252).
  const native = redirectUris.some((u) => {
    const url = new URL(u);
    return url.protocol !== "https:" && (url.protocol !== "http:" || LOOPBACK.has(url.hostname));
  });
  return {
    client_id: app.id,
    client_name: app.name,
    application_type: native ? "native" : "web",
    redirect_uris: redirectUris,
    response_types: ["code"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "none",
    scope: [...(JSON.parse(app.scopes) as string[]), "offline_access"].join(" "),
  };
}

async function activeGrantCounts(deps: Deps, orgId: string, now: number): Promise<Map<string, number>> {
  const rows = await deps.db
    .selectFrom("oauth_grants")
    .select(["app_id", (eb) => eb.fn.countAll<number>().as("n")])
    .where("org_id", "=", orgId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .groupBy("app_id")
    .execute();
  return new Map(rows.map((r) => [r.app_id, Number(r.n)]));
}

function toOAuthApp(r: OAuthAppsTable, activeGrants: number): OAuthApp {
  return {
    id: r.id,
    clientId: r.id,
    name: r.name,
    redirectUris: JSON.parse(r.redirect_uris) as string[],
    scopes: JSON.parse(r.scopes) as ApiKeyScope[],
    createdAt: Number(r.created_at),
    activeGrants,
  };
}

export async function createOAuthApp(deps: Deps, p: Actor, input: { name: string; redirectUris: string[]; scopes: ApiKeyScope[] }): Promise<OAuthApp> {
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "oauth.createApp", async (tx, fx) => {
    const row: OAuthAppsTable = {
      id: newId("oac"),
      org_id: p.orgId,
      name: input.name,
      redirect_uris: JSON.stringify([...new Set(input.redirectUris)]),
      scopes: JSON.stringify([...new Set(input.scopes)].sort()),
      created_by: actorRef(p),
      created_at: deps.now(),
      deleted_at: null,
    };
    await tx.insertInto("oauth_apps").values(row).execute();
    const app = toOAuthApp(row, 0);
    fx.audit({
      action: "oauth.app.registered",
      target: { kind: "oauth_app", id: app.id },
      result: "success",
      details: { name: app.name, redirectUris: app.redirectUris, scopes: app.scopes },
    });
    return app;
  });
}

export async function listOAuthApps(deps: Deps, p: Actor): Promise<OAuthApp[]> {
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  const rows = await deps.db
    .selectFrom("oauth_apps")
    .selectAll()
    .where("org_id", "=", p.orgId)
    .where("deleted_at", "is", null)
    .orderBy("created_at", "desc")
    .execute();
  const counts = await activeGrantCounts(deps, p.orgId, deps.now());
  return rows.map((r) => toOAuthApp(r, counts.get(r.id) ?? 0));
}

/** Delete an app: its grants are revoked (their sessions end) and its provider state is dropped. */
export async function deleteOAuthApp(deps: Deps, p: Actor, id: string): Promise<void> {
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "oauth.deleteApp", async (tx, fx) => {
    const app = await tx
      .selectFrom("oauth_apps")
      .selectAll()
      .where("org_id", "=", p.orgId)
      .where("id", "=", id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    if (!app) throw notFound("OAuth app");
    await tx.updateTable("oauth_apps").set({ deleted_at: deps.now() }).where("id", "=", id).execute();
    const grants = await tx.selectFrom("oauth_grants").selectAll().where("app_id", "=", id).where("revoked_at", "is", null).execute();
    await endGrants(tx, fx, deps, grants, "oauth_app_deleted");
    fx.audit({ action: "oauth.app.deleted", target: { kind: "oauth_app", id }, result: "success", details: { name: app.name, grantsRevoked: grants.length } });
  });
}
