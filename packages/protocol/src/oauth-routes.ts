/**
 * OAuth2 apps (issue 13, docs/oauth-apps.md). Admins register third-party apps (public
 * clients: authorization code with PKCE S256); a signed-in user grants one of them some of
 * the API key scopes ({@link ApiKeyScope}) on the web app's consent page; the app's access
 * token then works as a bearer on this API, limited to the granted scopes, with no
 * end-to-end-encryption keys. Users list and revoke their grants; admins list and delete
 * apps and revoke any grant. The OAuth endpoints themselves (`/oauth/auth`, `/oauth/token`,
 * discovery at `/oauth/.well-known/oauth-authorization-server`) are not JSON API routes.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";
import { ApiKeyScope } from "./api-key-routes.ts";

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * A redirect URI an app may be sent back to: https, http on the loopback address only
 * (native apps, RFC 8252), or an app's private-use scheme (`com.example.app:/cb`); never a
 * fragment. Compared exactly, as OAuth 2.1 asks.
 */
export const OAuthRedirectUri = z
  .string()
  .max(2000)
  .refine((s) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return false;
    }
    if (u.hash || s.includes("#")) return false;
    if (u.protocol === "https:") return true;
    if (u.protocol === "http:") return LOOPBACK.has(u.hostname);
    return /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(u.protocol);
  }, "a redirect URI is https, http on 127.0.0.1/localhost, or a private-use scheme (com.example.app:/path), without a fragment");

/** An app an admin registered. `clientId` is what the app sends as `client_id`. */
export const OAuthApp = z.object({
  id: Id,
  clientId: Id,
  name: z.string(),
  redirectUris: z.array(z.string()),
  scopes: z.array(ApiKeyScope),
  createdAt: Timestamp,
  /** Users holding a live grant. */
  activeGrants: z.number().int().nonnegative(),
});
export type OAuthApp = z.infer<typeof OAuthApp>;

/** A user's consent to an app: what the app's tokens may do, until revoked or expired. */
export const OAuthGrant = z.object({
  id: Id,
  appId: Id,
  appName: z.string(),
  userId: Id,
  scopes: z.array(ApiKeyScope),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revoked: z.boolean(),
});
export type OAuthGrant = z.infer<typeof OAuthGrant>;

/**
 * What the web app's consent page (`/oauth-consent/:uid`) shows: the app, the scopes the user
 * would grant (those the user's role may hold), and where the answer goes. Asked with the
 * user's session and the interaction cookie the authorization endpoint set in that browser.
 */
export const OAuthConsentDetails = z.object({
  uid: z.string(),
  app: z.object({ id: Id, name: z.string() }),
  scopes: z.array(ApiKeyScope),
  /** Requested scopes the user's role cannot grant (the admin scope for a non-admin). */
  withheld: z.array(ApiKeyScope),
  redirectUri: z.string(),
});
export type OAuthConsentDetails = z.infer<typeof OAuthConsentDetails>;

/** The consent page's answer. */
export const OAuthConsentDecision = z.object({ allow: z.boolean() }).strict();
/** Where the browser goes next: back into the authorization flow, which redirects to the app. */
export const OAuthConsentResult = z.object({ redirectTo: z.string() });

const NewOAuthApp = z.object({
  name: z.string().trim().min(1).max(80),
  redirectUris: z.array(OAuthRedirectUri).min(1).max(10),
  scopes: z.array(ApiKeyScope).min(1).max(3),
});
const IdParams = z.object({ id: Id });
const UidParams = z.object({ uid: z.string().regex(/^[A-Za-z0-9_-]{10,100}$/, "must be a consent request id") });

export const oauthRoutes = {
  getOAuthConsent: route({
    method: "GET",
    path: "/oauth/consent/:uid",
    tag: "oauth-consent",
    auth: "user",
    summary: "What an app asks for, for the consent page (the browser's interaction cookie names the request); another org's app is not found",
    params: UidParams,
    response: OAuthConsentDetails,
    errors: ["forbidden"],
    noStore: true,
  }),
  answerOAuthConsent: route({
    method: "POST",
    path: "/oauth/consent/:uid",
    tag: "oauth-consent",
    auth: "user",
    summary: "Allow (the grant is stored) or deny an app's request; answers where the browser goes next",
    params: UidParams,
    body: OAuthConsentDecision,
    response: OAuthConsentResult,
    errors: ["forbidden"],
    noStore: true,
  }),
  createOAuthApp: route({
    method: "POST",
    path: "/oauth-apps",
    tag: "oauth-apps",
    auth: "user",
    status: 201,
    summary: "Register an OAuth2 app (admins): a public client using the authorization code flow with PKCE S256",
    body: NewOAuthApp,
    response: OAuthApp,
    errors: ["forbidden"],
  }),
  listOAuthApps: route({
    method: "GET",
    path: "/oauth-apps",
    tag: "oauth-apps",
    auth: "user",
    summary: "The org's OAuth2 apps (admins)",
    response: z.object({ apps: z.array(OAuthApp) }),
    errors: ["forbidden"],
  }),
  deleteOAuthApp: route({
    method: "DELETE",
    path: "/oauth-apps/:id",
    tag: "oauth-apps",
    auth: "user",
    summary: "Delete an OAuth2 app (admins): every grant to it is revoked and its tokens stop working at once",
    params: IdParams,
    response: null,
    errors: ["forbidden"],
  }),
  listOAuthGrants: route({
    method: "GET",
    path: "/oauth-grants",
    tag: "oauth-apps",
    auth: "user",
    summary: "Every live grant of the org's users to OAuth2 apps (admins)",
    response: z.object({ grants: z.array(OAuthGrant) }),
    errors: ["forbidden"],
  }),
  revokeOAuthGrant: route({
    method: "DELETE",
    path: "/oauth-grants/:id",
    tag: "oauth-apps",
    auth: "user",
    summary: "Revoke any user's grant to an app (admins): its tokens stop working at once",
    params: IdParams,
    response: null,
    errors: ["forbidden"],
  }),
  listMyOAuthGrants: route({
    method: "GET",
    path: "/me/oauth-grants",
    tag: "oauth-grants",
    auth: "user",
    summary: "The apps you connected (your live grants)",
    response: z.object({ grants: z.array(OAuthGrant) }),
  }),
  revokeMyOAuthGrant: route({
    method: "DELETE",
    path: "/me/oauth-grants/:id",
    tag: "oauth-grants",
    auth: "user",
    summary: "Disconnect an app: your grant is revoked and its tokens stop working at once",
    params: IdParams,
    response: null,
  }),
} as const;
