/**
 * The browser endpoints of single sign-on, outside the JSON API because they answer with
 * redirects (modules/sso/flow.ts does the work):
 * - `GET /auth/sso/:providerId/start?deviceName=…`: sets the browser-binding cookie, 302 to the IdP;
 * - `GET /auth/sso/oidc/callback?code&state`: 302 to the web app's `/sso#code=…` (or `#error=…`);
 * - `POST /auth/sso/oidc/backchannel` (form `logout_token`): the IdP's back-channel logout,
 *   200 or 400 `{ error: "invalid_request" }` as the spec asks.
 * Start and callback cost more of the address's request allowance than an API call (each
 * writes a row and may call the IdP); failed sign-ins count against the address as well.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { DeviceName } from "@parley/protocol";
import type { Deps } from "../context.ts";
import { backchannelLogout, LogoutRefused } from "../modules/sso/backchannel.ts";
import { browserCookie, browserSecretFor, browserSecretOf } from "../modules/sso/browser-cookie.ts";
import { callback, start } from "../modules/sso/flow.ts";
import { BACKCHANNEL_PATH, CALLBACK_PATH } from "../modules/sso/settings.ts";
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
}
