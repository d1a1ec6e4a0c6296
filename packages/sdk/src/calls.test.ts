/**
 * The SDK's call signalling against a real server: a DM call rings the peer's client, accept
 * joins, signalling reaches the other device, media state and hands show in `state`, hanging up
 * ends it for both; a forged SDP is refused as a ParleyError; a call nobody answers comes back
 * as `missed`, and the caller's client posts the "missed call" event, end to end encrypted, in the DM.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startOrg } from "./testing/e2ee-clients.ts";
import { TEST_SDP } from "@parley/server/testing/calls";
import {
  type ParleyClient,
  callEventOf,
  isParleyError,
  type CallEndedNotice,
  type CallRinging,
  type CallSignalNotice,
  type CallStateNotice,
  type ReceivedEvent,
} from "./index.ts";

function next<T>(client: ParleyClient, event: "ringing" | "state" | "signal" | "ended" | "missed", pred: (p: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 10 s`)), 10_000);
    const off = client.calls.on(event, (p) => {
      if (!pred(p as T)) return;
      clearTimeout(timer);
      off();
      resolve(p as T);
    });
  });
}

test("calls: ring, accept, signal, media state, hang up, forged SDP refused, missed call posted encrypted", async (t) => {
  // The MLS framing check on, as in every deployment: the missed-call event must be real MLS ciphertext.
  const { server, org } = await startOrg(t, {}, { config: { callRingSeconds: 1, checkMlsFraming: true } });
  const alice = org.owner;
  const bob = await org.user("bob");
  const dm = (await alice.api.call("openDm", { body: { userIds: [bob.userId] } })).id;
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  const aliceDevice = alice.session!.deviceId;
  const bobDevice = bob.session!.deviceId;

  const ringing = next<CallRinging>(bob, "ringing");
  const call = await alice.calls.start(dm);
  assert.equal(call.kind, "p2p");
  assert.equal((await ringing).callId, call.id);

  const joined = next<CallStateNotice>(alice, "state", (s) => s.change.kind === "joined");
  const accepted = await bob.calls.accept(call.id);
  assert.equal(accepted.participants.length, 2);
  assert.equal((await joined).change.deviceId, bobDevice);

  const offer = next<CallSignalNotice>(bob, "signal");
  await alice.calls.signal(call.id, bobDevice, { type: "offer", sdp: TEST_SDP });
  assert.deepEqual(await offer, { callId: call.id, fromUserId: alice.userId, fromDeviceId: aliceDevice, signal: { type: "offer", sdp: TEST_SDP } });
  await assert.rejects(alice.calls.signal(call.id, bobDevice, { type: "offer", sdp: "v=0\r\nforged" }), (err: unknown) =>
    isParleyError(err, "validation_failed"),
  );

  const media = next<CallStateNotice>(alice, "state", (s) => s.change.kind === "media" && s.call.participants.some((p) => p.handRaised));
  await bob.calls.setMedia(call.id, { videoMuted: true });
  await bob.calls.raiseHand(call.id);
  const bobState = (await media).call.participants.find((p) => p.deviceId === bobDevice)!;
  assert.equal(bobState.videoMuted, true);
  assert.equal(bobState.handRaised, true);
  assert.deepEqual(
    (await bob.calls.list()).map((c) => c.id),
    [call.id],
  );

  const ended = next<CallEndedNotice>(alice, "ended");
  await bob.calls.leave(call.id);
  assert.equal((await ended).reason, "hangup");
  assert.deepEqual(await alice.calls.list(), []);
  await assert.rejects(bob.calls.join(call.id), (err: unknown) => isParleyError(err, "call_ended"));

  // Nobody answers: both clients hear `missed`; the caller's client posts the missed-call event, encrypted.
  const missedAtBob = next<CallEndedNotice>(bob, "missed");
  const posted = new Promise<ReceivedEvent>((resolve) => {
    const off = bob.on("message", (e) => {
      if (e.channelId !== dm || callEventOf(e.content)?.event !== "missed") return;
      off();
      resolve(e);
    });
  });
  const missedAtAlice = next<CallEndedNotice>(alice, "missed");
  const unanswered = await alice.calls.start(dm);
  assert.equal((await missedAtAlice).callId, unanswered.id);
  assert.equal((await missedAtBob).callId, unanswered.id);
  // Registered before the ring ends: the caller's client posts the event itself (call-events.ts).
  const event = await posted;
  assert.deepEqual(callEventOf(event.content), {
    event: "missed",
    callId: unanswered.id,
    kind: "p2p",
    reason: "missed",
    startedBy: alice.userId,
    startedAt: unanswered.startedAt,
  });
  assert.equal(event.senderId, alice.userId);
  // Posting it again by hand gives the same event back (one per call and kind).
  const again = (await alice.calls.postEvent(dm, { event: "missed", callId: unanswered.id, kind: "p2p", reason: "missed" })) as {
    event: { seq: number };
    duplicate: boolean;
  };
  assert.deepEqual([again.event.seq, again.duplicate], [event.seq, true]);
  assert.equal(event.text, "📞 Missed call");
  // The server stored ciphertext: the call id is nowhere in the event's bytes.
  const row = await server.deps.db.selectFrom("events").select("content").where("channel_id", "=", dm).where("seq", "=", event.seq).executeTakeFirstOrThrow();
  assert.equal(Buffer.from(row.content).includes(unanswered.id), false);
});
