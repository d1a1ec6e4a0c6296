/**
 * One-click unsubscribe of mention email (RFC 8058), outside the JSON API because mail clients
 * call it: the email's `List-Unsubscribe` header names `POST /mail/unsubscribe?token=…` and its
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` says so; the client POSTs the form body
 * `List-Unsubscribe=One-Click` without a session. The token is the email's unsubscribe token
 * (notifications/unsubscribe.ts): 200 when mention email is off (idempotent), 400 for a bad token
 * or a body that is not the one-click form. A GET does nothing (link scanners prefetch URLs).
 */
import type { FastifyInstance } from "fastify";
import type { Deps } from "../context.ts";
import { AppError } from "../core/errors.ts";
import { ONE_CLICK_PATH, unsubscribeMentionEmail } from "../modules/notifications/unsubscribe.ts";
import type { RouteLimit } from "./rate-limit.ts";

/** Each attempt opens a sealed token: a few requests' worth of the address's allowance. */
const LIMIT: RouteLimit = { ip: 5, user: 0 };

export function registerMailUnsubscribe(app: FastifyInstance, deps: Deps): void {
  // Encapsulated: the form parser applies to this route only.
  void app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 1024 }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    scope.post(ONE_CLICK_PATH, { schema: { hide: true }, config: { limit: LIMIT, routeName: "mailUnsubscribeOneClick" } }, async (req, reply) => {
      void reply.header("Cache-Control", "no-store");
      const token = (req.query as { token?: unknown }).token;
      const form = req.body instanceof URLSearchParams ? req.body : undefined;
      if (form?.get("List-Unsubscribe") !== "One-Click" || typeof token !== "string" || token.length === 0 || token.length > 2048)
        return reply.code(400).send({ code: "bad_request", message: "expected the one-click form (List-Unsubscribe=One-Click) and the email's token" });
      try {
        return reply.code(200).send(await unsubscribeMentionEmail(deps, token));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        return reply.code(400).send({ code: err.code, message: err.message });
      }
    });
  });
}
