/**
 * A real OpenID Connect provider on 127.0.0.1 for tests (`oidc-provider`), with static
 * clients, test accounts (sub, email, email_verified, name, preferred_username, groups),
 * a plain login form (username + password; consent is implied for its clients), PKCE
 * required, RP-initiated and back-channel logout on.
 *
 * What tests need beyond a well-behaved IdP:
 * - `setDown(true)`: every connection is cut (an unreachable IdP);
 * - `tamperTokens(fn)`: rewrite the token endpoint's answers (a tampered or forged ID token);
 * - `sign(payload, header?)`: sign a JWT with the IdP's real key (expired, wrong nonce,
 *   another audience, logout tokens), and `publicKeyPem` for HS256 "signed" with it;
 * - `signIn(jar, startUrl, login)`: drive the authorization flow like a browser with
 *   fetch (following redirects, keeping cookies, submitting the login form).
 */
import http from "node:http";
import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";
import { freePort, isAddressInUse } from "./ports.ts";

/** A user at the IdP. */
export interface IdpAccount {
  sub: string;
  /** What the login form takes. */
  username: string;
  password: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  preferred_username?: string;
  groups?: string[];
  /** The `amr` the sign-in reports (default ["pwd"]). */
  amr?: string[];
}

/** A relying party registered at the IdP. */
export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
}

type TokenBody = Record<string, unknown>;

export interface TestIdp {
  /** `http://127.0.0.1:PORT` */
  issuer: string;
  port: number;
  accounts: IdpAccount[];
  /** The IdP's signing key (RS256), for forged tokens. */
  kid: string;
  publicKeyPem: string;
  setDown(down: boolean): void;
  /** Rewrite the token endpoint's JSON answers (null: stop). */
  tamperTokens(fn: ((body: TokenBody) => TokenBody | Promise<TokenBody>) | null): void;
  /** Sign a JWT with the IdP's real key (RS256, its kid) unless the header says otherwise. */
  sign(payload: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** Back-channel logout tokens the IdP sent, and the answers it got. */
  logoutDeliveries: Array<{ clientId: string; ok: boolean; error?: string }>;
  stop(): Promise<void>;
}

/** A minimal cookie jar shared by every port of 127.0.0.1, as browsers do (cookies are not per port). */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair!.indexOf("=");
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", this.header());
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    this.take(res);
    return res;
  }
}

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string, message: string | undefined): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title></head><body>
<h1>Test IdP</h1>${message ? `<p role="alert">${html(message)}</p>` : ""}
<form method="post" action="/interaction/${html(uid)}/login">
<label>IdP username <input name="username" autocomplete="username"></label>
<label>IdP password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button>
</form></body></html>`;
}

async function formBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Start the IdP on a free port below 32768. */
export async function startTestIdp(opts: { accounts: IdpAccount[]; clients: IdpClient[] }): Promise<TestIdp> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = `test-${crypto.randomBytes(4).toString("hex")}`;
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const accounts = opts.accounts;
  let down = false;
  let tamper: ((body: TokenBody) => TokenBody | Promise<TokenBody>) | null = null;
  const logoutDeliveries: TestIdp["logoutDeliveries"] = [];
  const sockets = new Set<import("node:net").Socket>();

  const server = http.createServer();
  let port = 0;
  for (let attempt = 0; port === 0; attempt++) {
    const candidate = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(candidate, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      port = (server.address() as AddressInfo).port;
    } catch (err) {
      if (!isAddressInUse(err) || attempt >= 5) throw err;
    }
  }
  const issuer = `http://127.0.0.1:${port}`;
  const scopes = "openid email profile groups";
  const config: Configuration = {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris ?? [],
      ...(c.backchannelLogoutUri ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [crypto.randomBytes(16).toString("hex")] },
    claims: { openid: ["sub", "amr"], email: ["email", "email_verified"], profile: ["name", "preferred_username"], groups: ["groups"] },
    scopes: scopes.split(" "),
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Plain pages without the default's web fonts: tests reach nothing but 127.0.0.1.
        logoutSource(ctx, form) {
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP sign-out</title></head><body>
<h1>Sign out of the Test IdP?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></body></html>`;
        },
        postLogoutSuccessSource(ctx) {
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signed out</title></head><body><h1>Signed out of the Test IdP</h1></body></html>`;
        },
      },
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // First-party clients: consent is implied.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope(scopes);
      await grant.save();
      return grant;
    },
    async findAccount(_ctx, sub) {
      const a = accounts.find((x) => x.sub === sub);
      if (!a) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { username: _u, password: _p, amr: _amr, ...claims } = a;
          return claims;
        },
      };
    },
    // The IdP calls the relying party's back-channel logout URI on 127.0.0.1: its SSRF guard would refuse that.
    fetch: (url, options) => {
      const { dispatcher: _d, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    renderError(ctx, out) {
      ctx.type = "html";
      ctx.body = `<!DOCTYPE html><html><body><h1>IdP error</h1><p>${html(String(out.error))}: ${html(String(out.error_description ?? ""))}</p></body></html>`;
    },
  };
  const provider = new Provider(issuer, config);
  provider.on("backchannel.success", (_ctx, client) => logoutDeliveries.push({ clientId: client.clientId, ok: true }));
  provider.on("backchannel.error", (_ctx, err, client) => logoutDeliveries.push({ clientId: client.clientId, ok: false, error: (err as Error).message }));
  provider.use(async (ctx, next) => {
    await next();
    if (tamper && ctx.path === "/token" && ctx.status === 200 && ctx.body && typeof ctx.body === "object") {
      ctx.body = await tamper(ctx.body as TokenBody);
    }
  });
  const oidc = provider.callback();

  server.on("connection", (s) => {
    if (down) {
      s.destroy();
      return;
    }
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("request", (req, res) => {
    void (async () => {
      const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec((req.url ?? "").split("?")[0]!);
      if (!m) return oidc(req, res);
      const details = await provider.interactionDetails(req, res);
      if (req.method === "GET" && !m[2]) {
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(loginPage(details.uid, undefined));
        return;
      }
      const form = await formBody(req);
      const account = accounts.find((a) => a.username === form.get("username") && a.password === form.get("password"));
      if (!account) {
        res.statusCode = 200;
        res.setHeader("content-type", "text/html; charset=utf-8");
        res.end(loginPage(details.uid, "wrong username or password"));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: account.sub, amr: account.amr ?? ["pwd"] } }, { mergeWithLastSubmission: false });
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String((err as Error).message));
    });
  });

  return {
    issuer,
    port,
    accounts,
    kid,
    publicKeyPem: await exportSPKI(publicKey),
    logoutDeliveries,
    setDown(d) {
      down = d;
      if (d) for (const s of sockets) s.destroy();
    },
    tamperTokens(fn) {
      tamper = fn;
    },
    sign: (payload, header = {}) => new SignJWT(payload).setProtectedHeader({ alg: "RS256", kid, ...header } as { alg: string }).sign(privateKey),
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Drive a sign-in like a browser: GET `startUrl` and follow every redirect (keeping cookies
 * in `jar`), submitting the IdP's login form with `login` when it shows. Stops at the first
 * redirect whose target starts with `stopAt` and returns that URL (without requesting it),
 * or returns the last page's URL and body when a page is not a redirect.
 */
export async function driveSignIn(
  jar: CookieJar,
  startUrl: string,
  login: { username: string; password: string },
  stopAt: string,
): Promise<{ url: string; status: number; body?: string }> {
  let url = startUrl;
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    const res = await jar.fetch(url);
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get("location")!, url).href;
      await res.arrayBuffer();
      if (next.startsWith(stopAt)) return { url: next, status: res.status };
      url = next;
      continue;
    }
    const body = await res.text();
    const form = /<form method="post" action="([^"]+)"/.exec(body);
    if (res.status !== 200 || !form || submitted) return { url, status: res.status, body };
    submitted = true;
    const post = await jar.fetch(new URL(form[1]!, url).href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(login).toString(),
    });
    if (post.status < 300 || post.status >= 400) return { url, status: post.status, body: await post.text() };
    url = new URL(post.headers.get("location")!, url).href;
    await post.arrayBuffer();
    if (url.startsWith(stopAt)) return { url, status: post.status };
  }
  throw new Error(`sign-in did not reach ${stopAt} in 20 hops (last: ${url})`);
}

