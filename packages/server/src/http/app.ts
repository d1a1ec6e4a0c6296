/**
 * The Fastify app: security headers, body limit, error mapping to stable
 * codes, OpenAPI document + browsable docs, health/readiness/metrics, and the
 * protocol routes.
 */
import Fastify, { type FastifyInstance, type FastifyError } from "fastify";
import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { openApiDocument, type ErrorBody } from "@parley/protocol";
import type { Deps, DeviceActor } from "../context.ts";
import { AppError } from "../core/errors.ts";
import type { Handlers } from "../core/handlers.ts";
import { registerRoutes } from "./register.ts";
import { registerWebApp } from "./web.ts";
import { bearerToken, resolvePrincipal } from "../modules/accounts/principal.ts";
import { newId } from "../platform/ids.ts";
import { limitAddress, limitUser, PROBE_LIMIT } from "./rate-limit.ts";
import { registerMetricsRoute } from "./metrics.ts";
import { registerScim } from "./scim.ts";
import { traceRequests } from "./tracing.ts";
import { tracingOn } from "../platform/tracing.ts";

import { serverFactory, type TlsFiles } from "./tls.ts";
export interface HttpOptions {
  deps: Deps;
  handlers: Handlers;
  /** Whether the node is draining (readyz fails, new requests get 503). */
  draining(): boolean;
  /** Serve HTTPS with this certificate and key (PARLEY_TLS_CERT / PARLEY_TLS_KEY). */
  tls?: TlsFiles | undefined;
}

function toErrorBody(err: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  if (err instanceof AppError) {
    return {
      status: err.status,
      body: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) },
      ...(err.retryAfter ? { retryAfter: err.retryAfter } : {}),
    };
  }
  const fe = err as FastifyError;
  if (fe?.code === "FST_ERR_CTP_BODY_TOO_LARGE") return { status: 413, body: { code: "payload_too_large", message: "request body too large" } };
  if (fe?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return { status: 400, body: { code: "validation_failed", message: "send JSON with Content-Type: application/json" } };
  if (fe?.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || fe?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (fe?.statusCode === 400 && fe instanceof SyntaxError)) {
    return { status: 400, body: { code: "validation_failed", message: "request body is not valid JSON" } };
  }
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode === 413 ? 413 : 400, body: { code: fe.statusCode === 413 ? "payload_too_large" : "bad_request", message: fe.message } };
  }
  return { status: 500, body: { code: "internal", message: "internal error; it has been logged with the request id" } };
}

export async function createHttpApp(opts: HttpOptions): Promise<FastifyInstance> {
  const { deps } = opts;
  const log = deps.log.child({ module: "http" });
  const app = Fastify({
    // Fastify's own logger stays off: we log one line per request ourselves
    // (onResponse) with route, status and timing, through our pino instance.
    logger: false,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: deps.config.trustProxy,
    genReqId: () => newId("req"),
    requestIdHeader: false,
    return503OnClosing: true,
    serverFactory: serverFactory(opts.tls),
  });

  // connect-src 'self' also covers ws:/wss: to this origin (CSP Level 3), which is
  // all the web app opens; injected script can reach no other host.
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:", "blob:"],
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
      },
    },
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, body, retryAfter } = toErrorBody(err);
    if (status >= 500) log.error({ err, reqId: req.id }, "request failed");
    if (retryAfter) void reply.header("Retry-After", String(retryAfter));
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: "not_found", message: `no route ${req.method} ${req.url.split("?")[0]}` } satisfies ErrorBody);
  });

  // A span per request, only when tracing is on (http/tracing.ts); first, so the hooks below run inside it.
  if (tracingOn()) traceRequests(app);
  app.addHook("onRequest", async (req, reply) => {
    void reply.header("X-Request-Id", req.id);
    // The routed path, not the raw URL: the router decodes and normalises it.
    if (opts.draining() && req.routeOptions.url !== "/healthz") throw new AppError("unavailable", "server is restarting; retry on another node");
    await limitAddress(deps, req);
  });
  // While draining, end every keep-alive connection with its current response:
  // close() otherwise waits for each busy socket's keep-alive timeout (72 s).
  app.addHook("onSend", async (_req, reply) => {
    if (opts.draining()) void reply.header("Connection", "close");
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = (req.routeOptions.config as { routeName?: string }).routeName ?? req.routeOptions.url ?? "unknown";
    deps.metrics.httpDuration.observe({ route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    log.info({ reqId: req.id, method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, "request");
  });

  // OpenAPI: served from the protocol table; swagger-ui renders it at /api/docs.
  const doc = openApiDocument();
  await app.register(swagger, { mode: "static", specification: { document: doc as never } });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });
  app.get("/api/openapi.json", { schema: { hide: true } }, async () => doc);

  app.get("/healthz", { schema: { hide: true }, config: { limit: PROBE_LIMIT } }, async () => ({ ok: true }));
  app.get("/readyz", { schema: { hide: true }, config: { limit: PROBE_LIMIT } }, async (_req, reply) => {
    const checks: Record<string, boolean> = { db: false, bus: deps.bus.ready(), draining: opts.draining() };
    try {
      await deps.storage.ping();
      checks.db = true;
    } catch {
      /* reported below */
    }
    // Redis down does not fail readiness: the limits fall back to this node's memory (platform/limits).
    if (deps.limits.backend() !== "memory") checks.redis = deps.limits.backend() === "redis";
    // The SFU down does not fail readiness either: messaging works; group calls wait for it (platform/sfu).
    if (deps.sfu) checks.sfu = deps.sfu.health().up;
    const ok = checks.db && checks.bus && !checks.draining;
    return reply.code(ok ? 200 : 503).send({ ok, checks });
  });
  // Only with PARLEY_METRICS_TOKEN (and no separate listener): metrics.ts.
  registerMetricsRoute(app, deps);

  registerRoutes(app, {
    deps,
    handlers: opts.handlers,
    async authenticate(req): Promise<DeviceActor> {
      const token = bearerToken(req.headers.authorization);
      if (!token) throw new AppError("unauthorized", "sign in first (missing Authorization: Bearer token)");
      return resolvePrincipal(deps, deps.keys, token, req.ip, { apps: true });
    },
    // The per-address limit ran in onRequest, before the body and the token were looked at.
    limit: (req, principal) => limitUser(deps, req, principal),
  });
  // SCIM 2.0 provisioning at /scim/v2: its own media type, errors and tokens (scim.ts).
  await registerScim(app, deps);
  // The web app last: its SPA fallback route is the least specific one.
  await registerWebApp(app, deps.config.webDir);
  return app;
}
