/**
 * A third-party OAuth2 app for tests, driving Parley's authorization server like a browser and
 * an app would, with fetch: redirects followed by hand, the browser's cookies kept in a jar,
 * PKCE S256, the consent page's two API calls made with the signed-in user's bearer token.
 */
import crypto from "node:crypto";
import { CookieJar } from "./oidc-idp.ts";

export interface OAuthAppRef {
  clientId: string;
  redirectUri: string;
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

export function newPkce(): Pkce {
  const verifier = crypto.randomBytes(32).toString("base64url");
  return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
}

/** The authorization request URL. */
export function authorizeUrl(base: string, app: OAuthAppRef, o: { scope: string; state: string; challenge: string; redirectUri?: string }): string {
  const q = new URLSearchParams({
    client_id: app.clientId,
    response_type: "code",
    redirect_uri: o.redirectUri ?? app.redirectUri,
    scope: o.scope,
    state: o.state,
    code_challenge: o.challenge,
    code_challenge_method: "S256",
  });
  return `${base}/oauth/auth?${q}`;
}

/** Start an authorization in a browser (the jar): the consent page's uid, or the provider's answer when it does not go there. */
export async function startAuthorization(jar: CookieJar, url: string): Promise<{ uid?: string; res: Response }> {
  const res = await jar.fetch(url);
  const loc = res.headers.get("location") ?? "";
  const m = /\/oauth-consent\/([^/?#]+)$/.exec(new URL(loc, url).pathname);
  return m ? { uid: m[1]!, res } : { res };
}

/** The consent page's calls, as the signed-in user in that browser. */
export async function consentCall(
  jar: CookieJar,
  base: string,
  uid: string,
  accessToken: string,
  allow?: boolean,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${accessToken}` };
  const init: RequestInit =
    allow === undefined ? { headers } : { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ allow }) };
  const res = await jar.fetch(`${base}/api/v1/oauth/consent/${uid}`, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Follow the provider's redirects from `url` until one leaves the server: that Location (the app's redirect URI with code or error). */
export async function followToApp(jar: CookieJar, base: string, url: string): Promise<URL> {
  let next = url;
  for (let i = 0; i < 5; i++) {
    const res = await jar.fetch(next);
    const loc = res.headers.get("location");
    if (!loc) throw new Error(`expected a redirect from ${next}, got HTTP ${res.status}: ${await res.text()}`);
    const target = new URL(loc, next);
    if (!target.href.startsWith(base)) return target;
    next = target.href;
  }
  throw new Error("too many redirects");
}

/** The token endpoint (form-encoded, a public client). */
export async function tokenRequest(base: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The whole flow for a signed-in user who allows: the token endpoint's answer. */
export async function authorizeAndExchange(
  base: string,
  app: OAuthAppRef,
  userAccessToken: string,
  scope: string,
): Promise<{ status: number; body: Record<string, unknown>; code: string; pkce: Pkce }> {
  const jar = new CookieJar();
  const pkce = newPkce();
  const started = await startAuthorization(jar, authorizeUrl(base, app, { scope, state: "st", challenge: pkce.challenge }));
  if (!started.uid) throw new Error(`no consent step: HTTP ${started.res.status} ${started.res.headers.get("location")}`);
  const decided = await consentCall(jar, base, started.uid, userAccessToken, true);
  if (decided.status !== 200) throw new Error(`consent failed: ${decided.status} ${JSON.stringify(decided.body)}`);
  const back = await followToApp(jar, base, String(decided.body.redirectTo));
  const code = back.searchParams.get("code");
  if (!code) throw new Error(`no code: ${back.href}`);
  const token = await tokenRequest(base, {
    grant_type: "authorization_code",
    code,
    redirect_uri: app.redirectUri,
    client_id: app.clientId,
    code_verifier: pkce.verifier,
  });
  return { ...token, code, pkce };
}
