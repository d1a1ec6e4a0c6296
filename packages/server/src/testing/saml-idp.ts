/**
 * A real SAML 2.0 identity provider for tests, on 127.0.0.1: samlify's IdentityProvider
 * publishes the metadata and verifies the SP's signed AuthnRequests (HTTP-Redirect) and
 * LogoutRequests against the SP metadata; a plain login form; an auto-posting form to the
 * SP's ACS; an SLO endpoint. Responses are built here and their assertion signed with
 * samlify's signer, so tests can craft the bad ones too: tampered after signing, signed by
 * another key, expired, not yet valid, for another audience, for another request or none.
 *
 * samlify's XML schema validator is set to one that accepts: this is test infrastructure,
 * and what it checks is the SP's job, which is what the tests are about.
 */
import crypto from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";
import samlify from "samlify";
import { makeSigningKeyPair } from "../modules/sso/saml-cert.ts";
import { CookieJar } from "./oidc-idp.ts";
import { freePort } from "./ports.ts";

samlify.setSchemaValidator({ validate: async () => "skipped: test IdP" });

const REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/** A user of the test IdP. */
export interface SamlAccount {
  username: string;
  password: string;
  /** The persistent NameID. */
  nameId: string;
  attributes: Record<string, string | string[]>;
}

/** What a crafted response differs in (everything else is right for the request). */
export interface Craft {
  audience?: string;
  /** null: no InResponseTo at all (unsolicited). */
  inResponseTo?: string | null;
  issuer?: string;
  recipient?: string;
  destination?: string;
  assertionId?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** Sign with a key the SP does not know. */
  otherKey?: boolean;
  /** Change the signed XML afterwards. */
  tamper?: (xml: string) => string;
  sessionIndex?: string;
  /** null: no NameID element. */
  nameId?: string | null;
  /** null: a NameID without a Format. */
  nameIdFormat?: string | null;
  /** null: the bearer confirmation names no request (the Response still does). */
  confirmationInResponseTo?: null;
  /** No SubjectConfirmation at all. */
  noSubjectConfirmation?: boolean;
  /** Leave NotOnOrAfter out of the Conditions, or out of the Conditions and the confirmation. */
  omitNotOnOrAfter?: "conditions" | "all";
  /** Sign the assertion (default true) and/or the whole Response. */
  signAssertion?: boolean;
  signResponse?: boolean;
  /** A Response without an assertion, with this status (signed when signResponse). */
  status?: { code: string; subCode?: string; message?: string };
}

/** A request the SP sent (AuthnRequest), as the IdP received it. */
export interface SeenRequest {
  id: string;
  relayState: string;
  acsUrl: string;
}

export interface TestSamlIdp {
  url: string;
  entityId: string;
  metadataUrl: string;
  metadataXml: string;
  /** The IdP's signing certificate (PEM). */
  certificate: string;
  /** The certificate of the other key (`otherKey`), e.g. for a key rollover. */
  otherCertificate: string;
  /** Trust an SP: its metadata (the IdP verifies its requests' signatures with it). */
  registerSp(spMetadataXml: string): void;
  /** The AuthnRequests and LogoutRequests that verified, newest last. */
  authnRequests: SeenRequest[];
  logoutRequests: Array<{ id: string; nameId: string; sessionIndex: string | null }>;
  /** A base64 SAMLResponse for `req` and `account`, possibly crafted. */
  response(req: SeenRequest, account: SamlAccount, craft?: Craft): string;
  /** An IdP-initiated LogoutRequest (base64, signed) for the SP's SLO (HTTP-POST binding). */
  logoutRequest(
    sp: { sloUrl: string; spEntityId: string },
    nameId: string,
    sessionIndex: string | null,
    opts?: { otherKey?: boolean; id?: string; issuer?: string },
  ): string;
  /** The same as a URL of the SP's SLO with the HTTP-Redirect binding (signed in the query unless `unsigned`). */
  logoutRequestRedirect(
    sp: { sloUrl: string; spEntityId: string },
    nameId: string,
    sessionIndex: string | null,
    opts?: { otherKey?: boolean; unsigned?: boolean; issuer?: string; relayState?: string },
  ): string;
  stop(): Promise<void>;
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const body64 = (pem: string) => pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
const newId = () => `_${crypto.randomBytes(16).toString("hex")}`;

function loginPage(pending: string, message: string | undefined): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test SAML IdP sign-in</title></head><body>
<h1>Test SAML IdP</h1>${message ? `<p role="alert">${xml(message)}</p>` : ""}
<form method="post" action="/login">
<input type="hidden" name="pending" value="${xml(pending)}">
<label>IdP username <input name="username" autocomplete="username"></label>
<label>IdP password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Continue</button>
</form></body></html>`;
}

/** The HTML-POST binding: a form the browser posts on load (and a button without scripts). */
function autoPost(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${xml(k)}" value="${xml(v)}">`)
    .join("");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signing in…</title></head><body onload="document.forms[0].submit()">
