import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
const cid = () => `client-${process.pid}-${++n}`;

for (const dialect of DIALECTS) {
  describe(`events (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let other: TestUser;
    let ch: { id: string };
    before(async () => {
      s = await startTestServer({ dialect, config: { messageLimit: 1024 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      carol = await makeUser(s, owner);
      other = await makeOrg(s, "other");
      ch = (await alice.api("POST", "/channels", { kind: "public", name: "talk", members: [bob.user.id] })).body;
    });
    after(() => s.stop());
    const send = (u: TestUser, body: Record<string, unknown>, channelId = ch.id) =>
      u.api("POST", `/channels/${channelId}/events`, { clientId: cid(), kind: "message", content: b64("hello"), ...body });
    const counts = async () => ({ events: await countRows(s, "events"), mentions: await countRows(s, "mentions") });

    it("sends, lists and looks up events; content round-trips as opaque base64", async () => {
      const clientId = cid();
      const content = Buffer.from([0, 1, 2, 250, 255]).toString("base64");
      const r = await send(alice, { clientId, content });
      assert.equal(r.status, 200);
      assert.equal(r.body.duplicate, false);
      const ev = r.body.event;
      assert.equal(ev.content, content);
      assert.equal(ev.senderId, alice.user.id);
      assert.equal(ev.senderDeviceId, alice.tokens.deviceId);
      assert.equal(ev.epoch, 0);
      const byClient = await bob.api("GET", `/channels/${ch.id}/events/by-client-id/${clientId}`);
      assert.deepEqual(byClient.body, ev);
      const list = await bob.api("GET", `/channels/${ch.id}/events?after=${ev.seq - 1}`);
      assert.deepEqual(list.body.events[0], ev);
      const stored = await s.deps.db.selectFrom("events").select("content").where("id", "=", ev.id).executeTakeFirstOrThrow();
      assert.deepEqual([...stored.content], [0, 1, 2, 250, 255]);
      assert.equal((await bob.api("GET", `/channels/${ch.id}/events/by-client-id/unknown-client-id`)).status, 404);
    });

    it("is idempotent per clientId, also for concurrent resends", async () => {
      const clientId = cid();
      const first = await send(alice, { clientId });
      const again = await send(alice, { clientId, content: b64("different") });
      assert.equal(again.body.duplicate, true);
      assert.deepEqual(again.body.event, first.body.event);
      const racing = cid();
      const before = await countRows(s, "events");
      const all = await Promise.all(Array.from({ length: 20 }, () => send(alice, { clientId: racing })));
      assert.ok(all.every((r) => r.status === 200));
      assert.equal(new Set(all.map((r) => r.body.event.seq)).size, 1);
      assert.equal(all.filter((r) => !r.body.duplicate).length, 1);
      assert.equal(await countRows(s, "events"), before + 1);
      // Another sender cannot claim someone's clientId.
      assert.equal((await send(bob, { clientId: racing })).body.code, "already_exists");
    });

    it("keeps seqs gap-free under 200 concurrent sends; bad sends in the same batches fail alone", async () => {
      const c = (await alice.api("POST", "/channels", { kind: "private", name: "busy", members: [bob.user.id] })).body;
      const good = Array.from({ length: 200 }, (_, i) => send(i % 2 ? alice : bob, {}, c.id));
      const badOnes = Array.from({ length: 10 }, () => send(alice, { threadRoot: 100_000 }, c.id));
      const [ok, bad] = await Promise.all([Promise.all(good), Promise.all(badOnes)]);
      assert.ok(ok.every((r) => r.status === 200));
      assert.ok(bad.every((r) => r.status === 400));
      assert.deepEqual(
        ok.map((r) => r.body.event.seq).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      const got = await alice.api("GET", `/channels/${c.id}`);
      assert.equal(got.body.lastSeq, 200);
      const page = await alice.api("GET", `/channels/${c.id}/events?limit=200`);
      assert.equal(page.body.events.length, 200);
      assert.equal(page.body.hasMore, false);
      assert.equal(page.body.events[0].seq, 200); // newest first
      const older = await alice.api("GET", `/channels/${c.id}/events?before=51&limit=20`);
      assert.deepEqual(
        older.body.events.map((e: { seq: number }) => e.seq),
        Array.from({ length: 20 }, (_, i) => 50 - i),
      );
      assert.equal(older.body.hasMore, true);
      const after = await alice.api("GET", `/channels/${c.id}/events?after=190&limit=5`);
      assert.deepEqual(
        after.body.events.map((e: { seq: number }) => e.seq),
        [191, 192, 193, 194, 195],
      );
      assert.equal((await alice.api("GET", `/channels/${c.id}/events?limit=201`)).status, 400);
    });

    it("publishes channel.event after commit, in seq order, and counts persisted events", async () => {
      const c = (await alice.api("POST", "/channels", { kind: "private", name: "bus" })).body;
      const seen: number[] = [];
      const unsubscribe = s.deps.bus.subscribe("channel.event", (m) => {
        if (m.event.channelId === c.id) seen.push(m.event.seq);
      });
      const before = (await s.deps.metrics.eventsPersisted.get()).values[0]?.value ?? 0;
      const clientId = cid();
      await Promise.all(Array.from({ length: 30 }, (_, i) => send(alice, i === 29 ? { clientId } : {}, c.id)));
      await send(alice, { clientId }, c.id); // a duplicate is not published again
      unsubscribe();
      assert.deepEqual(
        seen,
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      assert.equal(((await s.deps.metrics.eventsPersisted.get()).values[0]?.value ?? 0) - before, 30);
    });

    it("rejects bad input with clear codes and writes nothing", async () => {
      const root = (await send(alice, {})).body.event;
      const reply = (await send(bob, { threadRoot: root.seq })).body.event;
      const before = await counts();
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ content: "not base64!" }, 400, "validation_failed"],
        [{ content: b64("x".repeat(1025)) }, 413, "message_too_large"],
        [{ clientId: "short" }, 400, "validation_failed"],
        [{ kind: "shout" }, 400, "validation_failed"],
        [{ target: root.seq }, 400, "bad_request"],
        [{ threadRoot: reply.seq }, 400, "bad_request"],
        [{ threadRoot: 99_999 }, 400, "bad_request"],
        [{ kind: "reaction" }, 400, "bad_request"],
        [{ kind: "reaction", target: 99_999 }, 400, "bad_request"],
        [{ kind: "edit", target: root.seq, threadRoot: root.seq }, 400, "bad_request"],
        [{ mentions: [other.user.id] }, 404, "not_found"],
      ];
      for (const [body, status, code] of cases) {
        const r = await send(alice, body);
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(r.body.code, code, JSON.stringify(body));
      }
      assert.deepEqual(await counts(), before);
    });

    it("lets only the sender edit, and the sender or admins delete", async () => {
      const msg = (await send(alice, {})).body.event;
      assert.equal((await send(bob, { kind: "edit", target: msg.seq })).status, 403);
      assert.equal((await send(bob, { kind: "delete", target: msg.seq })).status, 403);
      const edit = await send(alice, { kind: "edit", target: msg.seq, content: b64("edited") });
      assert.equal(edit.status, 200);
      assert.equal(edit.body.event.target, msg.seq);
      const react = await send(bob, { kind: "reaction", target: msg.seq, content: b64("+1") });
      assert.equal(react.status, 200);
      assert.equal((await send(bob, { kind: "reaction", target: react.body.event.seq })).status, 400);
      assert.equal((await send(bob, { kind: "delete", target: react.body.event.seq })).status, 200); // un-react
      assert.equal((await send(alice, { kind: "delete", target: msg.seq })).status, 200); // alice is channel admin
      const bobs = (await send(bob, {})).body.event;
      assert.equal((await send(owner, { kind: "delete", target: bobs.seq })).status, 403); // not a member: join first
      await owner.api("POST", `/channels/${ch.id}/join`);
      assert.equal((await send(owner, { kind: "delete", target: bobs.seq })).status, 200); // org admin
    });

    it("hides everything from other orgs and non-members of private channels", async () => {
      const priv = (await alice.api("POST", "/channels", { kind: "private", name: "inner" })).body;
      const ev = (await send(alice, {}, priv.id)).body.event;
      const before = await counts();
      for (const [u, c] of [
        [other, ch.id],
        [other, priv.id],
        [carol, priv.id],
      ] as const) {
        assert.equal((await send(u, {}, c)).status, 404);
        assert.equal((await u.api("GET", `/channels/${c}/events`)).status, 404);
        assert.equal((await u.api("GET", `/channels/${c}/threads`)).status, 404);
        assert.equal((await u.api("POST", `/channels/${c}/read`, { seq: 1 })).status, 404);
      }
      assert.equal((await other.api("GET", `/channels/${priv.id}/events/by-client-id/${ev.clientId}`)).status, 404);
      // Same org, public channel, not a member: may read, may not post.
      assert.equal((await carol.api("GET", `/channels/${ch.id}/events`)).status, 200);
      assert.equal((await send(carol, {})).status, 403);
      assert.deepEqual(await counts(), before);
    });

    it("lists threads and pages through one", async () => {
      const c = (await alice.api("POST", "/channels", { kind: "public", name: "threads", members: [bob.user.id] })).body;
      const r1 = (await send(alice, {}, c.id)).body.event;
      const r2 = (await send(alice, {}, c.id)).body.event;
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push((await send(bob, { threadRoot: r1.seq }, c.id)).body.event);
      const react = (await send(alice, { kind: "reaction", target: replies[0].seq }, c.id)).body.event;
      assert.equal(react.threadRoot, r1.seq);
      const last = (await send(bob, { threadRoot: r2.seq }, c.id)).body.event;
      const threads = await alice.api("GET", `/channels/${c.id}/threads`);
      assert.deepEqual(
        threads.body.threads.map((t: { rootSeq: number; replies: number; lastReplySeq: number }) => [t.rootSeq, t.replies, t.lastReplySeq]),
        [
          [r2.seq, 1, last.seq],
          [r1.seq, 3, replies[2].seq],
        ],
      );
      const t = await alice.api("GET", `/channels/${c.id}/threads/${r1.seq}?limit=2`);
      assert.equal(t.body.root.seq, r1.seq);
      assert.deepEqual(
        t.body.events.map((e: { seq: number }) => e.seq),
        [replies[0].seq, replies[1].seq],
      );
      assert.equal(t.body.hasMore, true);
      const t2 = await alice.api("GET", `/channels/${c.id}/threads/${r1.seq}?after=${replies[1].seq}`);
      assert.deepEqual(
        t2.body.events.map((e: { seq: number }) => e.seq),
        [replies[2].seq, react.seq],
      );
      assert.equal((await alice.api("GET", `/channels/${c.id}/threads/${replies[0].seq}`)).status, 404);
    });

    it("counts unread and mentions; read receipts never move backwards", async () => {
      const c = (await alice.api("POST", "/channels", { kind: "private", name: "unread", members: [bob.user.id, carol.user.id] })).body;
      await send(bob, {}, c.id);
      await send(bob, { mentions: [alice.user.id, alice.user.id, carol.user.id] }, c.id);
      await send(alice, {}, c.id);
      await send(bob, {}, c.id);
      const mine = async () => (await alice.api("GET", "/channels")).body.channels.find((x: { id: string }) => x.id === c.id);
      let me = await mine();
      assert.equal(me.unread, 3);
      assert.equal(me.mentions, 1);
      assert.equal(me.readSeq, 0);
      assert.equal((await alice.api("POST", `/channels/${c.id}/read`, { seq: 2 })).body.readSeq, 2);
      me = await mine();
      assert.deepEqual([me.unread, me.mentions, me.readSeq], [1, 0, 2]);
      assert.equal((await alice.api("POST", `/channels/${c.id}/read`, { seq: 1 })).body.readSeq, 2);
      assert.equal((await alice.api("POST", `/channels/${c.id}/read`, { seq: 1000 })).body.readSeq, 4);
      assert.equal((await alice.api("POST", `/channels/${c.id}/read`, { seq: -1 })).status, 400);
      me = await mine();
      assert.deepEqual([me.unread, me.mentions], [0, 0]);
      const carols = (await carol.api("GET", "/channels")).body.channels.find((x: { id: string }) => x.id === c.id);
      assert.deepEqual([carols.unread, carols.mentions], [4, 1]);
      // Reactions, edits and deletes are not unread messages.
      await send(bob, { kind: "reaction", target: 1 }, c.id);
      await send(bob, { kind: "edit", target: 1 }, c.id);
      me = await mine();
      assert.equal(me.unread, 0);
    });

    it("serves the per-user stream after a cursor", async () => {
      const all = await bob.api("GET", "/stream?after=0&limit=200");
      assert.ok(all.body.items.length > 0);
      const seqs = all.body.items.map((i: { seq: number }) => i.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: seqs.length }, (_, i) => i + 1),
      );
      const tail = await bob.api("GET", `/stream?after=${seqs.length - 1}`);
      assert.equal(tail.body.items.length, 1);
      assert.equal(tail.body.hasMore, false);
      assert.equal((await bob.api("GET", "/stream?after=-5")).status, 400);
    });
  });
}
