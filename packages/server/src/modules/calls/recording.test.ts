/**
 * Call recording (issue 14): the org's call policy (off by default; admins turn it on, audited),
 * `call.record` refused with nothing written where the org does not allow it, the device is not in
 * the call, or the call is another org's; a recording start and stop reach every participant as
 * `call.state` naming the recorder and are audited; a recorder that leaves, or is removed from the
 * channel, stops recording.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import type { ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import type { TestSocket } from "../../gateway/test-client.ts";
import { callAck, callFrame, privateChannel, socketPool } from "../../testing/calls.ts";

for (const dialect of DIALECTS) {
  describe(`call recording (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let other: TestUser;
    const { connect, closeAll } = socketPool(() => s.url);
    const ack = callAck;
    const refused = async (sock: TestSocket, frame: Record<string, unknown>, code: string) => {
      const r = await callFrame(sock, frame);
      assert.equal(r.t === "error" && r.code, code, JSON.stringify(r));
    };
    const audit = (orgId: string, actions: string[]) =>
      s.deps.db
        .selectFrom("audit_log")
        .select(["action", "actor_id", "actor_device_id", "target_id", "details"])
        .where("org_id", "=", orgId)
        .where("action", "in", actions)
        .orderBy("seq")
        .execute();
    const recordingRows = async (callId: string) =>
      (
        await s.deps.db
          .selectFrom("call_participants")
          .select(["device_id", "recording_since"])
          .where("call_id", "=", callId)
          .where("recording_since", "is not", null)
          .execute()
      ).map((r) => r.device_id);
    const setPolicy = (u: TestUser, recordingAllowed: boolean) => u.api("PUT", "/org/call-policy", { recordingAllowed });

    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      carol = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    afterEach(async () => {
      await closeAll();
    });
    after(() => s.stop());

    it("the call policy: off by default, members read it, only admins change it (audited), bad input refused", async () => {
      assert.deepEqual((await alice.api("GET", "/org/call-policy")).body, { recordingAllowed: false });
      const denied = await setPolicy(alice, true);
      assert.equal(denied.status, 403);
      const bad = await owner.api("PUT", "/org/call-policy", { recordingAllowed: "yes" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "validation_failed");
      assert.deepEqual((await bob.api("GET", "/org/call-policy")).body, { recordingAllowed: false });
      assert.deepEqual(await audit(owner.org.id, ["org.call_policy.changed"]), []);

      const on = await setPolicy(owner, true);
      assert.equal(on.status, 200);
      assert.deepEqual(on.body, { recordingAllowed: true });
      assert.deepEqual((await alice.api("GET", "/org/call-policy")).body, { recordingAllowed: true });
      // Another org's policy is its own: still off there.
      assert.deepEqual((await other.api("GET", "/org/call-policy")).body, { recordingAllowed: false });
      const rows = await audit(owner.org.id, ["org.call_policy.changed"]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.actor_id, owner.user.id);
      assert.deepEqual(JSON.parse(rows[0]!.details), { from: { recordingAllowed: false }, to: { recordingAllowed: true } });
      assert.equal((await setPolicy(owner, false)).status, 200);
    });

    it("recording refused while the org does not allow it, outside the call and for another org's call: nothing written", async () => {
      const channelId = await privateChannel(owner, [alice, bob, carol]);
      const [a, b, c, o] = await Promise.all([connect(alice), connect(bob), connect(carol), connect(other)]);
      const call = await ack(a, { t: "call.start", channelId });
      await ack(b, { t: "call.join", callId: call.id });
      const mark = b.frames.length;

      await refused(a, { t: "call.record", ref: "r1", callId: call.id, recording: true }, "call_recording_not_allowed");
      assert.equal((await setPolicy(owner, true)).status, 200);
      // Carol is a member but her device is not in the call; another org's user does not see the call.
      await refused(c, { t: "call.record", ref: "r2", callId: call.id, recording: true }, "call_not_joined");
      await refused(o, { t: "call.record", ref: "r3", callId: call.id, recording: true }, "not_found");
      await refused(a, { t: "call.record", ref: "r4", callId: call.id, recording: "yes" }, "validation_failed");
      assert.deepEqual(await recordingRows(call.id), []);
      assert.deepEqual(await audit(owner.org.id, ["call.recording.started", "call.recording.stopped"]), []);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(b.frames.slice(mark).filter((f) => f.t === "call.state").length, 0, "a refused recording tells nobody");
      await ack(a, { t: "call.leave", callId: call.id });
      await ack(b, { t: "call.leave", callId: call.id });
      assert.equal((await setPolicy(owner, false)).status, 200);
    });

    it("start and stop reach every participant as call.state naming the recorder, audited; a recorder leaving stops", async () => {
      assert.equal((await setPolicy(owner, true)).status, 200);
      const channelId = await privateChannel(owner, [alice, bob, carol]);
      const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
      const call = await ack(a, { t: "call.start", channelId });
      await ack(b, { t: "call.join", callId: call.id });
      await ack(c, { t: "call.join", callId: call.id });

      const markB = b.frames.length;
      const markC = c.frames.length;
      const started = await ack(a, { t: "call.record", ref: "s1", callId: call.id, recording: true });
      assert.deepEqual(
        started.participants.filter((p) => p.recording).map((p) => p.deviceId),
        [alice.tokens.deviceId],
      );
      for (const [sock, mark] of [
        [b, markB],
        [c, markC],
      ] as const) {
        const st = await sock.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "recording", 5000, mark);
        assert.deepEqual(st.change, { kind: "recording", userId: alice.user.id, deviceId: alice.tokens.deviceId });
        assert.deepEqual(
          st.call.participants.filter((p) => p.recording).map((p) => p.userId),
          [alice.user.id],
        );
      }
      // Saying it again changes nothing and is not audited twice.
      await ack(a, { t: "call.record", ref: "s2", callId: call.id, recording: true });
      // An admin turning the policy off stops Alice's recording (every participant is told, her device
      // too, which then stops and posts what it has) and refuses new ones.
      const mark2 = b.frames.length;
      const markA = a.frames.length;
      assert.equal((await setPolicy(owner, false)).status, 200);
      for (const [sock, mark] of [
        [b, mark2],
        [a, markA],
      ] as const) {
        const st = await sock.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "recording", 5000, mark);
        assert.deepEqual(st.change, { kind: "recording", userId: alice.user.id, deviceId: alice.tokens.deviceId });
        assert.equal(
          st.call.participants.some((p) => p.recording),
          false,
        );
      }
      assert.deepEqual(await recordingRows(call.id), []);
      await refused(b, { t: "call.record", ref: "s3", callId: call.id, recording: true }, "call_recording_not_allowed");
      // Her device saying it stopped changes nothing more (not audited twice).
      const stopped = await ack(a, { t: "call.record", ref: "s4", callId: call.id, recording: false });
      assert.equal(
        stopped.participants.some((p) => p.recording),
        false,
      );

      // Bob records, then leaves: his flag is gone for the others and the stop is audited.
      assert.equal((await setPolicy(owner, true)).status, 200);
      await ack(b, { t: "call.record", ref: "s5", callId: call.id, recording: true });
      assert.deepEqual(await recordingRows(call.id), [bob.tokens.deviceId]);
      const mark3 = c.frames.length;
      await ack(b, { t: "call.leave", callId: call.id });
      const left = await c.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", 5000, mark3);
      assert.equal(
        left.call.participants.some((p) => p.recording),
        false,
      );
      assert.deepEqual(await recordingRows(call.id), []);

      const rows = await audit(owner.org.id, ["call.recording.started", "call.recording.stopped"]);
      assert.deepEqual(
        rows.map((r) => [r.action, r.actor_id, r.actor_device_id, r.target_id]),
        [
          ["call.recording.started", alice.user.id, alice.tokens.deviceId, call.id],
          ["call.recording.stopped", owner.user.id, owner.tokens.deviceId, call.id],
          ["call.recording.started", bob.user.id, bob.tokens.deviceId, call.id],
          ["call.recording.stopped", bob.user.id, bob.tokens.deviceId, call.id],
        ],
      );
      const details = rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
      assert.equal(details[1]!.reason, "policy");
      assert.equal(details[1]!.deviceId, alice.tokens.deviceId);
      assert.equal(details[3]!.reason, "left");
      assert.equal(typeof details[3]!.durationMs, "number");
      assert.equal(details[0]!.channelId, channelId);
      await ack(a, { t: "call.leave", callId: call.id });
      await ack(c, { t: "call.leave", callId: call.id });
      assert.equal((await setPolicy(owner, false)).status, 200);
    });

    it("a recorder removed from the channel stops: the others no longer see the flag, the stop is audited by who removed them", async () => {
      assert.equal((await setPolicy(owner, true)).status, 200);
      const channelId = await privateChannel(owner, [alice, bob]);
      const [a, b] = await Promise.all([connect(alice), connect(bob)]);
      const call = await ack(a, { t: "call.start", channelId });
      await ack(b, { t: "call.join", callId: call.id });
      await ack(b, { t: "call.record", callId: call.id, recording: true });
      const mark = a.frames.length;
      assert.equal((await owner.api("DELETE", `/channels/${channelId}/members/${bob.user.id}`)).status, 204);
      const left = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", 5000, mark);
      assert.equal(left.change.reason, "removed");
      assert.equal(
        left.call.participants.some((p) => p.recording),
        false,
      );
      assert.deepEqual(await recordingRows(call.id), []);
      const stop = (await audit(owner.org.id, ["call.recording.stopped"])).filter((r) => r.target_id === call.id);
      assert.equal(stop.length, 1);
      assert.equal(stop[0]!.actor_id, owner.user.id);
      assert.deepEqual(
        { ...(JSON.parse(stop[0]!.details) as Record<string, unknown>), durationMs: 0 },
        { channelId, deviceId: bob.tokens.deviceId, durationMs: 0, reason: "removed" },
      );
      await ack(a, { t: "call.leave", callId: call.id });
      assert.equal((await setPolicy(owner, false)).status, 200);
    });
  });
}
