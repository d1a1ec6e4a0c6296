/**
 * Parley as an OpenID Connect relying party, through `openid-client` (v6): discovery, the
 * authorization URL (code flow, PKCE S256, state, nonce), the code exchange with every
 * check of the ID token, userinfo, and the end-session URL.
 *
 * The ID token is checked beyond what the code flow needs: its signature against the IdP's
 * JWKS (`enableNonRepudiationChecks`; over TLS it is optional, but it is what makes a
 * tampered token fail even from a compromised network path) and its algorithm against the
 * one the client is registered with (`id_token_signed_response_alg`, asymmetric only), so
 * `alg: none` and HS256 "signed" with the public key are refused.
 *
 * Discovery runs on every sign-in (no cache): an IdP that changed is picked up at once, and
 * one that is down is reported as such instead of sending the browser to a dead page.
 * Plain http:// is refused unless the issuer is on 127.0.0.1/localhost or the server allows
 * it (PARLEY_SSO_ALLOW_HTTP_ISSUERS).
 */
import * as client from "openid-client";
import type { Deps } from "../../context.ts";
import type { OidcProvider as Provider } from "./settings.ts";

/** Seconds before a request to the IdP gives up. */
const IDP_TIMEOUT_SECONDS = 10;

/** The IdP could not be reached (network, timeout, 5xx, no usable discovery document). */
export class IdpUnavailable extends Error {
  override name = "IdpUnavailable";
  readonly stage: "discovery" | "token" | "userinfo" | "jwks";
  constructor(stage: IdpUnavailable["stage"], message: string) {
    super(message);
    this.stage = stage;
  }
}

/** The IdP answered but the answer fails a check; `reason` is the protocol's sso_failed reason. */
export class SsoCheckFailed extends Error {
  override name = "SsoCheckFailed";
  readonly reason: "idp_error" | "code_rejected" | "token_invalid" | "configuration";
  /** What failed, for the audit entry and the log (never a token). */
  readonly check: string;
  constructor(reason: SsoCheckFailed["reason"], check: string, message: string) {
    super(message);
    this.reason = reason;
    this.check = check;
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** Whether the server may talk to this issuer over plain http. */
export function httpAllowed(deps: Deps, issuer: URL): boolean {
  return issuer.protocol === "https:" || LOOPBACK.has(issuer.hostname) || deps.config.ssoAllowHttpIssuers;
}

function networkFailure(err: unknown): string | undefined {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string; status?: number } };
  if (err instanceof TypeError) return e.cause?.code ?? e.cause?.message ?? e.message;
  if (e?.code === "OAUTH_TIMEOUT" || e?.code === "OAUTH_ABORT") return "timed out";
  if (e?.code === "OAUTH_RESPONSE_IS_NOT_CONFORM" || e?.code === "OAUTH_RESPONSE_IS_NOT_JSON") {
    const status = (e.cause as { status?: number } | undefined)?.status;
    return `unexpected answer${status ? ` (HTTP ${status})` : ""}`;
  }
  if (err instanceof client.ResponseBodyError && err.status >= 500) return `HTTP ${err.status}`;
  return undefined;
}

/** The IdP's configuration for this provider (discovery), or IdpUnavailable / SsoCheckFailed("configuration"). */
export async function discover(deps: Deps, p: Provider, opts: { timeoutSeconds?: number } = {}): Promise<client.Configuration> {
  const issuer = new URL(p.settings.issuer);
  if (!httpAllowed(deps, issuer)) {
    throw new SsoCheckFailed("configuration", "http_issuer", "the issuer uses plain http://; use https (http is allowed for 127.0.0.1 and localhost only)");
  }
  const secret = await p.clientSecret();
  const metadata: Partial<client.ClientMetadata> = { id_token_signed_response_alg: p.settings.idTokenSigningAlg };
  try {
    return await client.discovery(issuer, p.settings.clientId, metadata, secret === null ? client.None() : client.ClientSecretBasic(secret), {
      execute: [client.enableNonRepudiationChecks, ...(issuer.protocol === "http:" ? [client.allowInsecureRequests] : [])],
      timeout: opts.timeoutSeconds ?? IDP_TIMEOUT_SECONDS,
    });
  } catch (err) {
    const network = networkFailure(err);
    if (network !== undefined) throw new IdpUnavailable("discovery", `discovery at ${issuer.origin} failed: ${network}`);
    const code = (err as { code?: string }).code ?? "error";
    // e.g. the document names another issuer (OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED): a wrong issuer URL.
    throw new SsoCheckFailed("configuration", code, `discovery at ${issuer.origin} failed: ${(err as Error).message}`);
  }
}

