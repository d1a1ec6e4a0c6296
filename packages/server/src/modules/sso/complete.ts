/**
 * The JSON side of a single sign-on: the sign-in screen's provider buttons, the exchange of
 * the one-time code for tokens (`completeSso`, from the browser that started the sign-in),
 * and the IdP's end-session URL for signing out of a session that came from it.
 *
 * A single sign-on starts its session through the same `completeSignIn` as a password: a
 * device is registered or reused, the session is recorded and audited. It skips Parley's own
 * second factor (the IdP authenticates, with its own MFA; its `amr` goes into the audit
 * entry) and the org's "MFA required" enrolment restriction.
 */
import type { AuthTokens, SsoProviderButton } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret } from "../../platform/ids.ts";
import { completeSignIn } from "../accounts/login.ts";
import { findOrgBySlug, getOrg, getUserInOrg } from "../accounts/store.ts";
import { discover, endSessionUrl } from "./oidc.ts";
import { logoutRequestUrl } from "./saml.ts";
import { providerOf, registeredUrls } from "./settings.ts";
import { claimCode, findCode, findProviderRow, listProviderRows } from "./store.ts";

/** How a provider signs in, for audit entries (`via`). */
async function viaOf(deps: Deps, providerId: string): Promise<"oidc" | "saml"> {
  return (await findProviderRow(deps.db, providerId))?.kind ?? "oidc";
}

/** The org's enabled providers as buttons; an unknown org has none (no org enumeration). */
export async function ssoProviderButtons(deps: Deps, orgSlug: string): Promise<{ providers: SsoProviderButton[] }> {
  const org = await findOrgBySlug(deps.db, orgSlug);
  if (!org) return { providers: [] };
  const rows = await listProviderRows(deps.db, org.id);
  return { providers: rows.filter((r) => r.enabled === 1).map((r) => ({ id: r.id, name: r.name })) };
}

const codeInvalid = () => new AppError("sso_failed", "this single sign-on has expired or was already used; sign in again", { reason: "code_invalid" });

/** Exchange the one-time code of `/sso#code=` for tokens. `browserSecret`: the browser-binding cookie. */
export async function completeSso(
  deps: Deps,
  ip: string,
  browserSecret: string | undefined,
  body: { code: string; deviceName?: string | undefined; deviceId?: string | undefined },
): Promise<AuthTokens> {
  await deps.limits.loginIp.consume(ip);
  const codeHash = hashSecret(body.code);
  const row = await findCode(deps.db, codeHash);
  const check = !row
    ? "unknown"
    : row.used_at !== null
      ? "replayed"
      : Number(row.expires_at) <= deps.now()
        ? "expired"
        : !browserSecret || hashSecret(browserSecret) !== row.browser_hash
          ? "browser_mismatch"
          : null;
  if (!row || check) {
    if (row) {
      // Read before the command: a query on deps.db inside its transaction would wait for it (SQLite has one connection).
      const via = await viaOf(deps, row.provider_id);
      await runCommand(deps, null, "sso.completeFailed", async (_tx, fx) =>
        fx.audit({
          orgId: row.org_id,
          actor: { kind: "device", id: row.user_id, deviceId: body.deviceId ?? null },
          action: "auth.login.failed",
          target: { kind: "user", id: row.user_id },
          result: "failure",
          details: { reason: "code_invalid", via, providerId: row.provider_id, check: check ?? "unknown" },
          pii: { subject: row.user_id, data: { ip } },
        }),
      );
    }
    throw codeInvalid();
  }
  const [org, user] = await Promise.all([getOrg(deps.db, row.org_id), getUserInOrg(deps.db, row.org_id, row.user_id)]);
  if (!user || user.deactivated_at !== null) throw new AppError("sso_failed", "this account has been deactivated by an admin", { reason: "deactivated" });
  const amr = row.amr ? (JSON.parse(row.amr) as string[]) : null;
  const via = await viaOf(deps, row.provider_id);
  const tokens = await completeSignIn(deps, ip, {
    org,
    user,
    deviceId: body.deviceId,
    deviceName: body.deviceName ?? row.device_name ?? undefined,
    secondFactor: null,
    sso: {
      providerId: row.provider_id,
      via,
      sid: row.sid,
      amr,
      nameId: row.name_id ?? null,
      nameIdFormat: row.name_id_format ?? null,
    },
    // Claimed in the sign-in's own transaction: a sign-in that fails leaves the code as it was.
    claim: async (tx) => {
      if (!(await claimCode(tx, codeHash, deps.now()))) throw codeInvalid();
    },
  });
  await deps.limits.loginIp.refund(ip);
  return tokens;
}

/**
 * The IdP's end-session URL for the caller's session, when it came from single sign-on
 * (OIDC RP-initiated logout; SAML: the IdP's SLO URL with our signed LogoutRequest for the
 * session's NameID and SessionIndex).
 */
export async function ssoLogoutUrl(deps: Deps, p: DeviceActor): Promise<{ url: string | null }> {
  const session = await deps.db
    .selectFrom("sessions")
    .select(["sso_provider_id", "sso_sid", "sso_name_id", "sso_name_id_format"])
    .where("id", "=", p.sessionId)
    .where("org_id", "=", p.orgId)
    .executeTakeFirst();
  if (!session?.sso_provider_id) return { url: null };
  const row = await findProviderRow(deps.db, session.sso_provider_id);
  const provider = row && row.org_id === p.orgId ? providerOf(deps, row) : undefined;
  if (!provider) return { url: null };
  try {
    if (provider.kind === "saml") {
      if (!session.sso_name_id) return { url: null };
      return {
        url: await logoutRequestUrl(deps, provider, {
          nameId: session.sso_name_id,
          nameIdFormat: session.sso_name_id_format ?? null,
          sessionIndex: session.sso_sid ?? null,
        }),
      };
    }
    const config = await discover(deps, provider, { timeoutSeconds: 5 });
    return { url: endSessionUrl(config, provider.settings.clientId, registeredUrls(deps).postLogoutRedirectUri) };
  } catch (err) {
    // Signing out of Parley never waits for the IdP: without its URL, the browser just stays here.
    deps.log.warn({ module: "sso", orgId: p.orgId, providerId: provider.id, err: (err as Error).message }, "no end-session URL for an SSO sign-out");
    return { url: null };
  }
}
