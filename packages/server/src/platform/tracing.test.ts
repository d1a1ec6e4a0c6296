/**
 * OpenTelemetry: a real OTLP/HTTP receiver (node:http on 127.0.0.1, POST /v1/traces, JSON)
 * gets the spans of an HTTP request that came with a `traceparent` (its trace continued),
 * a WebSocket frame, a command with its queries, a bus publish and a job; log lines carry
 * the trace id. With nothing configured, no exporter starts and nothing is traced.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { DIALECTS, startTestServer } from "../testing/harness.ts";
import { bootstrapOrg, call } from "../testing/factories.ts";
import { waitForJobsIdle } from "../testing/jobs.ts";
import { connectUser } from "../gateway/test-client.ts";
import { runCommand } from "../command.ts";
import { DELETE_BLOBS_JOB } from "../modules/files/gc.ts";
import { loadConfig } from "../config/schema.ts";
import { startTracing, tracesUrl, tracingOn, traceFields } from "./tracing.ts";
import { createLogger } from "./log.ts";
import { spanAttr as attr, startOtlpReceiver as startReceiver } from "../testing/otlp.ts";

for (const dialect of DIALECTS) {
  test(`traces reach an OTLP receiver: HTTP (traceparent honoured), WebSocket frames, commands, queries, bus, jobs; trace ids in logs [${dialect}]`, async (t) => {
    const receiver = await startReceiver();
    t.after(() => receiver.close());
    const server = await startTestServer({ dialect, config: { otelEndpoint: receiver.url } });
    let stopped = false;
    t.after(() => (stopped ? undefined : server.stop()));
    assert.ok(tracingOn());
    const owner = await bootstrapOrg(server);

    // An HTTP request continuing a caller's trace.
    const traceId = crypto.randomBytes(16).toString("hex");
    const callerSpan = crypto.randomBytes(8).toString("hex");
    const created = await call(
      server,
      "POST",
      "/channels",
      { name: "traced", kind: "public" },
      { ...owner.headers, traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    assert.equal(created.status, 201);
    const channelId = created.body.id as string;

    // WebSocket frames: hello, then a send (a command through the group-commit writer) and a ping.
    const s = await connectUser(server.url, owner.accessToken);
    s.send({ t: "send", ref: "r1", channelId, clientId: "traced-1", kind: "message", content: Buffer.from("opaque").toString("base64") });
    await s.waitFor((f) => f.t === "ack");
    s.send({ t: "ping", ref: "p1" });
    await s.waitFor((f) => f.t === "pong");
    await s.close();

    // A command that writes and enqueues a job, which the runner then runs.
    await runCommand(server.deps, null, "test.traced", async (_tx, fx) => {
      await fx.job(DELETE_BLOBS_JOB, { ids: [] });
    });
    await waitForJobsIdle(server.deps.db);

    // close() flushes the batch processor.
    await server.stop();
    stopped = true;
    assert.equal(tracingOn(), false, "close() turns tracing off");
    const spans = receiver.spans.map((r) => r.span);
    assert.ok(receiver.spans.length > 0);
    for (const r of receiver.spans) assert.equal(r.service, "parley");

    // HTTP: the server span continues the caller's trace, with the semantic attributes.
    const httpSpan = spans.find((x) => x.name === "POST /api/v1/channels");
    assert.ok(httpSpan, `no HTTP span; got ${spans.map((x) => x.name).join(", ")}`);
    assert.equal(httpSpan.traceId, traceId);
    assert.equal(httpSpan.parentSpanId, callerSpan);
    assert.equal(httpSpan.kind, 2 /* SERVER */);
    assert.equal(attr(httpSpan, "http.request.method"), "POST");
    assert.equal(attr(httpSpan, "http.route"), "/api/v1/channels");
    assert.equal(attr(httpSpan, "http.response.status_code"), 201);
    assert.equal(attr(httpSpan, "parley.route"), "createChannel");
    // Its command is a child, and the command's queries are the command's children.
    const command = spans.find((x) => x.traceId === traceId && x.name.startsWith("command ") && x.parentSpanId === httpSpan.spanId);
    assert.ok(command, "the request's command span is a child of the HTTP span");
    const queries = spans.filter((x) => x.parentSpanId === command.spanId && x.name.startsWith("db "));
    assert.ok(queries.some((q) => q.name === "db INSERT"));
    assert.equal(attr(queries[0]!, "db.system.name"), dialect === "postgres" ? "postgresql" : "sqlite");
    assert.equal(typeof attr(queries[0]!, "db.query.text"), "string");

    // WebSocket: one span per frame, named by its type.
    for (const name of ["ws hello", "ws send", "ws ping"])
      assert.ok(
        spans.some((x) => x.name === name && x.kind === 2),
        `no ${name} span`,
      );
    const send = spans.find((x) => x.name === "ws send")!;
    assert.equal(attr(send, "parley.frame.type"), "send");
    assert.ok(spans.some((x) => x.name === "command messages.send"));

    // The test's command: its span, a bus publish (the job nudge) under it, and the job's run.
    const testCommand = spans.find((x) => x.name === "command test.traced")!;
    assert.ok(testCommand);
    assert.equal(attr(testCommand, "parley.actor"), "anonymous");
    const publish = spans.find((x) => x.name === "bus publish" && x.parentSpanId === testCommand.spanId);
    assert.ok(publish, "bus publish span under the command");
    assert.equal(publish.kind, 4 /* PRODUCER */);
    assert.equal(attr(publish, "parley.bus.path"), "immediate");
    const job = spans.find((x) => x.name === `job ${DELETE_BLOBS_JOB}`);
    assert.ok(job, "job span");
    assert.equal(attr(job, "parley.job.attempt"), 1);
    assert.equal(attr(job, "parley.job.outcome"), "done");

    // Log lines written inside a span carry its ids: the request line carries the caller's trace.
    const lines = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requestLine = lines.find((l) => l.msg === "request" && l.route === "createChannel");
    assert.ok(requestLine);
    assert.equal(requestLine.trace_id, traceId);
    assert.equal(requestLine.span_id, httpSpan.spanId);
    // Outside any span, none.
    assert.ok(lines.some((l) => l.msg === "starting" && l.trace_id === undefined));
  });
}

