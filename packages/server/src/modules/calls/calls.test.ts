/** Call signalling: ring, accept, relay, leave; bad input; other orgs and non-members; membership drop; throttle; missed; admin end. */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import type { Call, ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { callAck, callFrame, privateChannel, socketPool, TEST_CANDIDATE, TEST_SDP } from "../../testing/calls.ts";

const RINGS_PER_MINUTE = 8;

for (const dialect of DIALECTS) {
  describe(`call signalling (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let other: TestUser;
    const { connect, closeAll } = socketPool(() => s.url);
    const counts = async () => ({
      calls: await countRows(s, "calls"),
      participants: await countRows(s, "call_participants"),
      rings: await countRows(s, "call_rings"),
    });
    const dm = async (a: TestUser, b: TestUser) => (await a.api("POST", "/dms", { userIds: [b.user.id] })).body.id as string;
    const channel = privateChannel;
    const ack = callAck;

    before(async () => {
      s = await startTestServer({ dialect, config: { callRingSeconds: 2, callRingsPerMinute: RINGS_PER_MINUTE } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      carol = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    // Each device may hold 4 sockets: every test closes the ones it opened.
    afterEach(async () => {
      await closeAll();
    });
    after(() => s.stop());

    it("a DM call rings the peer, accept joins, signalling reaches only the target device, hanging up ends it", async () => {
      const channelId = await dm(alice, bob);
      const [a, b] = await Promise.all([connect(alice), connect(bob)]);
      const started = await ack(a, { t: "call.start", channelId });
      assert.equal(started.kind, "p2p");
      assert.deepEqual(
        started.participants.map((p) => p.deviceId),
        [alice.tokens.deviceId],
      );
      const ring = await b.waitFor<ServerFrameOf<"call.ring">>((f) => f.t === "call.ring" && f.callId === started.id);
      assert.equal(ring.fromUserId, alice.user.id);
      assert.equal(ring.channelId, channelId);
      assert.ok(ring.expiresAt > ring.startedAt);
      // The channel already has a call: a second start names it.
      const again = await callFrame(b, { t: "call.start", channelId });
      assert.equal(again.t === "error" && again.code, "call_active");
      assert.deepEqual(again.t === "error" && again.details, { callId: started.id });

      const markA = a.frames.length;
      const accepted = await ack(b, { t: "call.accept", callId: started.id });
      assert.deepEqual(accepted.participants.map((p) => p.userId).sort(), [alice.user.id, bob.user.id].sort());
      const joined = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "joined", 5000, markA);
      assert.equal(joined.change.userId, bob.user.id);

      // Signalling: offer and candidate from Alice's device to Bob's.
      const markB = b.frames.length;
      await ack(a, { t: "call.signal", callId: started.id, toDeviceId: bob.tokens.deviceId, signal: { type: "offer", sdp: TEST_SDP } });
      await ack(a, {
        t: "call.signal",
        callId: started.id,
        toDeviceId: bob.tokens.deviceId,
        signal: { type: "candidate", candidate: TEST_CANDIDATE, sdpMid: "0", sdpMLineIndex: 0 },
      });
      const offer = await b.waitFor<ServerFrameOf<"call.signal">>((f) => f.t === "call.signal", 5000, markB);
      assert.equal(offer.fromDeviceId, alice.tokens.deviceId);
      assert.deepEqual(offer.signal, { type: "offer", sdp: TEST_SDP });
      await b.waitFor((f) => f.t === "call.signal" && f.signal.type === "candidate", 5000, markB);
      // ICE restart after a network change: an offer flagged as such, and the answer.
      await ack(b, { t: "call.signal", callId: started.id, toDeviceId: alice.tokens.deviceId, signal: { type: "answer", sdp: TEST_SDP } });
      await ack(a, { t: "call.signal", callId: started.id, toDeviceId: bob.tokens.deviceId, signal: { type: "offer", sdp: TEST_SDP, iceRestart: true } });
      await b.waitFor((f) => f.t === "call.signal" && f.signal.type === "offer" && f.signal.iceRestart === true, 5000, markB);
      // Alice's own signal never echoes to her.
      assert.equal(a.of("call.signal").filter((f) => f.fromDeviceId === alice.tokens.deviceId).length, 0);

      // Media state and hand raise reach the channel.
      await ack(b, { t: "call.media", callId: started.id, audioMuted: true, screenSharing: true });
      const media = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "media", 5000, markA);
      const bobState = media.call.participants.find((p) => p.userId === bob.user.id)!;
      assert.equal(bobState.audioMuted, true);
      assert.equal(bobState.screenSharing, true);
      assert.equal(bobState.videoMuted, false);
      const hand = await ack(b, { t: "call.hand", callId: started.id, raised: true });
      assert.equal(hand.participants.find((p) => p.userId === bob.user.id)!.handRaised, true);

      const listed = (await bob.api("GET", "/calls")).body.calls as Call[];
      assert.deepEqual(
        listed.map((c) => c.id),
        [started.id],
      );
      // Bob hangs up: a 1:1 call ends for both.
      await ack(b, { t: "call.leave", callId: started.id });
      const ended = await a.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === started.id);
      assert.equal(ended.reason, "hangup");
      assert.deepEqual((await alice.api("GET", "/calls")).body.calls, []);
      const row = await s.deps.db.selectFrom("calls").selectAll().where("id", "=", started.id).executeTakeFirstOrThrow();
      assert.equal(row.end_reason, "hangup");
      assert.ok(row.answered_at !== null);
      // Signalling into an ended call is refused.
      const late = await callFrame(a, { t: "call.signal", callId: started.id, toDeviceId: bob.tokens.deviceId, signal: { type: "answer", sdp: TEST_SDP } });
      assert.equal(late.t === "error" && late.code, "call_ended");
      const metrics = await s.deps.metrics.registry.metrics();
      assert.match(metrics, /parley_call_setup_seconds_count [1-9]/);
    });

    it("refuses forged SDP, bad candidates, oversized frames and targets outside the call, writing nothing", async () => {
      const channelId = await channel(carol, [alice, bob]);
      const [a, c] = await Promise.all([connect(alice), connect(carol)]);
      const call = await ack(c, { t: "call.start", channelId });
      await ack(a, { t: "call.join", callId: call.id });
      const before = await counts();
      const mark = c.frames.length;
      // A fresh socket of Alice's device (in the call) per frame: the gateway closes a socket after three invalid frames.
      const bad = async (signal: unknown, code = "validation_failed", toDeviceId = carol.tokens.deviceId) => {
        const sock = await connectUser(s.url, alice.accessToken);
        const r = await callFrame(sock, { t: "call.signal", callId: call.id, toDeviceId, signal });
        await sock.close();
        assert.equal(r.t, "error", JSON.stringify(signal).slice(0, 200));
        assert.equal(r.t === "error" && r.code, code, JSON.stringify(r));
      };
      await bad({ type: "offer", sdp: "hello" });
      await bad({ type: "offer", sdp: TEST_SDP.replace(/a=fingerprint:[^\r]*\r\n/, "") });
      await bad({ type: "offer", sdp: TEST_SDP.replace("s=-", "s=\u0001") });
      await bad({ type: "answer", sdp: TEST_SDP + `a=x:${"y".repeat(17_000)}\r\n` });
      await bad({ type: "offer", sdp: "v=0\r\n" + "a=x:1\r\n".repeat(500) });
      await bad({ type: "candidate", candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ nonsense", sdpMid: "0", sdpMLineIndex: 0 });
      await bad({ type: "candidate", candidate: `${TEST_CANDIDATE}\r\na=injected`, sdpMid: "0", sdpMLineIndex: 0 });
      await bad({ type: "candidate", candidate: "x".repeat(600), sdpMid: "0", sdpMLineIndex: 0 });
      await bad({ type: "rollback" });
      // Well-formed, but to a device that is not in the call (Bob is a member who has not joined).
      await bad({ type: "offer", sdp: TEST_SDP }, "call_not_joined", bob.tokens.deviceId);
      await bad({ type: "offer", sdp: TEST_SDP }, "call_not_joined", "dev_nobody");
      // Nothing was relayed to Carol, nothing written.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(c.of("call.signal").length, 0);
      assert.equal(
        c.frames.slice(mark).some((f) => f.t === "call.signal"),
        false,
      );
      assert.deepEqual(await counts(), before);
      // Unknown and malformed frames.
      const unknownKind = await callFrame(await connect(alice), { t: "call.start", channelId: "not an id!" });
      assert.equal(unknownKind.t === "error" && unknownKind.code, "validation_failed");
      assert.deepEqual(await counts(), before);
      await ack(c, { t: "call.leave", callId: call.id });
      await ack(a, { t: "call.leave", callId: call.id });
    });

    it("another org's users and non-members cannot start, join, signal or see a call", async () => {
      const channelId = await channel(alice, [bob]);
      const [a, o, c] = await Promise.all([connect(alice), connect(other), connect(carol)]);
      const call = await ack(a, { t: "call.start", channelId });
      const before = await counts();
      for (const [sock, who] of [
        [o, "other org"],
        [c, "non-member"],
      ] as const) {
        for (const frame of [
          { t: "call.start", channelId },
          { t: "call.join", callId: call.id },
          { t: "call.accept", callId: call.id },
          { t: "call.leave", callId: call.id },
          { t: "call.media", callId: call.id, audioMuted: true },
          { t: "call.signal", callId: call.id, toDeviceId: alice.tokens.deviceId, signal: { type: "offer", sdp: TEST_SDP } },
        ]) {
          const r = await callFrame(sock, frame);
          assert.equal(r.t, "error", `${who} ${frame.t}`);
          assert.ok(r.t === "error" && ["not_found", "forbidden"].includes(r.code), `${who} ${frame.t}: ${JSON.stringify(r)}`);
        }
        assert.equal(sock.of("call.state").length, 0, who);
        assert.equal(sock.of("call.ring").length, 0, who);
      }
      assert.deepEqual(await counts(), before);
      const ids = async (u: TestUser, q = "") => ((await u.api("GET", `/calls${q}`)).body.calls as Call[]).map((x) => x.id);
      assert.deepEqual(await ids(other), []);
      assert.equal((await ids(carol)).includes(call.id), false);
      assert.ok((await ids(alice)).includes(call.id));
      // Another org's owner can neither list it with all=true nor end it.
      assert.deepEqual(await ids(other, "?all=true"), []);
      assert.equal((await other.api("POST", `/calls/${call.id}/end`)).status, 404);
      await ack(a, { t: "call.leave", callId: call.id });
    });

    it("a member removed from the channel, a revoked device and a deactivated user are dropped at once and the others told", async () => {
      const dave = await makeUser(s, owner);
      const erin = await makeUser(s, owner);
      const channelId = await channel(owner, [alice, bob, dave, erin]);
      const [a, b, d, e] = await Promise.all([connect(alice), connect(bob), connect(dave), connect(erin)]);
      const call = await ack(a, { t: "call.start", channelId });
      for (const sock of [b, d, e]) await ack(sock, { t: "call.join", callId: call.id });

      // Bob is removed from the channel.
      let mark = a.frames.length;
      assert.equal((await owner.api("DELETE", `/channels/${channelId}/members/${bob.user.id}`)).status, 204);
      let left = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", 5000, mark);
      assert.deepEqual(left.change, { kind: "left", userId: bob.user.id, deviceId: bob.tokens.deviceId, reason: "removed" });
      assert.equal(
        left.call.participants.some((p) => p.userId === bob.user.id),
        false,
      );
      const bobRow = await s.deps.db
        .selectFrom("call_participants")
        .selectAll()
        .where("call_id", "=", call.id)
        .where("user_id", "=", bob.user.id)
        .executeTakeFirstOrThrow();
      assert.equal(bobRow.leave_reason, "removed");
      // Bob can neither signal nor rejoin.
      const r = await callFrame(b, { t: "call.join", callId: call.id });
      assert.equal(r.t, "error");

      // Dave's device is revoked by an admin.
      mark = a.frames.length;
      assert.equal((await owner.api("DELETE", `/users/${dave.user.id}/devices/${dave.tokens.deviceId}`)).status, 204);
      left = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", 5000, mark);
      assert.deepEqual(left.change, { kind: "left", userId: dave.user.id, deviceId: dave.tokens.deviceId, reason: "removed" });

      // Erin is deactivated.
      mark = a.frames.length;
      const deact = await owner.api("POST", `/users/${erin.user.id}/deactivate`);
      assert.ok(deact.status < 300, JSON.stringify(deact.body));
      left = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", 5000, mark);
      assert.equal(left.change.userId, erin.user.id);
      assert.deepEqual(
        left.call.participants.map((p) => p.userId),
        [alice.user.id],
      );
      await Promise.all([d.closed, e.closed]);
      // Alice, the last one, leaves: the call ends.
      await ack(a, { t: "call.leave", callId: call.id });
      const row = await s.deps.db.selectFrom("calls").selectAll().where("id", "=", call.id).executeTakeFirstOrThrow();
      assert.equal(row.end_reason, "hangup");
    });

    it("throttles a burst of call starts from one user with call_ring_throttled and counts them", async () => {
      const frank = await makeUser(s, owner);
      const burst = 14;
      const channels: string[] = [];
      for (let i = 0; i < burst; i++) channels.push(await channel(frank, []));
      const f = await connect(frank);
      const before = await countRows(s, "calls");
      const answers = await Promise.all(channels.map((channelId) => callFrame(f, { t: "call.start", channelId })));
      const accepted = answers.filter((x) => x.t === "call.ack").length;
      const throttled = answers.filter((x) => x.t === "error" && x.code === "call_ring_throttled");
      assert.equal(accepted, RINGS_PER_MINUTE);
      assert.equal(throttled.length, burst - RINGS_PER_MINUTE);
      assert.equal(await countRows(s, "calls"), before + RINGS_PER_MINUTE);
      const metrics = await s.deps.metrics.registry.metrics();
      assert.match(metrics, new RegExp(`parley_call_rings_throttled_total ${burst - RINGS_PER_MINUTE}\\b`));
      assert.match(metrics, /parley_calls_active [1-9]/);
      for (const x of answers) if (x.t === "call.ack") await ack(f, { t: "call.leave", callId: x.call!.id });
    });

    it("a call nobody answers ends as missed; a declined DM call ends as declined; the caller may cancel", async () => {
      const gina = await makeUser(s, owner);
      const hank = await makeUser(s, owner);
      const channelId = await dm(gina, hank);
      const [g, h] = await Promise.all([connect(gina), connect(hank)]);
      const missed = await ack(g, { t: "call.start", channelId });
      await h.waitFor((f) => f.t === "call.ring" && f.callId === missed.id);
      const [endG, endH] = await Promise.all(
        [g, h].map((sock) => sock.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === missed.id, 10_000)),
      );
      assert.equal(endG!.reason, "missed");
      assert.equal(endH!.reason, "missed");
      // Accepting a missed call is too late.
      const late = await callFrame(h, { t: "call.accept", callId: missed.id });
      assert.equal(late.t === "error" && late.code, "call_ended");

      const declined = await ack(g, { t: "call.start", channelId });
      await ack(h, { t: "call.decline", callId: declined.id });
      assert.equal((await g.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === declined.id)).reason, "declined");

      const busy = await ack(g, { t: "call.start", channelId });
      await ack(h, { t: "call.busy", callId: busy.id });
      assert.equal((await g.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === busy.id)).reason, "busy");

      const cancelled = await ack(g, { t: "call.start", channelId });
      const notMine = await callFrame(h, { t: "call.cancel", callId: cancelled.id });
      assert.equal(notMine.t === "error" && notMine.code, "forbidden");
      await ack(g, { t: "call.cancel", callId: cancelled.id });
      assert.equal((await h.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === cancelled.id)).reason, "cancelled");
    });

    it("an admin ends a call: participants told, audited; members may not, and ended calls stay ended", async () => {
      const channelId = await channel(alice, [bob]);
      const [a, b] = await Promise.all([connect(alice), connect(bob)]);
      const call = await ack(a, { t: "call.start", channelId });
      await ack(b, { t: "call.join", callId: call.id });
      assert.equal((await bob.api("POST", `/calls/${call.id}/end`)).status, 403);
      assert.equal((await bob.api("GET", "/calls?all=true")).status, 403);
      const all = (await owner.api("GET", "/calls?all=true")).body.calls as Call[];
      assert.ok(all.some((c) => c.id === call.id));
      const ended = await owner.api("POST", `/calls/${call.id}/end`);
      assert.equal(ended.status, 200, JSON.stringify(ended.body));
      assert.equal(ended.body.endReason, "admin");
      for (const sock of [a, b])
        assert.equal((await sock.waitFor<ServerFrameOf<"call.ended">>((f) => f.t === "call.ended" && f.callId === call.id)).reason, "admin");
      const audit = await s.deps.db.selectFrom("audit_log").select(["action", "actor_id", "target_kind"]).where("target_id", "=", call.id).execute();
      assert.deepEqual(audit, [{ action: "call.ended", actor_id: owner.user.id, target_kind: "call" }]);
      const again = await owner.api("POST", `/calls/${call.id}/end`);
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "call_ended");
      const rows = await s.deps.db.selectFrom("call_participants").select(["left_at", "leave_reason"]).where("call_id", "=", call.id).execute();
      assert.deepEqual(
        rows.map((r) => r.leave_reason),
        ["ended", "ended"],
      );
    });
  });
}
