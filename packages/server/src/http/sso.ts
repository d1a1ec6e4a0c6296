/**
 * The browser endpoints of single sign-on, outside the JSON API because they answer with
 * redirects (modules/sso/flow.ts does the work):
 * - `GET /auth/sso/:providerId/start?deviceName=…`: sets the browser-binding cookie, 302 to the IdP;
 * - `GET /auth/sso/oidc/callback?code&state`: 302 to the web app's `/sso#code=…` (or `#error=…`);
 * - `POST /auth/sso/oidc/backchannel` (form `logout_token`): the IdP's back-channel logout,
 *   200 or 400 `{ error: "invalid_request" }` as the spec asks;
 * - SAML, per provider: `GET /auth/sso/:providerId/saml/metadata` (the SP metadata XML, public),
 *   `POST /auth/sso/:providerId/saml/acs` (form `SAMLResponse`, `RelayState`: 302 to `/sso#…`),
 *   `GET|POST /auth/sso/:providerId/saml/slo` (the IdP's LogoutRequest: 302 back to the IdP with
 *   our LogoutResponse, or 400; its LogoutResponse: 302 to the web app).
 * Start and callback cost more of the address's request allowance than an API call (each
 * writes a row and may call the IdP); failed sign-ins count against the address as well.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { DeviceName } from "@parley/protocol";
import type { Deps } from "../context.ts";
import { backchannelLogout, LogoutRefused } from "../modules/sso/backchannel.ts";
import { browserCookie, browserSecretFor, browserSecretOf } from "../modules/sso/browser-cookie.ts";
import { acs, callback, start } from "../modules/sso/flow.ts";
import { spMetadata } from "../modules/sso/saml.ts";
import { samlLogout, type SloMessage } from "../modules/sso/saml-logout.ts";
import { findProviderRow } from "../modules/sso/store.ts";
import { BACKCHANNEL_PATH, CALLBACK_PATH, providerOf } from "../modules/sso/settings.ts";
import type { RouteLimit } from "./rate-limit.ts";

/** A sign-in step costs ten requests' worth of the address's allowance. */
const SSO_LIMIT: RouteLimit = { ip: 10, user: 0 };

function redirect(reply: FastifyReply, location: string): FastifyReply {
  return reply.code(302).header("Cache-Control", "no-store").header("Location", location).send();
}

export function registerSsoRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/auth/sso/:providerId/start", { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoStart" } }, async (req, reply) => {
    const { providerId } = req.params as { providerId: string };
    const name = DeviceName.safeParse((req.query as { deviceName?: unknown }).deviceName);
    const secret = browserSecretFor(req.headers.cookie);
    const out = await start(deps, req.ip, { providerId, deviceName: name.success ? name.data : null, browserSecret: secret });
    void reply.header("Set-Cookie", browserCookie(secret, deps.publicUrl.get()));
    return redirect(reply, out.location);
  });
  app.get(CALLBACK_PATH, { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoCallback" } }, async (req, reply) => {
    const query = new URLSearchParams(req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "");
    const out = await callback(deps, req.ip, { query, browserSecret: browserSecretOf(req.headers.cookie) });
    return redirect(reply, out.location);
  });
  // Encapsulated: the form parser applies to this route only.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 16_384 }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    scope.post(BACKCHANNEL_PATH, { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoBackchannelLogout" } }, async (req, reply) => {
      void reply.header("Cache-Control", "no-store");
      const form = req.body instanceof URLSearchParams ? req.body : undefined;
      try {
        await backchannelLogout(deps, req.ip, form?.get("logout_token") ?? undefined);
        return reply.code(200).send();
      } catch (err) {
        if (!(err instanceof LogoutRefused)) throw err;
        return reply.code(400).send({ error: "invalid_request", error_description: err.message });
      }
    });
  });
  registerSamlRoutes(app, deps);
}

const formFields = (body: unknown): Record<string, string> => (body instanceof URLSearchParams ? Object.fromEntries(body) : {});

function registerSamlRoutes(app: FastifyInstance, deps: Deps): void {
  app.get("/auth/sso/:providerId/saml/metadata", { schema: { hide: true }, config: { routeName: "ssoSamlMetadata" } }, async (req, reply) => {
    const { providerId } = req.params as { providerId: string };
    const row = await findProviderRow(deps.db, providerId);
    const p = row ? providerOf(deps, row) : undefined;
    if (p?.kind !== "saml") return reply.code(404).header("Cache-Control", "no-store").send({ code: "not_found", message: "no such SAML provider" });
    return reply
      .code(200)
      .header("Content-Type", "application/samlmetadata+xml; charset=utf-8")
      .header("Cache-Control", "no-cache")
      .send(await spMetadata(deps, p));
  });
  const slo = async (providerId: string, ip: string, m: SloMessage, reply: FastifyReply) => {
    try {
      return redirect(reply, (await samlLogout(deps, ip, providerId, m)).location);
    } catch (err) {
      if (!(err instanceof LogoutRefused)) throw err;
      return reply.code(400).header("Cache-Control", "no-store").send({ error: "invalid_request", error_description: err.message });
    }
  };
  app.get("/auth/sso/:providerId/saml/slo", { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoSamlSlo" } }, async (req, reply) => {
    const { providerId } = req.params as { providerId: string };
    const rawQuery = req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "";
    return slo(providerId, req.ip, { query: Object.fromEntries(new URLSearchParams(rawQuery)), rawQuery }, reply);
  });
  // Encapsulated: the form parser applies to these routes only. A SAML response with its certificates runs to tens of KB.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 512 * 1024 }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    scope.post("/auth/sso/:providerId/saml/acs", { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoSamlAcs" } }, async (req, reply) => {
      const { providerId } = req.params as { providerId: string };
      const form = formFields(req.body);
      const out = await acs(deps, req.ip, { providerId, samlResponse: form.SAMLResponse, relayState: form.RelayState });
      return redirect(reply, out.location);
    });
    scope.post("/auth/sso/:providerId/saml/slo", { schema: { hide: true }, config: { limit: SSO_LIMIT, routeName: "ssoSamlSloPost" } }, async (req, reply) => {
      const { providerId } = req.params as { providerId: string };
      return slo(providerId, req.ip, { body: formFields(req.body) }, reply);
    });
  });
}
