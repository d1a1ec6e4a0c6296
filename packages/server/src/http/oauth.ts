/**
 * The OAuth2 authorization server's endpoints, outside the JSON API: oidc-provider's own
 * (authorization `/oauth/auth`, token `/oauth/token`, revocation `/oauth/token/revocation`,
 * JWKS, discovery at `/oauth/.well-known/openid-configuration`), handed the raw Node request
 * with the `/oauth` prefix stripped (it reads the mount path from `originalUrl`) and its body
 * unread. The consent page's calls are JSON API routes (modules/oauth/routes.ts). Each step
 * costs more of the address's request allowance than an API call.
 */
import type { FastifyInstance } from "fastify";
import type { Deps } from "../context.ts";
import { OAUTH_MOUNT, oauthProvider } from "../modules/oauth/provider.ts";
import type { RouteLimit } from "./rate-limit.ts";

const OAUTH_LIMIT: RouteLimit = { ip: 10, user: 0 };

export function registerOAuthRoutes(app: FastifyInstance, deps: Deps): void {
  // Encapsulated: in here no body is parsed, oidc-provider reads the stream itself.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null, undefined));
    scope.all(`${OAUTH_MOUNT}/*`, { schema: { hide: true }, config: { limit: OAUTH_LIMIT, routeName: "oauthProvider" } }, async (req, reply) => {
      const provider = await oauthProvider(deps);
      const raw = req.raw as typeof req.raw & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = raw.url!.slice(OAUTH_MOUNT.length) || "/";
      reply.hijack();
      provider.callback()(raw, reply.raw);
    });
  });
}
