/**
 * Where and to whom `/metrics` (Prometheus) is served. The metrics name no
 * ids and no content, but they do tell an outsider how busy the node is, how
 * many sockets it holds and how it fails, so they are never public by default:
 *
 * - PARLEY_METRICS_LISTEN set: a separate listener (127.0.0.1 unless a host is
 *   given) serves them, and the main listener does not;
 * - else PARLEY_METRICS_TOKEN set: the main listener serves them to requests
 *   with `Authorization: Bearer <token>`;
 * - neither: they are not served at all.
 *
 * The token, when set, is required on the separate listener too.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { FastifyInstance } from "fastify";
import type { ErrorBody } from "@parley/protocol";
import type { Deps } from "../context.ts";
import { AppError } from "../core/errors.ts";
import { bearerToken } from "../modules/accounts/principal.ts";

/** Where metrics are served, for the startup banner; undefined when they are off. */
export function metricsUrl(deps: Deps, mainUrl: string, listener: MetricsListener | undefined): string | undefined {
  if (listener) return `${listener.url}/metrics`;
  return deps.config.metricsToken ? `${mainUrl}/metrics` : undefined;
}

function digest(s: string): Buffer {
  return crypto.createHash("sha256").update(s).digest();
}

/** Whether the request may read the metrics (constant-time token comparison). */
function authorized(deps: Deps, authorization: string | undefined): boolean {
  const expected = deps.config.metricsToken;
  if (!expected) return true;
  const given = bearerToken(authorization);
  return given !== undefined && crypto.timingSafeEqual(digest(given), digest(expected));
}

const UNAUTHORIZED = "the metrics need Authorization: Bearer <PARLEY_METRICS_TOKEN>";

/** The /metrics route of the main listener, when a token (and no separate listener) is configured. */
export function registerMetricsRoute(app: FastifyInstance, deps: Deps): void {
  if (deps.config.metricsListen || !deps.config.metricsToken) return;
  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    if (!authorized(deps, req.headers.authorization)) throw new AppError("unauthorized", UNAUTHORIZED);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

export interface MetricsListener {
  /** http://HOST:PORT of the listener. */
  url: string;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: ErrorBody): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

/** Start the separate metrics listener when PARLEY_METRICS_LISTEN is set. */
export async function startMetricsListener(deps: Deps): Promise<MetricsListener | undefined> {
  const listen = deps.config.metricsListen;
  if (!listen) return undefined;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      sendJson(res, 404, { code: "not_found", message: "only GET /metrics is served here" });
      return;
    }
    if (!authorized(deps, req.headers.authorization)) {
      sendJson(res, 401, { code: "unauthorized", message: UNAUTHORIZED });
      return;
    }
    deps.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": deps.metrics.registry.contentType }).end(req.method === "HEAD" ? undefined : text),
      (err: unknown) => {
        deps.log.error({ err, module: "metrics" }, "collecting metrics failed");
        sendJson(res, 500, { code: "internal", message: "collecting metrics failed" });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => { server.off("error", reject); resolve(); });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : listen.port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
