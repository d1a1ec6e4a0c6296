/**
 * An app's access token, presented as a bearer on the REST API: oidc-provider's opaque token,
 * looked up by its hash (adapter.ts), naming a grant that must still be live, of an app that
 * still exists. What it yields is the grant's session, read and checked by resolvePrincipal()
 * like any other, limited to the scopes of both the token and the grant.
 */
import type { ApiKeyScope } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret } from "../../platform/ids.ts";

/** oidc-provider's opaque tokens are base64url without dots; our own access tokens are JWTs. */
export function isOAuthAccessToken(token: string): boolean {
  return !token.includes(".");
}

export interface OAuthTokenClaims {
  sub: string;
  org: string;
  dev: string;
  sid: string;
  scopes: ApiKeyScope[];
  appId: string;
}

const invalid = () => new AppError("unauthorized", "this app's access token is unknown, expired or revoked");
/** last_used_at is written at most this often per grant. */
const TOUCH_MS = 60_000;

export async function oauthTokenClaims(deps: Deps, token: string): Promise<OAuthTokenClaims> {
  const now = deps.now();
  const row = await deps.db
    .selectFrom("oauth_store as t")
    .innerJoin("oauth_grants as g", "g.id", "t.grant_id")
    .innerJoin("oauth_apps as a", "a.id", "g.app_id")
    .select([
      "t.payload",
      "t.expires_at",
      "g.id",
      "g.org_id",
      "g.user_id",
      "g.device_id",
      "g.session_id",
      "g.scopes",
      "g.expires_at as grant_expires",
      "g.revoked_at",
      "g.last_used_at",
      "a.deleted_at",
    ])
    .where("t.kind", "=", "AccessToken")
    .where("t.id_hash", "=", hashSecret(token))
    .executeTakeFirst();
  if (!row || row.revoked_at !== null || row.deleted_at !== null) throw invalid();
  if ((row.expires_at !== null && Number(row.expires_at) <= now) || Number(row.grant_expires) <= now) throw invalid();
  const payload = JSON.parse(row.payload) as { scope?: string; clientId?: string };
  const granted = new Set(JSON.parse(row.scopes) as ApiKeyScope[]);
  const scopes = (payload.scope ?? "").split(" ").filter((s): s is ApiKeyScope => granted.has(s as ApiKeyScope));
  if (!scopes.length) throw invalid();
  if (row.last_used_at === null || now - Number(row.last_used_at) > TOUCH_MS) {
    await deps.db.updateTable("oauth_grants").set({ last_used_at: now }).where("id", "=", row.id).execute();
  }
  return { sub: row.user_id, org: row.org_id, dev: row.device_id, sid: row.session_id, scopes, appId: payload.clientId ?? "" };
}
