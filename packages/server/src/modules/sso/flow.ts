/**
 * The browser's way through an OIDC sign-in (http/sso.ts turns these into redirects):
 *
 * 1. `start`: the provider's discovery document, a one-time state row (state hashed, nonce,
 *    PKCE verifier sealed, the browser-binding cookie hashed, 10 minutes), and the IdP's
 *    authorization URL (code flow, PKCE S256).
 * 2. `callback`: the state is claimed (single use), must be fresh and come back to the browser
 *    that started it (the cookie: a callback URL someone else started cannot sign this browser
 *    in); the code is exchanged with the verifier and the ID token checked (oidc.ts); the
 *    account is found or made and the mappings applied (provision.ts); the browser goes to the
 *    web app with a one-time code in the fragment, which `completeSso` exchanges for tokens.
 *
 * A SAML sign-in takes the same way with other messages: `start` sends a signed AuthnRequest
 * (HTTP-Redirect, RelayState = the state, its ID kept in the state row as the nonce), and the
 * IdP POSTs its response to the provider's ACS (`acs`). That cross-site POST carries no
 * SameSite=Lax cookie, so the ACS checks the response in full (saml.ts) without the browser
 * binding, claims the state named by RelayState (whose request ID the response must answer),
 * refuses an assertion ID seen before, and hands out the one-time code bound to the browser
 * hash of the state row: `completeSso` checks the cookie as for OIDC.
 *
 * Every refusal after the state names an org is audited there (`auth.login.failed`, `via:
 * "oidc"` or `"saml"`, the reason and the failed check), counts against the address's failed sign-ins,
 * and sends the browser to `/sso#error=CODE&reason=…&message=…`. Nothing a refused sign-in
 * did stays: the state is used up, and provisioning commits all of it or none.
 */
import type { ErrorCode } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { hashSecret, newSecret } from "../../platform/ids.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { LimitExceeded } from "../../platform/limits/index.ts";
import { authorizationRequest, discover, exchangeCode, IdpUnavailable, SsoCheckFailed } from "./oidc.ts";
import { provisionSignIn } from "./provision.ts";
import { authnRequestUrl, checkAssertion, claimsOf, newRequestId, subjectOf } from "./saml.ts";
import { CALLBACK_PATH, providerOf, WEB_LANDING_PATH, type Provider } from "./settings.ts";
import { claimState, findProviderRow, findState, sweepExpired } from "./store.ts";

/** How long the browser has at the IdP. */
const STATE_TTL_MS = 10 * 60 * 1000;

/** Where the browser goes next. */
export interface Redirect {
  location: string;
}

/** A refused step: the error code and reason the web app shows. */
class Refusal extends Error {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly check: string | undefined;
  constructor(code: ErrorCode, reason: string, message: string, check?: string) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.check = check;
  }
}

function errorLanding(deps: Deps, code: ErrorCode, reason: string, message: string): string {
  const f = new URLSearchParams({ error: code, reason, message });
  return `${deps.publicUrl.get()}${WEB_LANDING_PATH}#${f.toString()}`;
}

function refusalOf(err: unknown): Refusal {
  if (err instanceof Refusal) return err;
  if (err instanceof IdpUnavailable) {
    return new Refusal(
      "idp_unavailable",
      "idp_unavailable",
      "your organisation's identity provider cannot be reached right now: try again in a few minutes",
      err.stage,
    );
  }
  if (err instanceof SsoCheckFailed) {
    const messages = {
      idp_error: err.message,
      code_rejected: "the identity provider refused this sign-in's code; start again",
      token_invalid: "the identity provider's answer failed a security check; start again, and tell an admin if it keeps happening",
      configuration: "single sign-on is not set up correctly for your organisation; ask an admin to test the provider",
    } as const;
    return new Refusal("sso_failed", err.reason, messages[err.reason], err.check);
  }
  if (err instanceof LimitExceeded) return new Refusal("login_throttled", "throttled", err.message);
  if (err instanceof AppError && err.code === "sso_failed") {
    return new Refusal("sso_failed", (err.details as { reason?: string } | undefined)?.reason ?? "refused", err.message);
  }
  throw err;
}

/** Record a refused sign-in in the org and count it against the address. */
async function recordRefusal(deps: Deps, ip: string, at: { orgId: string; providerId: string; via: "oidc" | "saml" }, r: Refusal): Promise<void> {
  const { orgId, providerId } = at;
  deps.log.warn({ module: "sso", orgId, providerId, reason: r.reason, check: r.check }, "single sign-on refused");
  await runCommand(deps, null, "sso.signInFailed", async (_tx, fx) =>
    fx.audit({
      orgId,
      actor: { kind: "device", id: null, deviceId: null },
      action: "auth.login.failed",
      target: null,
      result: "failure",
      details: { reason: r.reason, via: at.via, providerId, ...(r.check ? { check: r.check } : {}) },
      pii: { subject: "-", data: { ip } },
    }),
  );
  try {
    await deps.limits.loginIp.consume(ip);
  } catch {
    // Already locked: the next attempt is refused at its start.
  }
}

