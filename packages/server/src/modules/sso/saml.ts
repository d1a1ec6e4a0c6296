/**
 * Parley as a SAML 2.0 service provider, through `@node-saml/node-saml`: the SP metadata, the
 * signed AuthnRequest (HTTP-Redirect binding), the check of the IdP's response at the ACS,
 * and single logout (our signed LogoutRequest; the IdP's LogoutRequest and our answer).
 *
 * node-saml checks the assertion's signature against the configured IdP certificates (the
 * assertion must be signed; a response with several assertions is refused), the time window
 * (NotBefore/NotOnOrAfter, one minute of clock skew), the audience, and InResponseTo (always:
 * unsolicited responses are refused) through a cache that only knows the one request ID of
 * the sign-in's state row. On top of it, `checkAssertion` requires what it leaves out: the
 * assertion's issuer is the IdP's entity ID, the response's Destination (when present) and
 * the bearer confirmation's Recipient are our ACS URL, and the confirmation names our request.
 */
import crypto from "node:crypto";
import { SAML, SamlStatusError, ValidateInResponseTo, type CacheProvider, type Profile, type SamlConfig } from "@node-saml/node-saml";
import type { Deps } from "../../context.ts";
import { httpAllowed, IdpUnavailable, SsoCheckFailed } from "./oidc.ts";
import { samlUrls, type SamlProvider } from "./settings.ts";

/** How far the IdP's clock may be off ours. */
const CLOCK_SKEW_MS = 60_000;
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/** A cache that knows one request ID (the sign-in's state row): node-saml's InResponseTo check asks it. */
function oneRequest(requestId: string | null, createdAt: number): CacheProvider {
  return {
    saveAsync: async () => null,
    getAsync: async (key) => (requestId !== null && key === requestId ? new Date(createdAt).toISOString() : null),
    removeAsync: async () => null,
  };
}

async function client(
  deps: Deps,
  p: SamlProvider,
  opts: { requestId?: string; expected?: { requestId: string; createdAt: number } | null; ttlMs?: number } = {},
) {
  const urls = samlUrls(deps, p.id);
  const config: SamlConfig = {
    issuer: urls.spEntityId,
    callbackUrl: urls.acsUrl,
    entryPoint: p.settings.idpSsoUrl,
    idpCert: p.settings.idpCertificates,
    idpIssuer: p.settings.idpEntityId,
    audience: urls.spEntityId,
    privateKey: await p.spPrivateKey(),
    publicCert: p.spCertificate,
    signatureAlgorithm: "sha256",
    digestAlgorithm: "sha256",
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: opts.ttlMs ?? 10 * 60 * 1000,
    cacheProvider: oneRequest(opts.expected?.requestId ?? null, opts.expected?.createdAt ?? 0),
    logoutUrl: p.settings.idpSloUrl ?? p.settings.idpSsoUrl,
    logoutCallbackUrl: urls.sloUrl,
    ...(opts.requestId ? { generateUniqueId: () => opts.requestId! } : {}),
  };
  return new SAML(config);
}

/** A new request ID (an NCName: starts with a letter). */
export const newRequestId = () => `_${crypto.randomBytes(20).toString("hex")}`;

/** The SP metadata XML the IdP imports (public): entity ID, ACS, SLO, the signing certificate. */
export async function spMetadata(deps: Deps, p: SamlProvider): Promise<string> {
  const saml = await client(deps, p);
  return saml.generateServiceProviderMetadata(null, p.spCertificate);
}

/** The IdP's SSO URL with a signed AuthnRequest (HTTP-Redirect) whose ID is `requestId`, RelayState `state`. */
export async function authnRequestUrl(deps: Deps, p: SamlProvider, requestId: string, state: string): Promise<string> {
  if (!httpAllowed(deps, new URL(p.settings.idpSsoUrl))) {
    throw new SsoCheckFailed("configuration", "http_sso_url", "the IdP's SSO URL uses plain http://; use https");
  }
  return (await client(deps, p, { requestId })).getAuthorizeUrlAsync(state, undefined, {});
}

/** What a checked assertion says. */
export interface SamlAssertion {
  profile: Profile;
  assertionId: string;
  /** Until when the assertion could be replayed (ms). */
  expiresAt: number;
}

type Node = { $?: Record<string, string>; _?: string; [k: string]: unknown };
const first = (v: unknown): Node | undefined => (Array.isArray(v) ? (v[0] as Node) : undefined);