<form method="post" action="${xml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form></body></html>`;
}

async function formBody(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

function attributeStatement(attrs: Record<string, string | string[]>): string {
  const one = (name: string, values: string[]) =>
    `<saml:Attribute Name="${xml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values
      .map((v) => `<saml:AttributeValue xsi:type="xs:string">${xml(v)}</saml:AttributeValue>`)
      .join("")}</saml:Attribute>`;
  const all = Object.entries(attrs).map(([k, v]) => one(k, Array.isArray(v) ? v : [v]));
  return all.length ? `<saml:AttributeStatement>${all.join("")}</saml:AttributeStatement>` : "";
}

/** Start the IdP on a free port below 32768. */
export async function startSamlIdp(opts: { accounts: SamlAccount[] }): Promise<TestSamlIdp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entityId = `${url}/metadata`;
  const keys = makeSigningKeyPair("Test SAML IdP");
  const other = makeSigningKeyPair("Someone else");
  const idp = samlify.IdentityProvider({
    entityID: entityId,
    privateKey: keys.privateKey,
    signingCert: keys.certificate,
    wantAuthnRequestsSigned: true,
    wantLogoutRequestSigned: true,
    nameIDFormat: [PERSISTENT],
    singleSignOnService: [{ Binding: REDIRECT, Location: `${url}/sso` }],
    singleLogoutService: [{ Binding: REDIRECT, Location: `${url}/slo` }],
  });
  const metadataXml = idp.getMetadata();
  let sp: ReturnType<typeof samlify.ServiceProvider> | undefined;
  const pending = new Map<string, SeenRequest>();
  const authnRequests: SeenRequest[] = [];
  const logoutRequests: TestSamlIdp["logoutRequests"] = [];

  const logoutRequestXml = (sloUrl: string, nameId: string, sessionIndex: string | null, o: { id?: string; issuer?: string }) =>
    `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${xml(o.id ?? newId())}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${xml(sloUrl)}">` +
    `<saml:Issuer>${xml(o.issuer ?? entityId)}</saml:Issuer><saml:NameID Format="${PERSISTENT}">${xml(nameId)}</saml:NameID>` +
    (sessionIndex ? `<samlp:SessionIndex>${xml(sessionIndex)}</samlp:SessionIndex>` : "") +
    `</samlp:LogoutRequest>`;

  const sign = (raw: string, root: "Response" | "LogoutRequest" | "WholeResponse", otherKey: boolean) => {
    const k = otherKey ? other : keys;
    const ref =
      root === "Response"
        ? "/*[local-name(.)='Response']/*[local-name(.)='Assertion']"
        : root === "WholeResponse"
          ? "/*[local-name(.)='Response']"
          : "/*[local-name(.)='LogoutRequest']";
    return samlify.SamlLib.constructSAMLSignature({
      rawSamlMessage: raw,
      referenceTagXPath: ref,
      privateKey: k.privateKey,
      signingCert: body64(k.certificate),
      signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
      signatureConfig: { prefix: "ds", location: { reference: `${ref}/*[local-name(.)='Issuer']`, action: "after" } },
      isBase64Output: false,
    });
  };

  const response = (req: SeenRequest, account: SamlAccount, c: Craft = {}): string => {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60_000);
    const irt = c.inResponseTo === undefined ? req.id : c.inResponseTo;
    const irtAttr = irt === null ? "" : ` InResponseTo="${xml(irt)}"`;
    const issuer = xml(c.issuer ?? entityId);
    const spEntityId = sp?.entityMeta.getEntityID() ?? "";
    const until = (c.notOnOrAfter ?? later).toISOString();
    const format = c.nameIdFormat === undefined ? PERSISTENT : c.nameIdFormat;
    const nameId = c.nameId === undefined ? account.nameId : c.nameId;
    const nameIdXml = nameId === null ? "" : `<saml:NameID${format === null ? "" : ` Format="${xml(format)}"`}>${xml(nameId)}</saml:NameID>`;
    const confirmIrt = c.confirmationInResponseTo === null ? "" : irtAttr;
    const confirmUntil = c.omitNotOnOrAfter === "all" ? "" : ` NotOnOrAfter="${until}"`;
    const conditionsUntil = c.omitNotOnOrAfter ? "" : ` NotOnOrAfter="${until}"`;
    const confirmation = c.noSubjectConfirmation
      ? ""
      : `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData${confirmUntil} Recipient="${xml(c.recipient ?? req.acsUrl)}"${confirmIrt}/></saml:SubjectConfirmation>`;
    const status = c.status
      ? `<samlp:Status><samlp:StatusCode Value="${xml(c.status.code)}">${c.status.subCode ? `<samlp:StatusCode Value="${xml(c.status.subCode)}"/>` : ""}</samlp:StatusCode>${c.status.message ? `<samlp:StatusMessage>${xml(c.status.message)}</samlp:StatusMessage>` : ""}</samlp:Status>`
      : `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`;
    const assertion = c.status
      ? ""
      : `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="${xml(c.assertionId ?? newId())}" Version="2.0" IssueInstant="${now.toISOString()}">` +
        `<saml:Issuer>${issuer}</saml:Issuer>` +
        `<saml:Subject>${nameIdXml}${confirmation}</saml:Subject>` +
        `<saml:Conditions NotBefore="${(c.notBefore ?? now).toISOString()}"${conditionsUntil}><saml:AudienceRestriction><saml:Audience>${xml(c.audience ?? spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
        `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${xml(c.sessionIndex ?? `s-${account.username}-${crypto.randomBytes(4).toString("hex")}`)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
        attributeStatement(account.attributes) +
        `</saml:Assertion>`;
    const raw =
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newId()}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${xml(c.destination ?? req.acsUrl)}"${irtAttr}>` +
      `<saml:Issuer>${issuer}</saml:Issuer>${status}${assertion}</samlp:Response>`;
    let signed = assertion && (c.signAssertion ?? true) ? sign(raw, "Response", c.otherKey ?? false) : raw;
    if (c.signResponse) signed = sign(signed, "WholeResponse", c.otherKey ?? false);
    return Buffer.from(c.tamper ? c.tamper(signed) : signed).toString("base64");
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? "/", url);
      const rawQuery = (req.url ?? "").includes("?") ? req.url!.slice(req.url!.indexOf("?") + 1) : "";
      const send = (status: number, html: string, type = "text/html; charset=utf-8") => res.writeHead(status, { "content-type": type }).end(html);
      if (u.pathname === "/metadata") return send(200, metadataXml, "application/samlmetadata+xml");
      if (u.pathname === "/sso" && !u.searchParams.has("SAMLRequest")) return send(400, "send a SAMLRequest");
      if (!sp) return send(500, "no SP registered");
      if (u.pathname === "/sso" && req.method === "GET") {
        const query = Object.fromEntries(u.searchParams);
        // The octet string the signature covers: the query's own bytes, in the order the binding fixes.
        const part = (k: string) => rawQuery.split("&").find((p) => p.startsWith(`${k}=`));
        const octetString = ["SAMLRequest", "RelayState", "SigAlg"].map(part).filter(Boolean).join("&");
        try {
          const parsed = await idp.parseLoginRequest(sp, "redirect", { query, octetString });
          const request = parsed.extract.request as { id: string };
          const seen = { id: request.id, relayState: query.RelayState ?? "", acsUrl: sp.entityMeta.getAssertionConsumerService("post") as string };
          authnRequests.push(seen);
          const key = crypto.randomBytes(12).toString("hex");
          pending.set(key, seen);
          return send(200, loginPage(key, undefined));
        } catch (err) {
          return send(400, `bad AuthnRequest: ${xml((err as Error).message ?? String(err))}`);
        }
      }
      if (u.pathname === "/login" && req.method === "POST") {
        const form = await formBody(req);
        const seen = pending.get(form.get("pending") ?? "");
        if (!seen) return send(400, "unknown sign-in");
        const account = opts.accounts.find((a) => a.username === form.get("username") && a.password === form.get("password"));
        if (!account) return send(200, loginPage(form.get("pending")!, "Wrong username or password"));
        pending.delete(form.get("pending")!);
        return send(200, autoPost(seen.acsUrl, { SAMLResponse: response(seen, account), RelayState: seen.relayState }));
      }
      if (u.pathname === "/slo") {
        // The SP's LogoutRequest (HTTP-Redirect): verified, recorded, answered with a LogoutResponse (HTTP-POST).
        const query = Object.fromEntries(u.searchParams);
        const part = (k: string) => rawQuery.split("&").find((p) => p.startsWith(`${k}=`));
        const octetString = ["SAMLRequest", "RelayState", "SigAlg"].map(part).filter(Boolean).join("&");
        try {
          const parsed = await idp.parseLogoutRequest(sp, "redirect", { query, octetString });
          const r = parsed.extract.request as { id: string };
          const inflated = zlib.inflateRawSync(Buffer.from(query.SAMLRequest ?? "", "base64")).toString("utf8");
          const sessionIndex = /SessionIndex[^>]*>([^<]+)</.exec(inflated)?.[1] ?? null;
          logoutRequests.push({ id: r.id, nameId: String(parsed.extract.nameID ?? ""), sessionIndex });
          const out = idp.createLogoutResponse(sp, { ...parsed }, "post", query.RelayState ?? "") as { context: string; entityEndpoint: string };
          return send(200, autoPost(out.entityEndpoint, { SAMLResponse: out.context, ...(query.RelayState ? { RelayState: query.RelayState } : {}) }));
        } catch (err) {
          return send(400, `bad LogoutRequest: ${xml((err as Error).message ?? String(err))}`);
        }
      }
      return send(404, "not found");
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
    });
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url,
    entityId,
    metadataUrl: `${url}/metadata`,
    metadataXml,
    certificate: keys.certificate,
    otherCertificate: other.certificate,
    authnRequests,
    logoutRequests,
    registerSp(spMetadataXml) {
      sp = samlify.ServiceProvider({ metadata: spMetadataXml });
    },
    response,
    logoutRequest(target, nameId, sessionIndex, o = {}) {
      return Buffer.from(sign(logoutRequestXml(target.sloUrl, nameId, sessionIndex, o), "LogoutRequest", o.otherKey ?? false)).toString("base64");
    },
    logoutRequestRedirect(target, nameId, sessionIndex, o = {}) {
      // HTTP-Redirect: the deflated message in the query, the signature over the query's own bytes.
      const enc = encodeURIComponent;
      const deflated = zlib.deflateRawSync(Buffer.from(logoutRequestXml(target.sloUrl, nameId, sessionIndex, o))).toString("base64");
      let query = `SAMLRequest=${enc(deflated)}${o.relayState ? `&RelayState=${enc(o.relayState)}` : ""}`;
      if (!o.unsigned) {
        query += `&SigAlg=${enc("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")}`;
        const signature = crypto.sign("sha256", Buffer.from(query), (o.otherKey ? other : keys).privateKey).toString("base64");
        query += `&Signature=${enc(signature)}`;
      }
      return `${target.sloUrl}?${query}`;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a SAML sign-in through the browser endpoints ended with (see ssoSignIn in oidc-idp.ts for the OIDC one). */
export interface SamlOutcome {
  landing: string;
  fragment: URLSearchParams;
  complete?: { status: number; body: AnyBody };
  /** The SAMLResponse the IdP posted (for replay tests). */
  samlResponse: string;
  relayState: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary bodies
type AnyBody = any;

/**
 * Drive a SAML sign-in like a browser: Parley's start URL, the IdP's login form, the
 * auto-posted response to the ACS (or, with `post`, a replacement for it), and the code
 * exchange from the same browser (`jar`).
 */
export async function samlSignIn(
  server: { url: string },
  providerId: string,
  login: { username: string; password: string },
  opts: { jar?: CookieJar; deviceName?: string; complete?: boolean; replaceResponse?: (original: string, req: SeenRequest) => string; idp?: TestSamlIdp } = {},
): Promise<SamlOutcome> {
  const jar = opts.jar ?? new CookieJar();
  const start = await jar.fetch(`${server.url}/auth/sso/${providerId}/start?deviceName=${encodeURIComponent(opts.deviceName ?? "saml device")}`);
  await start.arrayBuffer();
  const toIdp = start.headers.get("location") ?? "";
  if (start.status !== 302 || toIdp.startsWith(server.url)) throw new Error(`start answered ${start.status} to ${toIdp}`);
  const page = await jar.fetch(toIdp);
  const pageBody = await page.text();
  const pendingKey = /name="pending" value="([^"]+)"/.exec(pageBody)?.[1];
  if (!pendingKey) throw new Error(`the IdP showed no login form (HTTP ${page.status}): ${pageBody.slice(0, 300)}`);
  const posted = await jar.fetch(new URL("/login", toIdp).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ pending: pendingKey, ...login }).toString(),
  });
  const auto = await posted.text();
  const field = (name: string) => {
    const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(auto)?.[1];
    return m?.replace(/&#(\d+);/g, (_s, n: string) => String.fromCharCode(Number(n)));
  };
  const action = /action="([^"]+)"/.exec(auto)?.[1]?.replace(/&#(\d+);/g, (_s, n: string) => String.fromCharCode(Number(n)));
  const original = field("SAMLResponse");
  const relayState = field("RelayState") ?? "";
  if (!action || !original) throw new Error(`the IdP did not post a response: ${auto.slice(0, 300)}`);
  const req = opts.idp?.authnRequests.at(-1);
  const samlResponse = opts.replaceResponse && req ? opts.replaceResponse(original, req) : original;
  return postToAcs(server, jar, action, samlResponse, relayState, opts.complete ?? true);
}

/** POST a SAMLResponse to an ACS URL from `jar`'s browser and finish like samlSignIn. */
export async function postToAcs(
  server: { url: string },
  jar: CookieJar,
  acsUrl: string,
  samlResponse: string,
  relayState: string,
  complete = true,
): Promise<SamlOutcome> {
  // A cross-site POST: the browser sends no SameSite=Lax cookie with it.
  const res = await fetch(acsUrl, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ SAMLResponse: samlResponse, ...(relayState ? { RelayState: relayState } : {}) }).toString(),
  });
  await res.arrayBuffer();
  const landing = res.headers.get("location") ?? "";
  if (res.status !== 302) throw new Error(`the ACS answered HTTP ${res.status}`);
  const fragment = new URLSearchParams(new URL(landing).hash.slice(1));
  const code = fragment.get("code");
  if (!code || !complete) return { landing, fragment, samlResponse, relayState };
  const done = await jar.fetch(`${server.url}/api/v1/auth/sso/complete`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  return { landing, fragment, complete: { status: done.status, body: await done.json() }, samlResponse, relayState };
}
