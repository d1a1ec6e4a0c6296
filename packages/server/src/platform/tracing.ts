/**
 * OpenTelemetry traces over OTLP/HTTP (JSON), off unless an endpoint is configured by the
 * standard variables (OTEL_EXPORTER_OTLP_ENDPOINT / _TRACES_ENDPOINT; config/schema.ts).
 *
 * Instrumented by hand at Parley's own seams, no auto-instrumentation: HTTP requests
 * (http/tracing.ts, honouring an incoming `traceparent`), one span per WebSocket frame
 * (gateway/client-frames.ts), one per command transaction (command.ts) with its queries as
 * children (a Kysely `log` hook, platform/db), bus publishes (platform/bus/outbox.ts) and job
 * runs (platform/jobs/runner.ts). Across nodes the trace follows the bus: the NATS bus sends
 * the publishing span's `traceparent` as message headers and the receiving node delivers the
 * message inside a consumer span continuing it (platform/bus/nats.ts). Log lines carry
 * `trace_id`/`span_id` of the active span (platform/log.ts).
 *
 * Off, every helper here is one branch on a module variable: no span objects, no context
 * switches, no hooks installed. The state is per process (the context manager is global), so
 * one server per process traces; a second one started with tracing in the same process says
 * so and runs without.
 */
import {
  context,
  diag,
  DiagLogLevel,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { parseKeyPairsIntoRecord, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
} from "@opentelemetry/sdk-trace";
import type { Config } from "../config/schema.ts";
// pino's Logger (log.ts re-exports it; importing log.ts here would make an import cycle: it uses traceFields).
import type { Logger } from "pino";

export { SpanKind, type Span };

/** The settings tracing reads (all OTEL_*). */
export type TracingConfig = Pick<
  Config,
  | "otelEndpoint"
  | "otelTracesEndpoint"
  | "otelProtocol"
  | "otelHeaders"
  | "otelServiceName"
  | "otelResourceAttributes"
  | "otelTracesSampler"
  | "otelTracesSamplerArg"
  | "otelTracesExporter"
  | "otelSdkDisabled"
>;

export interface Tracing {
  /** Where spans go. */
  url: string;
  /** Export what is buffered now. */
  flush(): Promise<void>;
  /** Flush, stop exporting and turn the helpers back into no-ops (server close). */
  shutdown(): Promise<void>;
}

interface Active {
  tracer: Tracer;
  provider: TracerProvider;
}

/** Set while tracing is on in this process. */
let active: Active | undefined;
const propagator = new W3CTraceContextPropagator();

/** The URL spans are sent to, or undefined when tracing is off. */
export function tracesUrl(c: TracingConfig): string | undefined {
  if (c.otelSdkDisabled || c.otelTracesExporter === "none") return undefined;
  if (c.otelTracesEndpoint) return c.otelTracesEndpoint;
  if (c.otelEndpoint) return `${c.otelEndpoint.replace(/\/+$/, "")}/v1/traces`;
  return undefined;
}

function samplerOf(c: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(c.otelTracesSamplerArg ?? 1);
  switch (c.otelTracesSampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio();
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio() });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Start exporting spans if the config asks for it (see {@link tracesUrl}); undefined, and
 * nothing started, otherwise.
 */
export function startTracing(c: TracingConfig, log: Logger): Tracing | undefined {
  const url = tracesUrl(c);
  if (!url) return undefined;
  const tlog = log.child({ module: "tracing" });
  if (active) {
    tlog.warn("tracing is already on in this process (another server); this one runs without");
    return undefined;
  }
  if (c.otelProtocol === "http/protobuf") tlog.warn("OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: Parley sends OTLP as http/json to the same URL");
  // The exporter's own failures (receiver down, refused batch) as our warnings, not silence.
  diag.setLogger(
    {
      error: (msg, ...args) => tlog.warn({ detail: args.map(String).join(" ") }, `OpenTelemetry: ${msg}`),
      warn: (msg, ...args) => tlog.warn({ detail: args.map(String).join(" ") }, `OpenTelemetry: ${msg}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  const exporter = new OTLPTraceExporter({ url, headers: c.otelHeaders ? parseKeyPairsIntoRecord(c.otelHeaders) : {} });
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...(c.otelResourceAttributes ? parseKeyPairsIntoRecord(c.otelResourceAttributes) : {}),
      "service.name": c.otelServiceName,
    }),
  );
  const provider = new TracerProvider({ resource, sampler: samplerOf(c), spanProcessors: [new BatchSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const me: Active = { tracer: provider.getTracer("parley"), provider };
  active = me;
  tlog.info({ url, sampler: c.otelTracesSampler, service: c.otelServiceName }, "tracing on: OTLP/HTTP JSON");
  let stopped: Promise<void> | undefined;
  return {
    url,
    flush: () => provider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        try {
          await provider.shutdown();
        } catch (err) {
          tlog.warn({ err }, "flushing the last spans failed");
        }
        if (active === me) active = undefined;
        context.disable();
        diag.disable();
      })();
      return stopped;
    },
  };
}

/** Whether spans are being recorded in this process (hot paths branch on it). */
export function tracingOn(): boolean {
  return active !== undefined;
}

/** Is `err` the client's fault (an AppError below 500)? Such a span is not marked failed. */
function clientError(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status < 500;
}

/** Mark `span` as failed by `err` (a client error only gets its code as `error.type`). */
function failSpan(span: Span, err: unknown): void {
  const code = (err as { code?: unknown } | null)?.code;
  span.setAttribute("error.type", typeof code === "string" ? code : err instanceof Error ? err.name : "error");
  if (clientError(err)) return;
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/**
 * Run `fn` in a new span (a child of the active one) that ends when `fn` returns or its
 * promise settles; a throw or rejection marks it failed and passes through. Off: just `fn()`.
 */
export function inSpan<T>(name: string, attributes: Attributes, fn: () => T, kind: SpanKind = SpanKind.INTERNAL): T {
  if (!active) return fn();
  const span = active.tracer.startSpan(name, { kind, attributes });
  return context.with(trace.setSpan(context.active(), span), () => {
    let out: T;
    try {
      out = fn();
    } catch (err) {
      failSpan(span, err);
      span.end();
      throw err;
    }
    if (out instanceof Promise) {
      return out.then(
        (v: unknown) => {
          span.end();
          return v;
        },
        (err: unknown) => {
          failSpan(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return out;
  });
}

/** Set attributes on the active span (e.g. a job's outcome), and mark it failed by `err` if given; nothing when off or outside a span. */
export function annotateSpan(attributes: Attributes, err?: unknown): void {
  if (!active) return;
  const span = trace.getSpan(context.active());
  if (!span) return;
  span.setAttributes(attributes);
  if (err !== undefined) failSpan(span, err);
}

/**
 * Start a server span whose parent is the W3C `traceparent` (and `tracestate`) of `headers`,
 * if any; end it yourself. Returns it with the context to run its work in. Tracing must be on.
 */
export function startServerSpan(name: string, headers: Record<string, string | string[] | undefined>, attributes: Attributes): { span: Span; ctx: Context } {
  const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = active!.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** W3C trace context as text headers (`traceparent`, and `tracestate` when there is one). */
export interface TraceHeaders {
  traceparent?: string;
  tracestate?: string;
}

/**
 * The W3C trace context of the active span, to send along with a message to another process;
 * undefined when tracing is off (one branch, nothing allocated) or no span is active.
 */
export function traceHeaders(): TraceHeaders | undefined {
  if (!active) return undefined;
  const ctx = context.active();
  if (!trace.getSpan(ctx)) return undefined;
  const carrier: TraceHeaders = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier.traceparent ? carrier : undefined;
}

/** Runs work inside a span and ends the span once the work returns (see {@link startConsumerSpan}). */
export type RunInSpan = (work: () => void) => void;

/**
 * Start a consumer span for a message another process sent, its parent the trace context the
 * message carried (`headers`): the work it causes here joins the sender's trace. A malformed
 * `traceparent` is ignored (the span starts a new trace). Tracing must be on.
 */
export function startConsumerSpan(name: string, headers: TraceHeaders, attributes: Attributes): RunInSpan {
  const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = active!.tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  return (work) => {
    try {
      context.with(ctx, work);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  };
}

/** Run `fn` with `ctx` active (its spans and log lines belong to that trace). */
export function withContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** A query that ran (Kysely's log event, reduced to what a span needs). */
export interface QueryEvent {
  level: "query" | "error";
  query: { sql: string };
  queryDurationMillis: number;
  error?: unknown;
}

/**
 * A Kysely `log` function recording each query as a child span of the active one (queries
 * outside any span, such as pollers, record nothing); undefined when tracing is off.
 */
export function queryTracer(system: "sqlite" | "postgresql"): ((e: QueryEvent) => void) | undefined {
  if (!active) return undefined;
  return (e) => {
    if (!active) return;
    const ctx = context.active();
    if (!trace.getSpan(ctx)) return;
    const op = /^\s*(\w+)/.exec(e.query.sql)?.[1]?.toUpperCase() ?? "QUERY";
    const span = active.tracer.startSpan(
      `db ${op}`,
      {
        kind: SpanKind.CLIENT,
        startTime: performance.timeOrigin + performance.now() - e.queryDurationMillis,
        attributes: { "db.system.name": system, "db.operation.name": op, "db.query.text": e.query.sql },
      },
      ctx,
    );
    if (e.level === "error") failSpan(span, e.error);
    span.end();
  };
}

/** `trace_id` and `span_id` of the active span, for every log line (pino `mixin`); {} when none. */
export function traceFields(): Record<string, string> {
  if (!active) return {};
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
