/**
 * The Janus SFU adapter against a real Janus (scripts/janus.sh, one per test file): rooms are
 * created per call with end-to-end encryption required and a secret only the server knows, and
 * destroyed (a publisher not declaring E2EE is refused); a publisher's offer gets an answer,
 * renegotiation and trickle reach its session; Janus SIGKILLed and restarted → the adapter reports down, reconnects,
 * reports it (health, /metrics gauges, events) and re-creates rooms on demand. /metrics carries
 * Janus's ping round trip (NaN while it is down).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import Janode from "janode";
import VideoRoomPlugin from "janode/plugins/videoroom";
import { Registry } from "prom-client";
import { createLogger } from "../log.ts";
import { startTestJanus, type TestJanus } from "../../testing/janus.ts";
import { startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser } from "../../testing/factories.ts";
import { startCallIn } from "../../testing/calls.ts";
import { createJanusSfu } from "./janus.ts";
import { SfuError, type Sfu, type SfuEvent } from "./types.ts";

let janus: TestJanus;
before(async () => {
  janus = await startTestJanus();
});
after(() => janus?.stop());

const secrets = (callId: string) => `room-secret-${callId}`;

async function open(registry = new Registry()): Promise<{ sfu: Sfu; events: SfuEvent[]; registry: Registry }> {
  const sfu = await createJanusSfu({
    url: janus.url,
    apiSecret: janus.apiSecret,
    adminKey: janus.adminKey,
    roomSecret: secrets,
    log: createLogger("silent"),
    registry,
    retryMs: 100,
  });
  const events: SfuEvent[] = [];
  sfu.onEvent((e) => events.push(e));
  return { sfu, events, registry };
}

/** An outside Janus client (what a stranger with the API secret but no room secret could do). */
async function outsider() {
  const c = await Janode.connect({ address: { url: janus.url, apisecret: janus.apiSecret }, max_retries: 1, retry_time_secs: 1 });
  const s = await c.create();
  const h = await s.attach(VideoRoomPlugin);
  return { h, close: () => c.close() };
}