/** What a single sign-on through the browser endpoints ended with. */
export interface SsoOutcome {
  /** Where the server finally sent the browser (`/sso#…`). */
  landing: string;
  /** The landing fragment's parameters: `code`, or `error`, `reason`, `message`. */
  fragment: URLSearchParams;
  /** The `completeSso` answer when there was a code (status and body). */
  complete?: { status: number; body: AnyBody };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary bodies
type AnyBody = any;

/**
 * Sign in through `providerId` of `server` as `login` at the IdP, like the web app would:
 * the browser endpoints, then `POST /auth/sso/complete` with the code (from the same browser:
 * `jar`). `stopAtCallback` returns the IdP's callback URL instead of following it.
 */
export async function ssoSignIn(
  server: { url: string },
  providerId: string,
  login: { username: string; password: string },
  opts: { jar?: CookieJar; deviceName?: string; complete?: boolean } = {},
): Promise<SsoOutcome> {
  const jar = opts.jar ?? new CookieJar();
  const start = `${server.url}/auth/sso/${providerId}/start?deviceName=${encodeURIComponent(opts.deviceName ?? "sso device")}`;
  const r = await driveSignIn(jar, start, login, `${server.url}/sso`);
  if (!r.url.startsWith(`${server.url}/sso#`)) throw new Error(`the sign-in ended at ${r.url} (HTTP ${r.status}): ${r.body?.slice(0, 500)}`);
  return finishAtLanding(server, jar, r.url, opts.complete ?? true);
}

/** Follow a callback URL (from `driveSignIn(…, callbackPrefix)`) in `jar` and finish like ssoSignIn. */
export async function followCallback(server: { url: string }, jar: CookieJar, callbackUrl: string, complete = true): Promise<SsoOutcome> {
  const res = await jar.fetch(callbackUrl);
  await res.arrayBuffer();
  const landing = res.headers.get("location");
  if (res.status !== 302 || !landing) throw new Error(`the callback answered HTTP ${res.status}`);
  return finishAtLanding(server, jar, landing, complete);
}

async function finishAtLanding(server: { url: string }, jar: CookieJar, landing: string, complete: boolean): Promise<SsoOutcome> {
  const fragment = new URLSearchParams(new URL(landing).hash.slice(1));
  const code = fragment.get("code");
  if (!code || !complete) return { landing, fragment };
  const res = await jar.fetch(`${server.url}/api/v1/auth/sso/complete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  return { landing, fragment, complete: { status: res.status, body: await res.json() } };
}
