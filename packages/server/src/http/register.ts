/**
 * Registers every route of the protocol table on Fastify: validates params,
 * query and body with the route's zod schemas (400 `validation_failed` with
 * the issues), authenticates `auth: "user"` routes, and calls the handler.
 * The compiler forces a handler for every route.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { z } from "zod";
import { API_PREFIX, routes, type RouteDef, type RouteName } from "@parley/protocol";
import type { Deps, DeviceActor } from "../context.ts";
import { ENROLMENT_ROUTES, mfaEnrollmentRequired } from "../modules/accounts/principal.ts";
import { checkIpAllowed } from "../modules/accounts/session-policy.ts";
import { checkScopes } from "../modules/accounts/scopes.ts";
import { AppError } from "../core/errors.ts";
import type { AuthedCtx, Handlers, RequestCtx } from "../core/handlers.ts";
import { STANDARD_LIMIT } from "./rate-limit.ts";

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    throw new AppError("validation_failed", `invalid ${where}: ${r.error.issues.map((i) => `${i.path.join(".") || where}: ${i.message}`).join("; ")}`, {
      where,
      issues: r.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code })),
    });
  }
  return r.data;
}

export interface RegisterOptions {
  deps: Deps;
  handlers: Handlers;
  authenticate(req: FastifyRequest): Promise<DeviceActor>;
  /** Per-user limiter, called after authentication (rate-limit.ts). */
  limit(req: FastifyRequest, principal: DeviceActor | undefined): Promise<void>;
}

export function registerRoutes(app: FastifyInstance, opts: RegisterOptions): void {
  // Binary bodies reach the handler as the request stream itself: never
  // buffered, so bodyLimit does not apply and raw handlers enforce their own.
  app.addContentTypeParser("application/octet-stream", (_req, payload, done) => done(null, payload));
  for (const [name, def] of Object.entries(routes) as [RouteName, RouteDef][]) {
    const handler = opts.handlers[name] as unknown as (input: unknown, ctx: RequestCtx | AuthedCtx) => Promise<unknown>;
    app.route({
      method: def.method,
      url: API_PREFIX + def.path,
      config: { routeName: name, limit: STANDARD_LIMIT },
      // Routes marked in the protocol get their own, larger JSON body limit.
      ...(def.bodyLimit === "mlsBundle" ? { bodyLimit: opts.deps.config.mlsBundleLimit } : {}),
      handler: async (req, reply) => {
        // First, so error answers of these routes carry it too.
        if (def.noStore) void reply.header("Cache-Control", "no-store");
        let principal: DeviceActor | undefined;
        if (def.auth === "user") principal = await opts.authenticate(req);
        if (principal?.restricted && !ENROLMENT_ROUTES.has(name)) throw mfaEnrollmentRequired();
        if (principal) {
          checkScopes(principal, def);
          await checkIpAllowed(opts.deps, principal.orgId, req.ip);
        }
        await opts.limit(req, principal);
        const streamed = req.body instanceof Readable;
        if (streamed && !def.raw?.request) throw new AppError("validation_failed", "send JSON with Content-Type: application/json");
        const input = {
          params: parse(def.params, req.params, "path"),
          query: parse(def.query, req.query, "query"),
          body: parse(def.body, def.body ? req.body : undefined, "body"),
        };
        const ctx: RequestCtx = { deps: opts.deps, ip: req.ip, requestId: String(req.id), req, reply, rawBody: streamed ? (req.body as Readable) : undefined };
        const result = await handler(input, principal ? { ...ctx, principal } : ctx);
        if (def.raw?.response) return reply; // the handler sent the bytes
        if (def.response === null) return reply.code(def.status ?? 204).send();
        return reply.code(def.status ?? 200).send(result);
      },
    });
  }
}