async function refuseIfThrottled(deps: Deps, ip: string): Promise<void> {
  const wait = await deps.limits.loginIp.blocked(ip);
  if (wait > 0) throw new Refusal("login_throttled", "throttled", `too many failed sign-ins from this address; retry in ${wait}s`);
}

async function enabledProvider(deps: Deps, providerId: string, orgId?: string): Promise<Provider> {
  const row = await findProviderRow(deps.db, providerId);
  const p = row ? providerOf(deps, row) : undefined;
  if (!p || !p.enabled || (orgId !== undefined && p.orgId !== orgId)) {
    throw new Refusal("sso_failed", "provider_unknown", "this sign-in option no longer exists; go back to the sign-in screen");
  }
  return p;
}

/** Step 1: send the browser to the IdP. `browserSecret` is the value of the browser-binding cookie. */
export async function start(deps: Deps, ip: string, a: { providerId: string; deviceName: string | null; browserSecret: string }): Promise<Redirect> {
  let p: Provider | undefined;
  try {
    await refuseIfThrottled(deps, ip);
    p = await enabledProvider(deps, a.providerId);
    let req: { url: string; state: string; nonce: string };
    let sealedVerifier = "";
    if (p.kind === "saml") {
      // SAML has no PKCE: the AuthnRequest ID is what the answer must name (InResponseTo).
      const state = newSecret();
      const requestId = newRequestId();
      req = { url: await authnRequestUrl(deps, p, requestId, state), state, nonce: requestId };
    } else {
      const config = await discover(deps, p);
      const oidc = await authorizationRequest(config, p, deps.publicUrl.get() + CALLBACK_PATH);
      req = { url: oidc.url.href, state: oidc.state, nonce: oidc.nonce };
      sealedVerifier = await deps.kms.seal(new TextEncoder().encode(oidc.codeVerifier), `sso-pkce:${hashSecret(oidc.state)}`, { orgId: p.orgId });
    }
    const stateHash = hashSecret(req.state);
    const now = deps.now();
    const provider = p;
    await runCommand(deps, null, "sso.start", async (tx) => {
      await sweepExpired(tx, now);
      await tx
        .insertInto("sso_states")
        .values({
          state_hash: stateHash,
          org_id: provider.orgId,
          provider_id: provider.id,
          nonce: req.nonce,
          code_verifier: sealedVerifier,
          browser_hash: hashSecret(a.browserSecret),
          device_name: a.deviceName,
          created_at: now,
          expires_at: now + STATE_TTL_MS,
          used_at: null,
        })
        .execute();
    });
    return { location: req.url };
  } catch (err) {
    const r = refusalOf(err);
    if (p && r.code !== "login_throttled") await recordRefusal(deps, ip, { orgId: p.orgId, providerId: p.id, via: p.kind }, r);
    return { location: errorLanding(deps, r.code, r.reason, r.message) };
  }
}

/** Step 2: the IdP sent the browser back. `query` is the callback's query string. */
export async function callback(deps: Deps, ip: string, a: { query: URLSearchParams; browserSecret: string | undefined }): Promise<Redirect> {
  let at: { orgId: string; providerId: string } | undefined;
  try {
    await refuseIfThrottled(deps, ip);
    const state = a.query.get("state");
    const row = state ? await findState(deps.db, hashSecret(state)) : undefined;
    if (!state || !row) {
      // No org to record it in; it still counts against the address.
      await deps.limits.loginIp.consume(ip).catch(() => undefined);
      return { location: errorLanding(deps, "sso_failed", "state_invalid", "this sign-in link is unknown; start again from the sign-in screen") };
    }
    at = { orgId: row.org_id, providerId: row.provider_id };
    const claimed = await runCommand(deps, null, "sso.claimState", (tx) => claimState(tx, row.state_hash, deps.now()));
    if (!claimed) throw new Refusal("sso_failed", "state_invalid", "this sign-in was already used; start again from the sign-in screen", "replayed");
    if (Number(row.expires_at) <= deps.now())
      throw new Refusal("sso_failed", "state_invalid", "this sign-in took too long; start again from the sign-in screen", "expired");
    if (!a.browserSecret || hashSecret(a.browserSecret) !== row.browser_hash) {
      throw new Refusal("sso_failed", "state_invalid", "this sign-in was started in another browser; start again from the sign-in screen", "browser_mismatch");
    }
    const p = await enabledProvider(deps, row.provider_id, row.org_id);
    // A SAML sign-in's state is only good at its provider's ACS.
    if (p.kind !== "oidc") throw new Refusal("sso_failed", "state_invalid", "this sign-in link is unknown; start again from the sign-in screen", "wrong_kind");
    const config = await discover(deps, p);
    const callbackUrl = new URL(deps.publicUrl.get() + CALLBACK_PATH);
    for (const [k, v] of a.query) callbackUrl.searchParams.append(k, v);
    const codeVerifier = new TextDecoder().decode(await deps.kms.open(row.code_verifier, `sso-pkce:${row.state_hash}`, { orgId: row.org_id }));
    const signIn = await exchangeCode(config, callbackUrl, { state, nonce: row.nonce, codeVerifier });
    const out = await provisionSignIn(deps, p, signIn, { browserHash: row.browser_hash, deviceName: row.device_name });
    const f = new URLSearchParams({ code: out.code });
    return { location: `${deps.publicUrl.get()}${WEB_LANDING_PATH}#${f.toString()}` };
  } catch (err) {
    const r = refusalOf(err);
    if (at && r.code !== "login_throttled") await recordRefusal(deps, ip, { ...at, via: "oidc" }, r);
    return { location: errorLanding(deps, r.code, r.reason, r.message) };
  }
}