/** What the authorization redirect carries, kept by the caller for the callback. */
export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function authorizationRequest(config: client.Configuration, p: Provider, redirectUri: string): Promise<AuthorizationRequest> {
  const meta = config.serverMetadata();
  const methods = meta.code_challenge_methods_supported;
  // PKCE S256 always; an IdP that says it lacks S256 is refused rather than downgraded.
  if (Array.isArray(methods) && !methods.includes("S256")) {
    throw new SsoCheckFailed("configuration", "pkce_s256", "the IdP does not support PKCE with S256");
  }
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    response_type: "code",
    scope: p.settings.scopes.join(" "),
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
  });
  return { url, state, nonce, codeVerifier };
}

/** What a successful code exchange yields. */
export interface SignInClaims {
  /** ID token claims, with userinfo's claims under them (the ID token wins). */
  claims: Record<string, unknown>;
  sub: string;
  /** The IdP's session id, for back-channel logout. */
  sid: string | null;
  amr: string[] | null;
  /** SAML: the assertion's NameID, which single logout names. */
  nameId?: { value: string; format: string | null };
}

/**
 * Exchange the code from the callback URL (the registered redirect URI plus the query the
 * IdP sent) and check everything: state, the IdP's `iss` parameter when it sends one, the
 * token endpoint's answer (PKCE), and the ID token (signature, alg, iss, aud, azp, exp, iat, nonce).
 */
export async function exchangeCode(
  config: client.Configuration,
  callbackUrl: URL,
  expected: { state: string; nonce: string; codeVerifier: string },
): Promise<SignInClaims> {
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      expectedState: expected.state,
      expectedNonce: expected.nonce,
      pkceCodeVerifier: expected.codeVerifier,
      idTokenExpected: true,
    });
  } catch (err) {
    throw classify(err, "token");
  }
  const idClaims = tokens.claims();
  if (!idClaims) throw new SsoCheckFailed("token_invalid", "id_token_missing", "the IdP sent no ID token");
  let userinfo: Record<string, unknown> = {};
  if (config.serverMetadata().userinfo_endpoint && tokens.access_token) {
    try {
      userinfo = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)) };
    } catch (err) {
      throw classify(err, "userinfo");
    }
  }
  const claims: Record<string, unknown> = { ...userinfo, ...idClaims };
  const amr = Array.isArray(idClaims.amr) ? idClaims.amr.filter((v): v is string => typeof v === "string").slice(0, 10) : null;
  return { claims, sub: idClaims.sub, sid: typeof idClaims.sid === "string" ? idClaims.sid : null, amr };
}

function classify(err: unknown, stage: "token" | "userinfo"): Error {
  const network = networkFailure(err);
  if (network !== undefined) return new IdpUnavailable(stage, `the IdP's ${stage} endpoint failed: ${network}`);
  if (err instanceof client.AuthorizationResponseError) {
    return new SsoCheckFailed("idp_error", err.error, `the IdP refused the sign-in: ${err.error_description ?? err.error}`);
  }
  if (err instanceof client.ResponseBodyError) {
    // invalid_grant: a code that is used, expired, issued to another client, or a PKCE verifier that does not match.
    return new SsoCheckFailed("code_rejected", err.error, `the IdP refused the authorization code: ${err.error_description ?? err.error}`);
  }
  const e = err as { code?: string; message?: string; cause?: { message?: string; code?: string } };
  if (e?.code === "OAUTH_JWT_CLAIM_COMPARISON_FAILED" && /state/i.test(e.message ?? "")) {
    return new SsoCheckFailed("token_invalid", "state", "the state of the answer does not match");
  }
  const detail = [...new Set([e?.code, e?.cause?.code, e?.cause?.message ?? e?.message])].filter(Boolean).join(": ");
  return new SsoCheckFailed("token_invalid", detail.slice(0, 200) || "invalid", "the IdP's ID token failed a check");
}

/** The IdP's end-session URL for RP-initiated logout, or null when the IdP has none. */
export function endSessionUrl(config: client.Configuration, clientId: string, postLogoutRedirectUri: string): string | null {
  if (!config.serverMetadata().end_session_endpoint) return null;
  return client.buildEndSessionUrl(config, { client_id: clientId, post_logout_redirect_uri: postLogoutRedirectUri }).href;
}
