/**
 * The OAuth2 authorization server: `oidc-provider`, configured for Parley's apps and built
 * once per server on first use (the issuer is the public URL + /oauth, known once the server
 * listens). Only the authorization code flow with PKCE S256 for public clients; access tokens
 * are opaque, for one resource (this server's REST API, `/api/v1`), carrying the scopes the user
 * granted; a rotating refresh token with each, valid while the grant is.
 *
 * Every authorization request goes through the web app's consent page (the extra login check
 * below): the person signed in to Parley in that browser answers, and the provider's own
 * session never stands in for them.
 */
import Provider, { errors, interactionPolicy, type Configuration } from "oidc-provider";
import type { Deps } from "../../context.ts";
import { oauthKeys } from "./keys.ts";
import { databaseAdapter } from "./adapter.ts";
import { GRANT_TTL_SECONDS } from "./grants.ts";
import { oncePerServer } from "../../core/once-per-server.ts";

/** Where the provider's endpoints live (`/oauth/auth`, `/oauth/token`, …). */
export const OAUTH_MOUNT = "/oauth";
/** The web app's consent page (`/oauth-consent/:uid`); it calls the API's /oauth/consent/:uid routes. */
const CONSENT_PATH = "/oauth-consent";
/** The scopes an app may hold: the API key scopes. */
export const API_SCOPES = ["read", "write", "admin"] as const;
const ACCESS_TOKEN_TTL = 3600;

/** The resource (audience) of every access token: this server's REST API. */
export function apiResource(deps: Deps): string {
  return `${deps.publicUrl.get()}/api/v1`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The server's provider, built on first use. */
export const oauthProvider = oncePerServer(build);

async function build(deps: Deps): Promise<Provider> {
  const keys = await oauthKeys(deps);
  const resource = apiResource(deps);
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy
    .get("login")
    .checks.add(
      new Check("parley_consent", "the Parley user answers on the consent page", (ctx) =>
        ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
      ),
      0,
    );
  const log = deps.log.child({ module: "oauth" });
  const config: Configuration = {
    adapter: databaseAdapter(deps),
    jwks: { keys: [keys.signingKey] },
    // The interaction cookie's path is "/" (oidc-provider would scope it to the consent page's
    // path) so that the page's API calls (/api/v1/oauth/consent/:uid) carry it.
    cookies: { keys: keys.cookieKeys, long: { signed: true, sameSite: "lax" }, short: { signed: true, sameSite: "lax", path: "/" } },
    clientDefaults: {
      id_token_signed_response_alg: "ES256",
      response_types: ["code"],
      grant_types: ["authorization_code", "refresh_token"],
      token_endpoint_auth_method: "none",
    },
    scopes: ["openid", "offline_access", ...API_SCOPES],
    responseTypes: ["code"],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return { scope: API_SCOPES.join(" "), audience: resource, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: "opaque" };
        },
      },
    },
    // Every code gives a refresh token (rotated on use: public clients), valid as long as the
    // grant; offline_access is not needed (OIDC would also demand prompt=consent for it, and
    // every authorization here asks the user anyway).
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // The grant (oauth_grants) governs how long tokens live, not the provider's browser session.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      IdToken: ACCESS_TOKEN_TTL,
      Interaction: 600,
      Session: 600,
      Grant: GRANT_TTL_SECONDS,
      RefreshToken: GRANT_TTL_SECONDS,
    },
    // A bare page for the errors that cannot go back to the app (an unknown client or redirect URI).
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Parley: sign-in error</title></head><body><h1>This app's request cannot be completed</h1><p>${escapeHtml(String(out.error ?? "error"))}: ${escapeHtml(String(out.error_description ?? ""))}</p></body></html>`;
    },
    interactions: { url: (_ctx, interaction) => `${CONSENT_PATH}/${interaction.uid}`, policy },
    // The account is the Parley user who consented, still active and still in the app's org.
    findAccount: async (ctx, sub) => {
      const clientId = ctx.oidc.client?.clientId;
      const row = await deps.db
        .selectFrom("users as u")
        .innerJoin("oauth_apps as a", "a.org_id", "u.org_id")
        .select("u.id")
        .where("u.id", "=", sub)
        .where("u.deactivated_at", "is", null)
        .where("a.id", "=", clientId ?? "")
        .executeTakeFirst();
      return row ? { accountId: row.id, claims: async () => ({ sub: row.id }) } : undefined;
    },
  };
  const provider = new Provider(`${deps.publicUrl.get()}${OAUTH_MOUNT}`, config);
  provider.proxy = deps.config.trustProxy;
  provider.on("server_error", (_ctx, err) => log.error({ err }, "oauth provider error"));
  return provider;
}
