/**
 * The call-event rule (call-events.ts) against a real server, on SQLite and PostgreSQL: each call
 * leaves exactly one "started" and one "ended" event (duration from the answer, who took part) or,
 * unanswered in a DM, one "missed" event — also when the device whose turn it was went away
 * (the next device posts a step later), and when two devices post the same event at once; a group
 * DM's call (kind sfu, which rings its members) that nobody answered is "missed" too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS } from "@parley/server/testing/harness";
import { startOrg, until } from "./testing/e2ee-clients.ts";
import { callEventClientId, callEventOf, isParleyError, type CallEventContent, type ParleyClient, type ReceivedEvent } from "./index.ts";

const STEP_MS = 300;

type Heard = { e: ReceivedEvent; call: CallEventContent };

/** The call events `client` decrypts in `channelId` from now on. */
function heard(client: ParleyClient, channelId: string): Heard[] {
  const got: Heard[] = [];
  client.on("message", (e) => {
    const call = e.channelId === channelId ? callEventOf(e.content) : undefined;
    if (call) got.push({ e, call });
  });
  return got;
}

/** How many events the server holds under each clientId of this call. */
async function stored(client: ParleyClient, channelId: string, callId: string): Promise<Record<string, number>> {
  const { events } = await client.api.call("listEvents", { params: { channelId }, query: { after: 0, limit: 200 } });
  const out: Record<string, number> = {};
  for (const ev of ["started", "ended", "missed"] as const) out[ev] = events.filter((e) => e.clientId === callEventClientId(ev, callId)).length;
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  test(
    `call events: one started and one ended or missed per call, posted by the next device when one is gone (${dialect})`,
    { timeout: 180_000 },
    async (t) => {
      const { org } = await startOrg(t, { callEvents: { stepMs: STEP_MS } }, { dialect, config: { callRingSeconds: 2, checkMlsFraming: true } });
      const alice = org.owner;
      const bob = await org.user("bob");
      const dm = (await alice.api.call("openDm", { body: { userIds: [bob.userId] } })).id;
      const who = (id: string) => (id === alice.userId ? "alice" : id === bob.userId ? "bob" : id);
      const posters = (hs: Heard[]) => hs.map((h) => `${h.call.event} by ${who(h.e.senderId)}`);
      for (const c of [alice, bob]) c.connect();
      await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
      const atBob = heard(bob, dm);
      const atAlice = heard(alice, dm);
      // The DM's MLS group reaches bob's device before any call event is sent.
      let hello = false;
      bob.on("message", (e) => (hello ||= e.channelId === dm && e.text === "hello"));
      await alice.sendMessage(dm, "hello");
      await until(() => hello, "bob reads alice's first message");

      // 1. Answered and hung up: alice's device started it and joined first, so it posts both.
      const call = await alice.calls.start(dm);
      await bob.calls.accept(call.id);
      await sleep(1_200);
      await bob.calls.leave(call.id);
      await until(() => atBob.some((h) => h.call.callId === call.id && h.call.event === "ended"), "the ended event at bob");
      await until(() => atAlice.some((h) => h.call.callId === call.id && h.call.event === "ended"), "the ended event at alice");
      await sleep(4 * STEP_MS); // every later turn has passed: nobody adds another
      assert.deepEqual(await stored(alice, dm, call.id), { started: 1, ended: 1, missed: 0 });
      const mine = atBob.filter((h) => h.call.callId === call.id);
      assert.deepEqual(posters(mine), ["started by alice", "ended by alice"]);
      const ended = mine[1]!.call;
      assert.deepEqual(ended.participants, [alice.userId, bob.userId]);
      assert.equal(ended.startedBy, alice.userId);
      assert.equal(ended.reason, "hangup");
      assert.ok(ended.durationMs! >= 1_000 && ended.durationMs! < 15_000, `duration ${ended.durationMs}`);
      assert.match(mine[1]!.e.text ?? "", /^📞 Call ended \(\d+ s\)$/);

      // 2. The caller's device goes away before its turn (it never posts, then closes): bob's device,
      // next in line, posts the start when it joins and the end a step after the call ends.
      const phone = await org.device("alice", { callEvents: false });
      phone.connect();
      await phone.waitUntilLive();
      const gone = await phone.calls.start(dm);
      await bob.calls.accept(gone.id);
      await until(() => atAlice.some((h) => h.call.callId === gone.id && h.call.event === "started"), "the start, posted by bob");
      await phone.close();
      await sleep(500);
      await bob.calls.leave(gone.id);
      await until(() => atAlice.some((h) => h.call.callId === gone.id && h.call.event === "ended"), "the end, posted by bob");
      await sleep(4 * STEP_MS);
      assert.deepEqual(await stored(alice, dm, gone.id), { started: 1, ended: 1, missed: 0 });
      const byBob = atAlice.filter((h) => h.call.callId === gone.id);
      assert.deepEqual(posters(byBob), ["started by bob", "ended by bob"]);
      assert.deepEqual(byBob[1]!.call.participants, [alice.userId, bob.userId]);
      assert.equal(byBob[1]!.call.startedBy, alice.userId);

      // 3. Nobody answers: the caller's device posts "missed" (and bob's, rung, finds it and posts nothing).
      const unanswered = await alice.calls.start(dm);
      await until(() => atBob.some((h) => h.call.callId === unanswered.id && h.call.event === "missed"), "the missed event", 20_000);
      await sleep(4 * STEP_MS);
      assert.deepEqual(await stored(bob, dm, unanswered.id), { started: 1, ended: 0, missed: 1 });
      const missed = atBob.find((h) => h.call.callId === unanswered.id && h.call.event === "missed")!;
      assert.equal(missed.e.senderId, alice.userId);
      assert.equal(missed.call.reason, "missed");
      assert.equal(missed.e.text, "📞 Missed call");

      // 4. Nobody answers and the caller's device is gone: the rung device posts it after the caller's turn.
      const phone2 = await org.device("alice", { callEvents: false });
      phone2.connect();
      await phone2.waitUntilLive();
      const orphan = await phone2.calls.start(dm);
      await phone2.close();
      await until(() => atAlice.some((h) => h.call.callId === orphan.id && h.call.event === "missed"), "the missed event, posted by bob", 20_000);
      await sleep(4 * STEP_MS);
      // Nobody posted its start (the starter never did and nobody joined): the missed event stands for the call.
      assert.deepEqual(await stored(alice, dm, orphan.id), { started: 0, ended: 0, missed: 1 });
      const fromBob = atAlice.find((h) => h.call.callId === orphan.id)!;
      assert.equal(fromBob.e.senderId, bob.userId);
      assert.equal(fromBob.call.startedBy, alice.userId);

      // 5. Two users post the same event at once: the channel holds one; the other is refused.
      const info: CallEventContent = { event: "ended", callId: "cal_race", kind: "p2p", reason: "hangup", durationMs: 1 };
      const results = await Promise.allSettled([alice.calls.postEvent(dm, info), bob.calls.postEvent(dm, info)]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      const refused = results.find((r) => r.status === "rejected");
      assert.ok(refused && isParleyError(refused.reason, "already_exists"), String(refused && refused.reason));
      assert.equal((await stored(alice, dm, "cal_race")).ended, 1);
    },
  );

  test(
    `call events: a group DM's call nobody answered or everyone declined is "missed"; an answered one "ended" (${dialect})`,
    { timeout: 180_000 },
    async (t) => {
      const { org } = await startOrg(t, { callEvents: { stepMs: STEP_MS } }, { dialect, config: { callRingSeconds: 2 } });
      const alice = org.owner;
      const bob = await org.user("bob");
      const carol = await org.user("carol");
      const group = (await alice.api.call("openDm", { body: { userIds: [bob.userId, carol.userId] } })).id;
      for (const c of [alice, bob, carol]) c.connect();
      await Promise.all([alice, bob, carol].map((c) => c.waitUntilLive()));
      const atCarol = heard(carol, group);
      let hello = 0;
      for (const c of [bob, carol]) c.on("message", (e) => (hello += e.channelId === group && e.text === "hello" ? 1 : 0));
      await alice.sendMessage(group, "hello");
      await until(() => hello === 2, "bob and carol read alice's first message");
      const event = (callId: string, ev: string) => atCarol.find((h) => h.call.callId === callId && h.call.event === ev);

      // Rang out: the caller's device posts "missed".
      const unanswered = await alice.calls.start(group);
      assert.equal(unanswered.kind, "sfu");
      await until(() => !!event(unanswered.id, "missed"), "the missed event", 20_000);
      assert.equal(event(unanswered.id, "missed")!.call.reason, "missed");
      assert.equal(event(unanswered.id, "missed")!.e.senderId, alice.userId);

      // Both rung members decline: the call ends as declined, posted as "missed".
      const declined = await alice.calls.start(group);
      await bob.calls.decline(declined.id);
      await carol.calls.decline(declined.id);
      await until(() => !!event(declined.id, "missed"), "the declined call's missed event");
      assert.equal(event(declined.id, "missed")!.call.reason, "declined");

      // Bob answers, Carol declines (the call goes on), then both hang up: "ended", with who took part.
      const answered = await alice.calls.start(group);
      await bob.calls.accept(answered.id);
      await carol.calls.decline(answered.id);
      await sleep(500);
      await bob.calls.leave(answered.id);
      await alice.calls.leave(answered.id);
      await until(() => !!event(answered.id, "ended"), "the ended event");
      await sleep(4 * STEP_MS);
      assert.deepEqual(await stored(carol, group, answered.id), { started: 1, ended: 1, missed: 0 });
      assert.deepEqual(event(answered.id, "ended")!.call.participants, [alice.userId, bob.userId]);
      assert.equal(event(answered.id, "ended")!.call.reason, "hangup");
    },
  );
}
