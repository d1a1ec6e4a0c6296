/**
 * Trace context crosses nodes over NATS: two Parley nodes on one PostgreSQL database and one
 * NATS server, each exporting spans to a real OTLP/HTTP receiver on 127.0.0.1. Node A is its own
 * process (tracing is per process), node B runs in this one. A send through node A's HTTP API,
 * continuing a caller's `traceparent`, reaches a client on node B; node B's "bus deliver" span is
 * in the caller's trace, its parent node A's "bus publish" span, whose own parent chain leads to
 * node A's command and HTTP spans. A message with a malformed `traceparent` header is still
 * delivered, in a span of a new trace of its own.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServerFrame } from "@parley/protocol";
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import { publishRaw, startTestNats, type TestNats } from "@parley/server/testing/nats";
import { spanAttr, startOtlpReceiver, type OtlpReceiver, type OtlpSpan, type ReceivedSpan } from "@parley/server/testing/otlp";
import { waitUntil } from "@parley/server/testing/jobs";
import { startChildServer, type ChildServer } from "./support/child.ts";
import { connectWs, type WsClient } from "./support/ws.ts";

const SPAN_KIND = { server: 2, producer: 4, consumer: 5 } as const;

describe("trace context follows a bus message from node to node over NATS", { timeout: 90_000 }, () => {
  let receiver: OtlpReceiver;
  let nats: TestNats;
  let database: TestDatabase;
  let b: TestServer;
  let a: ChildServer;
  let owner: TestUser, member: TestUser;
  let ch: string;
  let onB: WsClient;

  before(async () => {
    receiver = await startOtlpReceiver();
    nats = await startTestNats();
    database = await createTestDatabase("postgres");
    b = await startTestServer({ database, config: { natsUrl: nats.url, otelEndpoint: receiver.url, otelServiceName: "parley-b" } });
    owner = await bootstrapOrg(b);
    member = await makeUser(b, owner);
    const created = await owner.api("POST", "/channels", { kind: "public", name: "traced", members: [member.user.id] });
    assert.equal(created.status, 201);
    ch = created.body.id as string;
    // Node A shares B's database and data dir (its KMS key file), exactly as a second node would.
    a = await startChildServer({
      dataDir: database.dataDir,
      databaseUrl: database.url,
      env: { PARLEY_NATS_URL: nats.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "parley-a" },
    });
    onB = await connectWs(b.url);
    onB.send({ t: "hello", token: member.accessToken, cursors: { user: 0, channels: { [ch]: 0 } } });
    // Answered once node B's interest in the channel is in effect on NATS.
    await onB.waitFor((f) => f.t === "synced");
  });

  after(async () => {
    onB?.close();
    await a?.terminate();
    await b?.stop();
    await database?.drop();
    await nats?.cleanup();
    await receiver?.close();
  });

  /** Spans exported so far by node `service`, matching `pred`. */
  const spansOf = (service: string, pred: (s: OtlpSpan) => boolean): OtlpSpan[] =>
    receiver.spans.filter((r: ReceivedSpan) => r.service === service && pred(r.span)).map((r) => r.span);

  it("a send through node A and its delivery to a client on node B are one trace", { timeout: 30_000 }, async () => {
    const traceId = crypto.randomBytes(16).toString("hex");
    const callerSpan = crypto.randomBytes(8).toString("hex");
    const res = await fetch(`${a.url}/api/v1/channels/${ch}/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json", traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ clientId: "traced-across", kind: "message", content: Buffer.from("opaque").toString("base64") }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const { event } = (await res.json()) as { event: { seq: number } };
    await onB.waitFor((f: ServerFrame) => f.t === "event" && f.event.channelId === ch && f.event.seq === event.seq);

    // Each node exports its batch within ~5 s (the SDK's default schedule).
    const deliverOnB = () => spansOf("parley-b", (s) => s.name === "bus deliver channel.event" && s.traceId === traceId);
    const publishOnA = () => spansOf("parley-a", (s) => s.name === "bus publish" && s.traceId === traceId);
    await waitUntil(async () => deliverOnB().length > 0 && publishOnA().length > 0, 20_000, "node A's publish span and node B's delivery span");

    const [deliver] = deliverOnB();
    assert.equal(deliverOnB().length, 1, "one delivery span on node B");
    assert.equal(deliver!.kind, SPAN_KIND.consumer);
    assert.equal(spanAttr(deliver!, "messaging.system"), "nats");
    assert.equal(spanAttr(deliver!, "messaging.destination.name"), `parley.c.${ch}.channel.event`);
    assert.equal(spanAttr(deliver!, "parley.bus.topic"), "channel.event");
    // Its parent is node A's publish span, which continues A's command and HTTP request.
    const publish = publishOnA().find((s) => s.spanId === deliver!.parentSpanId);
    assert.ok(publish, "node B's delivery span is a child of node A's bus publish span");
    assert.equal(publish.kind, SPAN_KIND.producer);
    const command = spansOf("parley-a", (s) => s.spanId === publish.parentSpanId)[0];
    assert.ok(command, "the publish's parent span was exported by node A");
    assert.ok(command.name.startsWith("command "), `the publish's parent is a command span, got ${command.name}`);
    assert.equal(command.traceId, traceId);
    const http = spansOf("parley-a", (s) => s.kind === SPAN_KIND.server && s.traceId === traceId && s.parentSpanId === callerSpan)[0];
    assert.ok(http, "node A's HTTP span continues the caller's traceparent");
    assert.equal(spanAttr(http, "http.route"), "/api/v1/channels/:channelId/events");
    // Node B only continues that trace: none of its spans in it is a root.
    for (const s of spansOf("parley-b", (x) => x.traceId === traceId)) assert.ok(s.parentSpanId, `${s.name} on node B has a parent`);
  });

  it("a malformed traceparent on a NATS message is ignored: the message is delivered, in a new trace", { timeout: 30_000 }, async () => {
    const bad = "00-not-a-trace-id-at-all-01";
    const typing = { orgId: owner.org.id, channelId: ch, userId: owner.user.id, threadRoot: null };
    await publishRaw(nats.url, `parley.c.${ch}.channel.typing`, JSON.stringify(typing), { traceparent: bad, tracestate: "x=1" });
    await onB.waitFor((f: ServerFrame) => f.t === "typing" && f.channelId === ch && f.userId === owner.user.id);

    const deliverOnB = () => spansOf("parley-b", (s) => s.name === "bus deliver channel.typing");
    await waitUntil(async () => deliverOnB().length > 0, 20_000, "node B's delivery span");
    const [deliver] = deliverOnB();
    assert.equal(deliverOnB().length, 1);
    assert.equal(deliver!.kind, SPAN_KIND.consumer);
    assert.ok(!deliver!.parentSpanId, "no parent: the header was not taken for one");
    assert.match(deliver!.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(deliver!.traceId, "0".repeat(32));
    const others = receiver.spans.filter((r) => r.span.traceId === deliver!.traceId && r.span.spanId !== deliver!.spanId);
    assert.deepEqual(
      others.map((r) => r.span.name),
      [],
      "a trace of its own",
    );
  });
});
