import type { Deps, DeviceActor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { verifyAccessToken, type TokenKeys } from "./tokens.ts";
import { principalAccess } from "../access/org-access.ts";
import { isOAuthAccessToken, oauthTokenClaims } from "../oauth/access-token.ts";

/**
 * Turn a bearer token into a principal. Beyond the JWT itself, the session,
 * device and user are checked on every call so logout, device revocation and
 * deactivation take effect at once rather than when the token expires.
 * With `apps`, an OAuth2 app's access token is accepted too (REST only): it opens
 * its grant's session, limited to the granted scopes (modules/oauth/access-token.ts).
 */
export async function resolvePrincipal(deps: Deps, keys: TokenKeys, token: string, ip = "0.0.0.0", opts: { apps?: boolean } = {}): Promise<DeviceActor> {
  const app = opts.apps && isOAuthAccessToken(token) ? await oauthTokenClaims(deps, token) : undefined;
  const claims = app ?? (await verifyAccessToken(keys, token, deps.now()));
  const row = await deps.db
    .selectFrom("sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .innerJoin("devices as d", "d.id", "s.device_id")
    .innerJoin("orgs as o", "o.id", "s.org_id")
    .select([
      "s.revoked_at as sessionRevoked",
      "s.expires_at",
      "s.restriction",
      "s.scopes",
      "u.role",
      "u.deactivated_at",
      "u.org_id",
      "d.revoked_at as deviceRevoked",
      "o.suspended_at",
      "o.access_version",
    ])
    .where("s.id", "=", claims.sid)
    .where("s.user_id", "=", claims.sub)
    .executeTakeFirst();
  if (!row || row.org_id !== claims.org || row.sessionRevoked !== null || row.deviceRevoked !== null) {
    throw new AppError("unauthorized", "session ended; sign in again");
  }
  // The session's idle lifetime bounds its access tokens too.
  if (row.expires_at <= deps.now()) throw new AppError("unauthorized", "session expired; sign in again");
  if (row.deactivated_at !== null) throw new AppError("user_deactivated", "this account has been deactivated by an admin");
  if (row.suspended_at !== null) throw new AppError("org_suspended", "this organisation is suspended by the server's operator; contact them");
  // The org's custom roles and policies (version 0: it never had any, nothing to load).
  const access = await principalAccess(deps, Number(row.access_version ?? 0), {
    orgId: claims.org,
    userId: claims.sub,
    deviceId: claims.dev,
    sessionId: claims.sid,
    ip,
  });
  return {
    kind: "device",
    orgId: claims.org,
    userId: claims.sub,
    deviceId: claims.dev,
    sessionId: claims.sid,
    role: row.role,
    ...(row.restriction ? { restricted: row.restriction } : {}),
    ...(app ? { scopes: app.scopes, oauthApp: app.appId } : row.scopes ? { scopes: JSON.parse(row.scopes) as DeviceActor["scopes"] } : {}),
    ...(access ? { access } : {}),
  };
}

/** Extract a bearer token from an Authorization header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

/** Routes a session restricted to MFA enrolment may call: who am I, enrol, sign out. */
export const ENROLMENT_ROUTES: ReadonlySet<string> = new Set([
  "me",
  "getMfa",
  "startTotp",
  "confirmTotp",
  "passkeyRegistrationOptions",
  "registerPasskey",
  "listPasskeys",
  "logout",
  "getMfaPolicy",
]);

export function mfaEnrollmentRequired(): AppError {
  return new AppError("mfa_enrollment_required", "your organisation requires multi-factor authentication: set up an authenticator app to continue");
}