/** Step 2 of a SAML sign-in: the IdP POSTed its response (form fields SAMLResponse, RelayState) to the provider's ACS. */
export async function acs(
  deps: Deps,
  ip: string,
  a: { providerId: string; samlResponse: string | undefined; relayState: string | undefined },
): Promise<Redirect> {
  let at: { orgId: string; providerId: string; via: "saml" } | undefined;
  try {
    await refuseIfThrottled(deps, ip);
    const p = await enabledProvider(deps, a.providerId);
    if (p.kind !== "saml") throw new Refusal("sso_failed", "provider_unknown", "this sign-in option no longer exists; go back to the sign-in screen");
    at = { orgId: p.orgId, providerId: p.id, via: "saml" };
    const row = a.relayState ? await findState(deps.db, hashSecret(a.relayState)) : undefined;
    // No state of this provider: an IdP-initiated (unsolicited) response, or one for another provider.
    if (!row || row.provider_id !== p.id || row.org_id !== p.orgId) {
      throw new Refusal("sso_failed", "state_invalid", "sign-ins must start at Parley's sign-in screen; start again there", "unsolicited");
    }
    if (!a.samlResponse) throw new Refusal("sso_failed", "token_invalid", "the identity provider sent no SAML response; start again", "missing");
    const claimed = await runCommand(deps, null, "sso.claimState", (tx) => claimState(tx, row.state_hash, deps.now()));
    if (!claimed) throw new Refusal("sso_failed", "state_invalid", "this sign-in was already used; start again from the sign-in screen", "replayed");
    if (Number(row.expires_at) <= deps.now())
      throw new Refusal("sso_failed", "state_invalid", "this sign-in took too long; start again from the sign-in screen", "expired");
    const checked = await checkAssertion(deps, p, a.samlResponse, { requestId: row.nonce, createdAt: Number(row.created_at), ttlMs: STATE_TTL_MS });
    const sub = subjectOf(p, checked.profile);
    try {
      await runCommand(deps, null, "sso.samlAssertionSeen", (tx) =>
        tx.insertInto("sso_saml_replay").values({ provider_id: p.id, message_id: checked.assertionId, expires_at: checked.expiresAt }).execute(),
      );
    } catch (err) {
      if (isUniqueViolation(err))
        throw new Refusal("sso_failed", "token_invalid", "this sign-in was already used; start again from the sign-in screen", "assertion_replayed");
      throw err;
    }
    const { profile } = checked;
    const out = await provisionSignIn(
      deps,
      p,
      {
        claims: claimsOf(p, profile),
        sub,
        sid: profile.sessionIndex ?? null,
        amr: null,
        nameId: { value: profile.nameID, format: profile.nameIDFormat ?? null },
      },
      { browserHash: row.browser_hash, deviceName: row.device_name },
    );
    const f = new URLSearchParams({ code: out.code });
    return { location: `${deps.publicUrl.get()}${WEB_LANDING_PATH}#${f.toString()}` };
  } catch (err) {
    const r = refusalOf(err);
    if (at && r.code !== "login_throttled") await recordRefusal(deps, ip, at, r);
    else if (!at && r.code !== "login_throttled") await deps.limits.loginIp.consume(ip).catch(() => undefined);
    return { location: errorLanding(deps, r.code, r.reason, r.message) };
  }
}