function classify(err: unknown): SsoCheckFailed {
  if (err instanceof SsoCheckFailed) return err;
  if (err instanceof SamlStatusError) return new SsoCheckFailed("idp_error", "status", `the IdP refused the sign-in: ${err.message}`);
  const m = (err as Error)?.message ?? "";
  const check = /signature/i.test(m)
    ? "signature"
    : /InResponseTo/i.test(m)
      ? "in_response_to"
      : /not yet valid/i.test(m)
        ? "not_yet_valid"
        : /expired|No valid subject confirmation/i.test(m)
          ? "expired"
          : /audience/i.test(m)
            ? "audience"
            : /issuer/i.test(m)
              ? "issuer"
              : "invalid";
  return new SsoCheckFailed("token_invalid", check, "the IdP's SAML response failed a check");
}

/**
 * Check a POSTed SAMLResponse in full for the sign-in whose AuthnRequest had `expected.requestId`.
 * Throws SsoCheckFailed with the failed check.
 */
export async function checkAssertion(
  deps: Deps,
  p: SamlProvider,
  samlResponse: string,
  expected: { requestId: string; createdAt: number; ttlMs: number },
): Promise<SamlAssertion> {
  const urls = samlUrls(deps, p.id);
  try {
    const saml = await client(deps, p, { expected, ttlMs: expected.ttlMs });
    const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponse });
    if (!profile) throw new SsoCheckFailed("token_invalid", "no_assertion", "the IdP's SAML response carries no assertion");
    const fail = (check: string) => new SsoCheckFailed("token_invalid", check, "the IdP's SAML response failed a check");
    // The verified assertion (node-saml hands back the signed part only).
    const assertion = (profile.getAssertion?.() as { Assertion?: Node } | undefined)?.Assertion;
    if (!assertion?.$?.ID) throw fail("assertion_id");
    if (profile.issuer !== p.settings.idpEntityId) throw fail("issuer");
    const destination = /^<(?:[\w-]+:)?Response\b[^>]*?\sDestination="([^"]*)"/.exec(
      Buffer.from(samlResponse, "base64")
        .toString("utf8")
        .replace(/^<\?xml[^>]*\?>\s*/, ""),
    );
    if (destination && destination[1] !== urls.acsUrl) throw fail("destination");
    const confirmations = (first(assertion.Subject)?.SubjectConfirmation as Node[] | undefined) ?? [];
    const bearer = confirmations.filter((c) => c.$?.Method === "urn:oasis:names:tc:SAML:2.0:cm:bearer").map((c) => first(c.SubjectConfirmationData)?.$ ?? {});
    if (!bearer.some((d) => d.Recipient === urls.acsUrl)) throw fail("recipient");
    if (!bearer.some((d) => d.Recipient === urls.acsUrl && d.InResponseTo === expected.requestId)) throw fail("in_response_to");
    const conditions = first(assertion.Conditions)?.$ ?? {};
    const until = [conditions.NotOnOrAfter, ...bearer.map((d) => d.NotOnOrAfter)].map((t) => (t ? Date.parse(t) : NaN)).filter((t) => !Number.isNaN(t));
    if (!until.length) throw fail("no_expiry");
    return { profile, assertionId: assertion.$.ID, expiresAt: Math.max(...until) + CLOCK_SKEW_MS };
  } catch (err) {
    throw classify(err);
  }
}

/** The subject the provider links accounts by: the NameID, or the configured attribute. */
export function subjectOf(p: SamlProvider, profile: Profile): string {
  const name = p.settings.attributes.subject;
  if (name === null) {
    if (profile.nameIDFormat === TRANSIENT) {
      throw new SsoCheckFailed("configuration", "nameid_transient", "the IdP sends a transient NameID; use a persistent one or a subject attribute");
    }
    if (!profile.nameID) throw new SsoCheckFailed("token_invalid", "subject_missing", "the assertion has no NameID");
    return profile.nameID;
  }
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  const v = Array.isArray(attrs[name]) ? (attrs[name] as unknown[])[0] : attrs[name];
  if (typeof v !== "string" || v.trim() === "") throw new SsoCheckFailed("token_invalid", "subject_missing", `the assertion has no ${name} attribute`);
  return v.trim();
}

/**
 * The assertion's attributes as claims for the mappings: an IdP vouches for the email it signs.
 * Each AttributeValue of the groups attribute is one group: node-saml hands a single value
 * over as a string, which the mappings would split at spaces ("Domain Users"), so it becomes a list.
 */
export function claimsOf(p: SamlProvider, profile: Profile): Record<string, unknown> {
  const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
  const groups = attrs[p.settings.attributes.groups];
  return { ...attrs, ...(typeof groups === "string" ? { [p.settings.attributes.groups]: [groups] } : {}), email_verified: true };
}

