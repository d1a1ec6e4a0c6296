/**
 * Web Push end to end, against a real receiver on 127.0.0.1 (testing/push-receiver.ts) that
 * checks the VAPID JWT and decrypts the RFC 8291 body as a browser would: who gets a push for
 * a message under their settings, that it carries ids only, 410 handling, the per-subscription
 * rate limit, and that a push survives a server restart (durable jobs).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { waitForJobsIdle, waitUntil } from "../../testing/jobs.ts";
import { startPushReceiver, type PushReceiver, type TestSubscription } from "../../testing/push-receiver.ts";

const CANARY = "canary-text-the-push-must-not-carry";
const b64 = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
const cid = () => `push-${process.pid}-${++n}`;

const PUSH_CONFIG = { pushAllowLoopback: true, pushMinIntervalSeconds: 0 };

async function subscribe(u: TestUser, r: PushReceiver): Promise<TestSubscription & { id: string }> {
  const sub = r.subscribe();
  const res = await u.api("POST", "/push/subscriptions", { endpoint: sub.endpoint, keys: sub.keys });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { ...sub, id: res.body.id };
}

const send = (u: TestUser, channelId: string, mentions: string[] = []) =>
  u.api("POST", `/channels/${channelId}/events`, { clientId: cid(), kind: "message", content: b64(CANARY), mentions });

for (const dialect of DIALECTS) {
  describe(`web push (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let r: PushReceiver;
    let ch: { id: string };
    let bobSub: TestSubscription & { id: string };
    let aliceSub: TestSubscription & { id: string };
    const pushesTo = (sub: { name: string }) => r.accepted().filter((p) => p.name === sub.name);
    /** Send, let every job run, and return the pushes bob's subscription got from it. */
    const sendAndCount = async (mentions: string[], channelId = ch.id) => {
      const before = pushesTo(bobSub).length;
      const res = await send(alice, channelId, mentions);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      await waitForJobsIdle(s.deps.db);
      return pushesTo(bobSub).length - before;
    };
    const setBob = async (body: Record<string, unknown>) => assert.equal((await bob.api("PATCH", "/me/notifications", body)).status, 200);

    before(async () => {
      s = await startTestServer({ dialect, config: PUSH_CONFIG });
      owner = await bootstrapOrg(s);
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      const key = await bob.api("GET", "/push/vapid-key");
      assert.equal(key.status, 200);
      r = await startPushReceiver(key.body.publicKey);
      ch = (await alice.api("POST", "/channels", { kind: "public", name: "general", members: [bob.user.id] })).body;
      bobSub = await subscribe(bob, r);
      aliceSub = await subscribe(alice, r);
    });
    after(async () => {
      await s.stop();
      await r.close();
    });

    it("a mention produces exactly one push: signed, encrypted to the subscription, ids only, none to the sender", async () => {
      const res = await send(alice, ch.id, [bob.user.id]);
      await waitForJobsIdle(s.deps.db);
      const got = pushesTo(bobSub);
      assert.equal(got.length, 1, JSON.stringify(r.received));
      assert.deepEqual(JSON.parse(got[0]!.plaintext!), { v: 1, orgId: owner.org.id, channelId: ch.id, seq: res.body.event.seq, senderId: alice.user.id });
      assert.ok(!got[0]!.plaintext!.includes(CANARY) && !got[0]!.plaintext!.includes(b64(CANARY)));
      assert.equal(got[0]!.urgency, "high");
      assert.ok(Number(got[0]!.ttl) > 0);
      assert.equal(pushesTo(aliceSub).length, 0, "the sender is not notified of their own message");
      assert.ok(
        r.received.every((p) => !p.error),
        JSON.stringify(r.received),
      );
    });

    it("settings decide: mentions-only skips a non-mention, nothing and a muted channel skip mentions, DND and snooze silence", async () => {
      await setBob({ level: "mentions" });
      assert.equal(await sendAndCount([]), 0, "mentions-only: a plain message is not pushed");
      assert.equal(await sendAndCount([bob.user.id]), 1, "mentions-only: a mention is");
      await setBob({ level: "nothing" });
      assert.equal(await sendAndCount([bob.user.id]), 0, "nothing: not even a mention");
      await setBob({ level: "all" });
      assert.equal(await sendAndCount([]), 1, "all: a plain message is pushed");
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "muted" })).status, 200);
      assert.equal(await sendAndCount([bob.user.id]), 0, "muted channel: not even a mention");
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "default" })).status, 200);
      // Do-not-disturb all week (a window whose end is its start runs the whole day), in another time zone.
      await setBob({ timeZone: "Asia/Kathmandu", dndSchedule: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: 0, end: 0 })) });
      assert.equal(await sendAndCount([bob.user.id]), 0, "do-not-disturb");
      await setBob({ dndSchedule: [], snoozeUntil: Date.now() + 3_600_000 });
      assert.equal(await sendAndCount([bob.user.id]), 0, "snoozed");
      await setBob({ snoozeUntil: null });
      assert.equal(await sendAndCount([bob.user.id]), 1, "back to normal");
    });

    it("a DM notifies at mentions-only level; a channel override of all beats a default of nothing", async () => {
      const dm = (await alice.api("POST", "/dms", { userIds: [bob.user.id] })).body;
      await setBob({ level: "mentions" });
      assert.equal(await sendAndCount([], dm.id), 1);
      await setBob({ level: "nothing" });
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "all" })).status, 200);
      assert.equal(await sendAndCount([]), 1);
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "default" })).status, 200);
      await setBob({ level: "all" });
    });

    it("410 from the push service deletes the subscription; other failures are retried", async () => {
      const carol = await makeUser(s, owner);
      assert.equal((await alice.api("POST", `/channels/${ch.id}/members`, { userIds: [carol.user.id] })).status, 200);
      const carolSub = await subscribe(carol, r);
      r.answer(500);
      await send(alice, ch.id, [carol.user.id]);
      await waitUntil(async () => r.received.filter((p) => p.name === carolSub.name).length >= 2, 15_000, "a retry after a 500");
      r.answer(410);
      // The retry is queued with backoff (a job due later is "idle"): wait for the row to go.
      const gone = async () => (await s.deps.db.selectFrom("push_subscriptions").select("id").where("id", "=", carolSub.id).execute()).length === 0;
      await waitUntil(gone, 30_000, "the subscription deleted after a 410");
      r.answer(201);
      assert.ok(r.received.some((p) => p.name === carolSub.name && p.status === 410));
      assert.deepEqual((await carol.api("GET", "/push/subscriptions")).body.subscriptions, []);
      await send(alice, ch.id, [carol.user.id]);
      await waitForJobsIdle(s.deps.db);
      assert.equal(r.received.filter((p) => p.name === carolSub.name && p.status === 201).length, 0);
    });
  });

  describe(`web push across a restart and rate limits (${dialect})`, () => {
    it("a push whose first attempt failed is delivered by the next server on the same database", async () => {
      const database = await createTestDatabase(dialect);
      let s: TestServer | undefined = await startTestServer({ database, config: PUSH_CONFIG });
      let r: PushReceiver | undefined;
      try {
        const owner = await bootstrapOrg(s);
        const bob = await makeUser(s, owner);
        r = await startPushReceiver((await bob.api("GET", "/push/vapid-key")).body.publicKey);
        const ch = (await owner.api("POST", "/channels", { kind: "public", name: "ops", members: [bob.user.id] })).body;
        const sub = await subscribe(bob, r);
        r.answer(503);
        const sent = await send(owner, ch.id, [bob.user.id]);
        const rec = r;
        await waitUntil(async () => rec.received.length >= 1, 15_000, "the first attempt");
        await s.stop();
        s = undefined;
        r.answer(201);
        assert.equal(r.accepted().length, 0);
        s = await startTestServer({ database, config: PUSH_CONFIG });
        await waitUntil(async () => rec.accepted().length >= 1, 20_000, "delivery by the second server");
        await waitForJobsIdle(s.deps.db);
        assert.equal(r.accepted().length, 1);
        assert.equal(r.accepted()[0]!.name, sub.name);
        // Signed with the same VAPID key (the receiver checks k), so the key survived the restart sealed in the database.
        assert.equal(JSON.parse(r.accepted()[0]!.plaintext!).seq, sent.body.event.seq);
      } finally {
        await s?.stop();
        await r?.close();
        await database.drop();
      }
    });

    it("at most one push per subscription per interval in a busy channel", async () => {
      const s = await startTestServer({ dialect, config: { ...PUSH_CONFIG, pushMinIntervalSeconds: 600 } });
      let r: PushReceiver | undefined;
      try {
        const owner = await bootstrapOrg(s);
        const bob = await makeUser(s, owner);
        r = await startPushReceiver((await bob.api("GET", "/push/vapid-key")).body.publicKey);
        const ch = (await owner.api("POST", "/channels", { kind: "public", name: "busy", members: [bob.user.id] })).body;
        await subscribe(bob, r);
        for (let i = 0; i < 5; i++) {
          await send(owner, ch.id, [bob.user.id]);
          await waitForJobsIdle(s.deps.db);
        }
        assert.equal(r.accepted().length, 1);
      } finally {
        await s.stop();
        await r?.close();
      }
    });
  });
}
