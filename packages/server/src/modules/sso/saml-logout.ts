/**
 * SAML single logout at the provider's SLO endpoint:
 * - the IdP's LogoutRequest (HTTP-Redirect or HTTP-POST): checked in full (signed by the IdP's
 *   key, its issuer, its time window), refused when its ID was acted on before, then the
 *   sessions the provider started for that NameID (of that IdP session, when a SessionIndex is
 *   named) end, and the browser goes back to the IdP with our signed LogoutResponse;
 * - the IdP's LogoutResponse to our own LogoutRequest (after a sign-out in Parley, which has
 *   already ended the session): nothing to do but send the browser to the web app.
 *
 * Audited like OIDC back-channel logout: `auth.sso.logout` (acted by the IdP), and
 * `auth.sso.logout.refused` for a refused request of a known provider.
 */
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { idpActor } from "../../core/actor.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { revokeSessions } from "../accounts/sessions.ts";
import { SsoCheckFailed } from "./oidc.ts";
import { checkLogoutRequest, logoutResponseUrl } from "./saml.ts";
import { providerOf, type SamlProvider } from "./settings.ts";
import { findProviderRow, samlSessionsToEnd } from "./store.ts";
import { LogoutRefused } from "./backchannel.ts";

/** A message at the SLO endpoint: the query (with its raw string, which a redirect signature covers) or the POSTed form. */
export type SloMessage = { query: Record<string, string>; rawQuery: string } | { body: Record<string, string> };

function fields(m: SloMessage): Record<string, string> {
  return "query" in m ? m.query : m.body;
}

/** Act on an SLO message; returns where the browser goes next. Throws LogoutRefused. */
export async function samlLogout(deps: Deps, ip: string, providerId: string, m: SloMessage): Promise<{ location: string }> {
  const row = await findProviderRow(deps.db, providerId);
  const found = row ? providerOf(deps, row) : undefined;
  if (found?.kind !== "saml" || !found.enabled) throw new LogoutRefused("unknown_provider", "no enabled SAML provider has this id");
  const p: SamlProvider = found;
  const f = fields(m);
  if (!f.SAMLRequest) {
    // The answer to our LogoutRequest: Parley's session ended before the browser left.
    return { location: `${deps.publicUrl.get()}/` };
  }
  const refused = async (r: LogoutRefused) => {
    deps.log.warn({ module: "sso", orgId: p.orgId, providerId: p.id, reason: r.reason }, "SAML logout refused");
    await runCommand(deps, idpActor(p.orgId, "saml"), "sso.logoutRefused", async (_tx, fx) =>
      fx.audit({
        action: "auth.sso.logout.refused",
        target: { kind: "sso_provider", id: p.id },
        result: "failure",
        details: { reason: r.reason, check: r.message, via: "saml" },
        pii: { subject: "-", data: { ip } },
      }),
    );
    return r;
  };
  let request;
  try {
    request = await checkLogoutRequest(deps, p, m);
  } catch (err) {
    if (err instanceof SsoCheckFailed) throw await refused(new LogoutRefused("token_invalid", `the LogoutRequest failed a check (${err.check})`));
    throw err;
  }
  const { profile } = request;
  const now = deps.now();
  try {
    await runCommand(deps, idpActor(p.orgId, "saml"), "sso.samlLogout", async (tx, fx) => {
      await tx.insertInto("sso_saml_replay").values({ provider_id: p.id, message_id: request.requestId, expires_at: request.expiresAt }).execute();
      const sessionIndex = typeof profile.sessionIndex === "string" ? profile.sessionIndex : null;
      const rows = await samlSessionsToEnd(tx, { providerId: p.id, nameId: profile.nameID, sessionIndex, now });
      const byUser = new Map<string, string[]>();
      for (const r of rows) byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), r.id]);
      for (const [userId, sessionIds] of byUser) await revokeSessions(tx, fx, deps, { orgId: p.orgId, userId, sessionIds }, "sso_logout");
      const only = byUser.size === 1 ? [...byUser.keys()][0]! : undefined;
      fx.audit({
        action: "auth.sso.logout",
        target: only ? { kind: "user", id: only } : { kind: "sso_provider", id: p.id },
        result: "success",
        details: { providerId: p.id, via: "saml", by: sessionIndex !== null ? "session_index" : "name_id", sessions: rows.length },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw await refused(new LogoutRefused("replayed", "this LogoutRequest was already used"));
    throw err;
  }
  return { location: await logoutResponseUrl(deps, p, profile, f.RelayState ?? "", true) };
}
