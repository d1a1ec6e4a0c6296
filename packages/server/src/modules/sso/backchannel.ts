/**
 * OIDC Back-Channel Logout 1.0: the IdP POSTs a `logout_token` (a JWT) when a user's IdP
 * session ends, and the Parley sessions it started end too.
 *
 * The token is checked in full before anything happens: the provider is the enabled one whose
 * issuer and client id it names (`iss`, `aud`); its signature verifies with the IdP's JWKS
 * (discovery's `jwks_uri`) under the provider's algorithm only; it is fresh (`iat`, at most 5
 * minutes old; `exp` when present); it carries the back-channel logout event, a `sid` or a
 * `sub`, a `jti`, and no `nonce` (an ID token is not a logout token). A `jti` acted on before
 * is refused (a replay), in the same transaction that ends the sessions.
 *
 * Sessions that end: those the provider started with that IdP session (`sid`), or with `sub`
 * alone, every session the provider started for the linked account. Audited in the org
 * (`auth.sso.logout`, acted by the IdP); a refused token whose provider is known is audited
 * too (`auth.sso.logout.refused`).
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from "jose";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { idpActor } from "../../core/actor.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { revokeSessions } from "../accounts/sessions.ts";
import { discover, IdpUnavailable } from "./oidc.ts";
import { providerOf, type OidcProvider as Provider } from "./settings.ts";
import { findIdentity, listEnabledProviderRows, sessionsToEnd } from "./store.ts";

const LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";
const MAX_AGE_SECONDS = 5 * 60;

/** A logout token that is refused: the answer is 400 with this description. */
export class LogoutRefused extends Error {
  override name = "LogoutRefused";
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

async function providerFor(deps: Deps, payload: JWTPayload): Promise<Provider | undefined> {
  const aud = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
  const rows = await listEnabledProviderRows(deps.db);
  return rows
    .map((r) => providerOf(deps, r))
    .find((p): p is Provider => p?.kind === "oidc" && p.enabled && p.settings.issuer === payload.iss && aud.includes(p.settings.clientId));
}

async function verified(deps: Deps, p: Provider, token: string): Promise<JWTPayload> {
  const meta = (await discover(deps, p)).serverMetadata();
  if (!meta.jwks_uri) throw new LogoutRefused("no_jwks", "the IdP publishes no JWKS");
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: 10_000 }), {
      issuer: p.settings.issuer,
      audience: p.settings.clientId,
      algorithms: [p.settings.idTokenSigningAlg],
      maxTokenAge: MAX_AGE_SECONDS,
      currentDate: new Date(deps.now()),
      requiredClaims: ["iat", "jti"],
    }));
  } catch (err) {
    const code = (err as { code?: string }).code ?? "invalid";
    throw new LogoutRefused("token_invalid", `the logout token failed a check (${code})`);
  }
  const events = payload.events as Record<string, unknown> | undefined;
  if (!events || typeof events !== "object" || typeof events[LOGOUT_EVENT] !== "object")
    throw new LogoutRefused("token_invalid", "not a back-channel logout token (no logout event)");
  if ("nonce" in payload) throw new LogoutRefused("token_invalid", "a logout token carries no nonce");
  if (typeof payload.sid !== "string" && typeof payload.sub !== "string")
    throw new LogoutRefused("token_invalid", "the logout token names neither sid nor sub");
  if (typeof payload.jti !== "string") throw new LogoutRefused("token_invalid", "the logout token has no jti");
  return payload;
}

/** Act on a logout token; returns how many sessions ended. Throws LogoutRefused. */
export async function backchannelLogout(deps: Deps, ip: string, token: string | undefined): Promise<number> {
  if (!token) throw new LogoutRefused("missing", "send logout_token");
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw new LogoutRefused("malformed", "logout_token is not a JWT");
  }
  const p = await providerFor(deps, unverified);
  if (!p) throw new LogoutRefused("unknown_provider", "no enabled provider has this issuer and client id");
  const refused = async (r: LogoutRefused) => {
    deps.log.warn({ module: "sso", orgId: p.orgId, providerId: p.id, reason: r.reason }, "back-channel logout refused");
    await runCommand(deps, idpActor(p.orgId, "oidc"), "sso.logoutRefused", async (_tx, fx) =>
      fx.audit({
        action: "auth.sso.logout.refused",
        target: { kind: "sso_provider", id: p.id },
        result: "failure",
        details: { reason: r.reason, check: r.message },
        pii: { subject: "-", data: { ip } },
      }),
    );
    return r;
  };
  let payload: JWTPayload;
  try {
    payload = await verified(deps, p, token);
  } catch (err) {
    if (err instanceof IdpUnavailable) throw await refused(new LogoutRefused("idp_unavailable", err.message));
    if (err instanceof LogoutRefused) throw await refused(err);
    throw err;
  }
  const sid = typeof payload.sid === "string" ? payload.sid : null;
  const sub = typeof payload.sub === "string" ? payload.sub : null;
  const now = deps.now();
  try {
    return await runCommand(deps, idpActor(p.orgId, "oidc"), "sso.backchannelLogout", async (tx, fx) => {
      await tx
        .insertInto("sso_logout_tokens")
        .values({ provider_id: p.id, jti: payload.jti!, expires_at: Math.max(now, (payload.exp ?? payload.iat! + MAX_AGE_SECONDS) * 1000) })
        .execute();
      const identity = sub !== null ? await findIdentity(tx, p.id, sub) : undefined;
      // A sub the org does not know ends nothing (and names nobody's sessions by sid alone either).
      const rows = sub !== null && !identity ? [] : await sessionsToEnd(tx, { providerId: p.id, sid, userId: identity?.user_id ?? null, now });
      const byUser = new Map<string, string[]>();
      for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.id]);
      for (const [userId, sessionIds] of byUser) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId, sessionIds }, "sso_logout");
      fx.audit({
        action: "auth.sso.logout",
        target: identity ? { kind: "user", id: identity.user_id } : { kind: "sso_provider", id: p.id },
        result: "success",
        details: { providerId: p.id, by: sid !== null ? "sid" : "sub", sessions: rows.length },
      });
      return rows.length;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw await refused(new LogoutRefused("replayed", "this logout token was already used"));
    throw err;
  }
}