test("tracing is off unless configured: no exporter, no spans, no log fields", async (t) => {
  const receiver = await startReceiver();
  t.after(() => receiver.close());
  // Nothing set: off.
  assert.equal(tracesUrl(loadConfig({}, {})), undefined);
  // The standard variables turn it on, and off again.
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` };
  assert.equal(tracesUrl(loadConfig({}, env)), `${receiver.url}/v1/traces`);
  assert.equal(tracesUrl(loadConfig({}, { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/custom" })), "http://collector:4318/custom");
  assert.equal(tracesUrl(loadConfig({}, { ...env, OTEL_SDK_DISABLED: "true" })), undefined);
  assert.equal(tracesUrl(loadConfig({}, { ...env, OTEL_TRACES_EXPORTER: "none" })), undefined);
  assert.equal(loadConfig({}, { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }).otelTracesSamplerArg, 0.25);
  assert.throws(() => loadConfig({}, { OTEL_TRACES_SAMPLER_ARG: "2" }), /OTEL_TRACES_SAMPLER_ARG/);
  assert.throws(() => loadConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }), /OTEL_EXPORTER_OTLP_PROTOCOL/);
  assert.equal(startTracing(loadConfig({}, { ...env, OTEL_SDK_DISABLED: "true" }), createLogger("silent")), undefined);

  const server = await startTestServer();
  t.after(() => server.stop());
  assert.equal(tracingOn(), false);
  assert.deepEqual(traceFields(), {});
  const owner = await bootstrapOrg(server);
  const r = await call(server, "GET", "/me", undefined, { ...owner.headers, traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01` });
  assert.equal(r.status, 200);
  assert.ok(!server.logs.some((l) => l.includes("trace_id")));
  assert.equal(receiver.requests(), 0);
});