/** A signed LogoutRequest URL (HTTP-Redirect) for a session, or null when the IdP has no SLO URL. */
export async function logoutRequestUrl(
  deps: Deps,
  p: SamlProvider,
  s: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null },
): Promise<string | null> {
  if (!p.settings.idpSloUrl) return null;
  const saml = await client(deps, p, { requestId: newRequestId() });
  const profile: Profile = {
    issuer: p.settings.idpEntityId,
    nameID: s.nameId,
    nameIDFormat: s.nameIdFormat ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
  };
  if (s.sessionIndex) profile.sessionIndex = s.sessionIndex;
  return saml.getLogoutUrlAsync(profile, "", {});
}

/** An IdP's LogoutRequest, checked (signature, issuer, time). */
export interface IdpLogoutRequest {
  profile: Profile;
  requestId: string;
  /** Until when the request could be replayed (ms). */
  expiresAt: number;
}

/**
 * Check the IdP's LogoutRequest: HTTP-Redirect (`query` with its raw query string: the
 * signature covers the exact bytes) or HTTP-POST (`body.SAMLRequest`). It must be signed.
 */
export async function checkLogoutRequest(
  deps: Deps,
  p: SamlProvider,
  msg: { query: Record<string, string>; rawQuery: string } | { body: Record<string, string> },
): Promise<IdpLogoutRequest> {
  try {
    const saml = await client(deps, p);
    let out;
    if ("query" in msg) {
      // node-saml accepts an unsigned redirect message: a logout is only taken from the IdP's key.
      if (!msg.query.Signature || !msg.query.SigAlg) throw new SsoCheckFailed("token_invalid", "signature", "the LogoutRequest is not signed");
      out = await saml.validateRedirectAsync(msg.query, msg.rawQuery);
    } else {
      out = await saml.validatePostRequestAsync(msg.body);
    }
    const profile = out.profile;
    if (!profile?.ID || !profile.nameID) throw new SsoCheckFailed("token_invalid", "not_logout_request", "not a LogoutRequest");
    return { profile, requestId: String(profile.ID), expiresAt: deps.now() + 24 * 60 * 60 * 1000 };
  } catch (err) {
    throw classify(err);
  }
}

/** The IdP's SLO URL with our signed LogoutResponse to `request`. */
export async function logoutResponseUrl(deps: Deps, p: SamlProvider, request: Profile, relayState: string, success: boolean): Promise<string> {
  const saml = await client(deps, p, { requestId: newRequestId() });
  return saml.getLogoutResponseUrlAsync(request, relayState, {}, success);
}

/** Checks of an admin's test: the certificates parse and are in date, the SSO URL answers. */
export async function probe(deps: Deps, p: SamlProvider): Promise<{ ok: boolean; stage: "certificates" | "sso_url" | "done"; message: string }> {
  for (const [i, pem] of p.settings.idpCertificates.entries()) {
    const problem = certificateProblem(pem, deps.now());
    if (problem) return { ok: false, stage: "certificates", message: `certificate ${i + 1}: ${problem}` };
  }
  try {
    await reachable(p.settings.idpSsoUrl, 10_000);
  } catch (err) {
    return { ok: false, stage: "sso_url", message: (err as Error).message };
  }
  return { ok: true, stage: "done", message: `the IdP's SSO URL answers; ${p.settings.idpCertificates.length} signing certificate(s) in date` };
}

/** Why a PEM certificate cannot be used now, or null. */
export function certificateProblem(pem: string, now: number): string | null {
  let cert: crypto.X509Certificate;
  try {
    cert = new crypto.X509Certificate(pem);
  } catch {
    return "not an X.509 certificate";
  }
  if (Date.parse(cert.validTo) <= now) return `expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
  if (Date.parse(cert.validFrom) > now + CLOCK_SKEW_MS) return `not valid before ${new Date(cert.validFrom).toISOString().slice(0, 10)}`;
  if (cert.publicKey.asymmetricKeyType !== "rsa" && cert.publicKey.asymmetricKeyType !== "ec") return "its key is neither RSA nor EC";
  return null;
}

/** Throws IdpUnavailable when the URL does not answer (any HTTP status is an answer). */
export async function reachable(url: string, timeoutMs: number): Promise<void> {
  try {
    const res = await fetch(url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 500) throw new IdpUnavailable("discovery", `the IdP's SSO URL answers HTTP ${res.status}`);
  } catch (err) {
    if (err instanceof IdpUnavailable) throw err;
    const e = err as { cause?: { code?: string }; message?: string; name?: string };
    throw new IdpUnavailable(
      "discovery",
      `the IdP's SSO URL ${new URL(url).origin} cannot be reached: ${e.name === "TimeoutError" ? "timed out" : (e.cause?.code ?? e.message)}`,
    );
  }
}
