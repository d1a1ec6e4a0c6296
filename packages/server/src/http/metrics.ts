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
 *
 * The same surface serves `GET /ops/jobs`, the operators' view of the durable
 * job queue (platform/jobs): counts per state and the latest jobs with their
 * attempts and last error — never their payloads. Jobs are server-wide, not an
 * org's, so this is for whoever runs the server, not for org admins; retrying a
 * dead job is `parley admin jobs retry ID`.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { ErrorBody } from "@parley/protocol";
import type { Deps } from "../context.ts";
import { AppError } from "../core/errors.ts";
import { bearerToken } from "../modules/accounts/principal.ts";
import { countJobs, listJobs } from "../platform/jobs/index.ts";

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

const JobsQuery = z
  .object({
    state: z.enum(["queued", "running", "done", "dead"]).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

/** The answer of GET /ops/jobs for a query string, or a validation error. */
async function opsJobs(deps: Deps, search: URLSearchParams): Promise<{ status: number; body: unknown }> {
  const parsed = JobsQuery.safeParse(Object.fromEntries(search));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path, message: i.message, code: i.code }));
    return { status: 400, body: { code: "validation_failed", message: "state is queued|running|done|dead, limit 1-500", details: { issues } } };
  }
  const [counts, jobs] = await Promise.all([
    countJobs(deps.db),
    listJobs(deps.db, { ...(parsed.data.state ? { state: parsed.data.state } : {}), limit: parsed.data.limit }),
  ]);
  return {
    status: 200,
    body: {
      counts,
      jobs: jobs.map((j) => ({
        id: j.id,
        name: j.name,
        state: j.state,
        attempts: j.attempts,
        maxAttempts: j.maxAttempts,
        runAt: j.runAt,
        lockedBy: j.lockedBy,
        lockedUntil: j.lockedUntil,
        lastError: j.lastError,
        createdAt: j.createdAt,
        updatedAt: j.updatedAt,
      })),
    },
  };
}

/** The /metrics and /ops/jobs routes of the main listener, when a token (and no separate listener) is configured. */
export function registerMetricsRoute(app: FastifyInstance, deps: Deps): void {
  if (deps.config.metricsListen || !deps.config.metricsToken) return;
  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    if (!authorized(deps, req.headers.authorization)) throw new AppError("unauthorized", UNAUTHORIZED);
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get("/ops/jobs", { schema: { hide: true } }, async (req, reply) => {
    if (!authorized(deps, req.headers.authorization)) throw new AppError("unauthorized", UNAUTHORIZED);
    const out = await opsJobs(deps, new URL(req.url, "http://x").searchParams);
    return reply.code(out.status).header("cache-control", "no-store").send(out.body);
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
    const url = new URL(req.url ?? "/", "http://x");
    if ((url.pathname !== "/metrics" && url.pathname !== "/ops/jobs") || (req.method !== "GET" && req.method !== "HEAD")) {
      sendJson(res, 404, { code: "not_found", message: "only GET /metrics and GET /ops/jobs are served here" });
      return;
    }
    if (!authorized(deps, req.headers.authorization)) {
      sendJson(res, 401, { code: "unauthorized", message: UNAUTHORIZED });
      return;
    }
    if (url.pathname === "/ops/jobs") {
      opsJobs(deps, url.searchParams).then(
        (out) => res.writeHead(out.status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(JSON.stringify(out.body)),
        (err: unknown) => {
          deps.log.error({ err, module: "ops" }, "listing jobs failed");
          sendJson(res, 500, { code: "internal", message: "listing jobs failed" });
        },
      );
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
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : listen.port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
