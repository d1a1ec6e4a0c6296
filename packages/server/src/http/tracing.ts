/**
 * One server span per HTTP request (platform/tracing.ts), installed only when tracing is on.
 * onRequest starts it, the parent taken from an incoming W3C `traceparent`; preHandler runs
 * the handler inside it, so the command, query and bus spans of the request are its children
 * and its log lines carry its trace id; onResponse ends it with the status (5xx = error) and
 * lets the request log line run inside it too. Probes (/healthz, /readyz, /metrics) get none.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { startServerSpan, withContext, type Span } from "../platform/tracing.ts";
import type { Context } from "@opentelemetry/api";
import { SpanStatusCode } from "@opentelemetry/api";

const UNTRACED = new Set(["/healthz", "/readyz", "/metrics"]);

export function traceRequests(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, { span: Span; ctx: Context }>();
  app.addHook("onRequest", (req, _reply, done) => {
    const route = req.routeOptions.url;
    if (route !== undefined && UNTRACED.has(route)) return done();
    const routeName = (req.routeOptions.config as { routeName?: string } | undefined)?.routeName;
    // The path without its query string: tokens never go into a span.
    const path = req.url.split("?")[0]!;
    const s = startServerSpan(route ? `${req.method} ${route}` : req.method, req.headers, {
      "http.request.method": req.method,
      "url.path": path,
      "url.scheme": req.protocol,
      "client.address": req.ip,
      "network.protocol.version": req.raw.httpVersion,
      ...(route ? { "http.route": route } : {}),
      ...(routeName ? { "parley.route": routeName } : {}),
      ...(req.headers["user-agent"] ? { "user_agent.original": req.headers["user-agent"] } : {}),
    });
    spans.set(req, s);
    withContext(s.ctx, done);
  });
  app.addHook("preHandler", (req, _reply, done) => {
    const s = spans.get(req);
    if (s) withContext(s.ctx, done);
    else done();
  });
  app.addHook("onResponse", (req, reply, done) => {
    const s = spans.get(req);
    if (!s) return done();
    spans.delete(req);
    s.span.setAttribute("http.response.status_code", reply.statusCode);
    if (reply.statusCode >= 500) s.span.setStatus({ code: SpanStatusCode.ERROR });
    s.span.end();
    withContext(s.ctx, done);
  });
  app.addHook("onRequestAbort", (req, done) => {
    const s = spans.get(req);
    if (s) {
      spans.delete(req);
      s.span.setAttribute("error.type", "aborted");
      s.span.end();
    }
    done();
  });
}