/** A minimal but valid WebRTC offer (audio + video, BUNDLE, DTLS, ICE): enough for Janus to answer. */
function offer(): { type: "offer"; sdp: string } {
  const fp = Array.from(crypto.randomBytes(32), (b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
  const ufrag = crypto.randomBytes(4).toString("hex");
  const pwd = crypto.randomBytes(12).toString("hex");
  const media = (kind: string, mid: number, pt: string, ssrc: number) =>
    [
      `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt.split(" ")[0]}`,
      "c=IN IP4 0.0.0.0",
      "a=rtcp:9 IN IP4 0.0.0.0",
      `a=ice-ufrag:${ufrag}`,
      `a=ice-pwd:${pwd}`,
      "a=ice-options:trickle",
      `a=fingerprint:sha-256 ${fp}`,
      "a=setup:actpass",
      `a=mid:${mid}`,
      "a=sendonly",
      "a=rtcp-mux",
      `a=rtpmap:${pt}`,
      `a=ssrc:${ssrc} cname:parley-test`,
      `a=ssrc:${ssrc} msid:stream track-${kind}`,
    ].join("\r\n");
  const sdp = [
    "v=0",
    `o=- ${Date.now()} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=msid-semantic: WMS stream",
    media("audio", 0, "111 opus/48000/2", 1111),
    media("video", 1, "96 VP8/90000", 2222),
    "",
  ].join("\r\n");
  return { type: "offer", sdp };
}

test("a call's room is created with E2EE required and a server-only secret, and destroyed", async () => {
  const { sfu, registry } = await open();
  const out = await outsider();
  try {
    const callId = `call-${crypto.randomBytes(4).toString("hex")}`;
    await sfu.ensureRoom(callId);
    await sfu.ensureRoom(callId); // idempotent
    assert.equal((await out.h.exists({ room: callId })).exists, true);
    assert.deepEqual(sfu.health(), { up: true, rooms: 1, reconnects: 0 });
    const metrics = await registry.metrics();
    assert.match(metrics, /^parley_sfu_up 1$/m);
    assert.match(metrics, /^parley_sfu_rooms 1$/m);
    // Janus answers an info request at each scrape: its round trip, well under the 2 s timeout on 127.0.0.1.
    const ping = Number(/^parley_sfu_ping_seconds (\S+)$/m.exec(metrics)?.[1]);
    assert.ok(ping > 0 && ping < 1, `parley_sfu_ping_seconds ${ping}`);
    // No publisher's media came up on this adapter: the setup histogram is empty.
    assert.match(metrics, /^parley_sfu_publish_setup_seconds_count 0$/m);
    // Without the room's secret nobody else may destroy it (Janus: 433 unauthorized).
    await assert.rejects(out.h.destroy({ room: callId, secret: "guess" }), /433/);
    // A publisher that does not declare end-to-end encryption is refused by the room.
    const plain = await out.h.joinConfigurePublisher({ room: callId, feed: "plain", jsep: offer() }).then(
      () => "joined",
      (e: Error) => e.message,
    );
    assert.match(plain, /e2ee|encrypt/i);
    await sfu.destroyRoom(callId);
    await sfu.destroyRoom(callId); // gone already is fine
    assert.equal((await out.h.exists({ room: callId })).exists, false);
    assert.equal(sfu.health().rooms, 0);
  } finally {
    await out.close();
    await sfu.close();
  }
});

test("a publisher's offer gets an answer; renegotiation, trickle and leave go to its session", async () => {
  const { sfu } = await open();
  try {
    const callId = `call-${crypto.randomBytes(4).toString("hex")}`;
    const alice = await sfu.publish(callId, "alice-device", offer(), "Alice");
    assert.equal(alice.answer.type, "answer");
    assert.match(alice.answer.sdp, /a=fingerprint:sha-256 /);
    assert.match(alice.answer.sdp, /opus\/48000/);
    assert.match(alice.answer.sdp, /VP8\/90000/);
    assert.deepEqual(alice.feeds, []);
    // A feed is listed (and can be subscribed to) only once its media flows: these offers never
    // complete ICE, so Bob sees no feed and a subscription to Alice is refused by Janus.
    const bob = await sfu.publish(callId, "bob-device", offer());
    assert.deepEqual(bob.feeds, []);
    await assert.rejects(
      sfu.subscribe(callId, "bob-device", ["alice-device"]),
      (e: unknown) => e instanceof SfuError && e.reason === "not_published" && e.sfuCode === 428,
    );
    await sfu.trickle(callId, "bob-device", "publisher", { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host", sdpMid: "0", sdpMLineIndex: 0 });
    await sfu.trickle(callId, "bob-device", "publisher", null);
    // An ICE restart is a new offer on the same publisher session.
    const renegotiated = await sfu.configure(callId, "bob-device", { offer: offer() });
    assert.equal(renegotiated.answer?.type, "answer");
    const muted = await sfu.configure(callId, "bob-device", { audio: false });
    assert.equal(muted.answer, undefined);
    await sfu.leave(callId, "bob-device");
    await assert.rejects(sfu.trickle(callId, "bob-device", "publisher", null), /no publisher session/);
    await assert.rejects(sfu.start(callId, "bob-device", { type: "answer", sdp: "v=0" }), /no subscriber session/);
    await sfu.destroyRoom(callId);
  } finally {
    await sfu.close();
  }
});

test("Janus killed and restarted: the adapter reports down, reconnects, and re-creates rooms on demand", async () => {
  const { sfu, events, registry } = await open();
  try {
    const callId = `call-${crypto.randomBytes(4).toString("hex")}`;
    await sfu.ensureRoom(callId);
    await janus.kill();
    for (let i = 0; i < 200 && sfu.health().up; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(sfu.health(), { up: false, rooms: 0, reconnects: 0 });
    const down = await registry.metrics();
    assert.match(down, /^parley_sfu_up 0$/m);
    assert.match(down, /^parley_sfu_ping_seconds nan$/im, "an unreachable SFU has no ping latency (prom-client writes Nan)");
    assert.ok(events.some((e) => e.kind === "down"));
    await assert.rejects(sfu.ensureRoom(callId), /unavailable/);
    await janus.start();
    for (let i = 0; i < 400 && !sfu.health().up; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(sfu.health(), { up: true, rooms: 0, reconnects: 1 });
    assert.ok(events.some((e) => e.kind === "reconnected"));
    const back = await registry.metrics();
    assert.match(back, /^parley_sfu_up 1$/m);
    assert.ok(Number(/^parley_sfu_ping_seconds (\S+)$/m.exec(back)?.[1]) > 0, "the ping answers again");
    // The restarted Janus has no rooms: the first join after the restart makes it again.
    const again = await sfu.publish(callId, "carol-device", offer());
    assert.equal(again.answer.type, "answer");
    assert.equal(sfu.health().rooms, 1);
  } finally {
    await sfu.close();
  }
});

test("a server with PARLEY_JANUS_URL reports the SFU in /readyz and /metrics without failing readiness when it is down", async (t) => {
  const s = await startTestServer({ config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
  t.after(() => s.stop());
  const ready = async () => {
    const res = await fetch(`${s.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { checks: Record<string, boolean> } };
  };
  for (let i = 0; i < 200 && !(await ready()).body.checks.sfu; i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(await ready(), { status: 200, body: { ok: true, checks: { db: true, bus: true, draining: false, sfu: true } } });
  assert.match(await s.deps.metrics.registry.metrics(), /^parley_sfu_up 1$/m);
  // The room secret comes from the KMS-sealed room key: stable for a call, different per call, never the key itself.
  await s.deps.sfu!.ensureRoom("call-readyz");
  const out = await outsider();
  try {
    assert.equal((await out.h.exists({ room: "call-readyz" })).exists, true);
    await assert.rejects(out.h.destroy({ room: "call-readyz", secret: secrets("call-readyz") }), /433/);
  } finally {
    await out.close();
  }
  await janus.kill();
  for (let i = 0; i < 200 && (await ready()).body.checks.sfu; i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(await ready(), { status: 200, body: { ok: true, checks: { db: true, bus: true, draining: false, sfu: false } } });
  assert.match(await s.deps.metrics.registry.metrics(), /^parley_sfu_up 0$/m);
  await janus.start();
});

test("a group call started through the server gets its Janus room, and ending it destroys the room", async (t) => {
  const s = await startTestServer({ config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
  t.after(() => s.stop());
  for (let i = 0; i < 200 && !s.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
  const owner = await bootstrapOrg(s, { orgSlug: "acme" });
  const bob = await makeUser(s, owner);
  const created = await owner.api("POST", "/channels", { kind: "private", name: "standup", members: [bob.user.id] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const callId = await startCallIn(s.url, owner.accessToken, created.body.id as string);
  const out = await outsider();
  try {
    const exists = async () => (await out.h.exists({ room: callId })).exists;
    for (let i = 0; i < 200 && !(await exists()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await exists(), true, "the SFU room is made when the group call starts");
    const ended = await owner.api("POST", `/calls/${callId}/end`);
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    for (let i = 0; i < 200 && (await exists()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await exists(), false, "the SFU room is destroyed when the call ends");
  } finally {
    await out.close();
  }
});
