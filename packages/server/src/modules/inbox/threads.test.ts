/**
 * The Threads view (issue 13), on SQLite and PostgreSQL: who follows a thread (the root's
 * author and repliers, the mentioned, explicit followers), unfollow that sticks through later
 * replies and mentions, unread reply counts from a per-user read position, "mark thread read"
 * reaching the user's other devices, ordering and paging by latest reply, threads of a left
 * channel invisible, bad input or another org's principal rejected with nothing written, and
 * threads whose root retention removed gone from every inbox.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { send } from "../../testing/inbox.ts";
import { runRetention } from "../compliance/retention-run.ts";

type Row = { channelId: string; rootSeq: number; replies: number; unread: number; readSeq: number; lastReplySeq: number };

async function threadsOf(u: TestUser, query = ""): Promise<{ threads: Row[]; next: string | null }> {
  const r = await u.api("GET", `/inbox/threads${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
const brief = async (u: TestUser) => (await threadsOf(u)).threads.map((t) => [t.rootSeq, t.replies, t.unread]);

for (const dialect of DIALECTS) {
  test(`inbox threads (${dialect}): followers, sticky unfollow, unread replies, read on all devices, order, paging`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const carol = await makeUser(server, alice);
    const dan = await makeUser(server, alice);
    const c = (await alice.api("POST", "/channels", { kind: "private", name: "threads", members: [bob.user.id, carol.user.id, dan.user.id] })).body
      .id as string;

    const r1 = await send(alice, c, {});
    const r2 = await send(alice, c, {});
    assert.deepEqual(await brief(alice), [], "a root without replies is no thread yet");

    const aliceSock = await connectUser(server.url, alice.accessToken);
    t.after(() => aliceSock.close());
    const b1 = await send(bob, c, { threadRoot: r1 });
    // The reply reaches the root author's device live as a channel event naming its thread.
    await aliceSock.waitFor((f) => f.t === "event" && f.event.channelId === c && f.event.seq === b1 && f.event.threadRoot === r1);
    assert.deepEqual(await brief(alice), [[r1, 1, 1]], "root author follows, the reply is unread");
    assert.deepEqual(await brief(bob), [[r1, 1, 0]], "replier follows, has read up to his reply");
    assert.deepEqual(await brief(carol), []);

    // A mention in a reply follows carol from that reply on; unfollowing sticks through later mentions.
    const b2 = await send(bob, c, { threadRoot: r1, mentions: [carol.user.id] });
    assert.deepEqual(await brief(carol), [[r1, 2, 1]]);
    assert.deepEqual(await brief(alice), [[r1, 2, 2]]);
    const un = await carol.api("DELETE", `/channels/${c}/threads/${r1}/follow`);
    assert.equal(un.status, 200, JSON.stringify(un.body));
    assert.deepEqual(un.body, { channelId: c, rootSeq: r1, following: false, readSeq: b2 - 1 });
    await send(bob, c, { threadRoot: r1, mentions: [carol.user.id] });
    await send(carol, c, { threadRoot: r1 });
    assert.deepEqual(await brief(carol), [], "unfollow sticks after a mention and a reply");
    // Each user's state in the thread, as the thread panel's Follow button reads it.
    const state = async (u: TestUser) => (await u.api("GET", `/channels/${c}/threads/${r1}/follow`)).body;
    assert.equal((await state(carol)).following, false);
    assert.equal((await state(bob)).following, true, "a replier follows");
    assert.deepEqual(await state(dan), { channelId: c, rootSeq: r1, following: false, readSeq: 0 }, "never took part");

    // Dan follows explicitly: starts read up to the last reply, then counts new ones.
    const f = await dan.api("PUT", `/channels/${c}/threads/${r1}/follow`);
    assert.equal(f.status, 200);
    assert.equal(f.body.following, true);
    assert.deepEqual(await brief(dan), [[r1, 4, 0]]);
    const b4 = await send(bob, c, { threadRoot: r1 });
    assert.deepEqual(await brief(dan), [[r1, 5, 1]]);
    assert.deepEqual(await brief(alice), [[r1, 5, 5]], "all five replies are others' and unread for alice");

    // Mark thread read: capped at the last reply, never backwards, told to alice's other device.
    const read = await alice.api("POST", `/channels/${c}/threads/${r1}/read`, { seq: 10_000 });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, { channelId: c, rootSeq: r1, following: true, readSeq: b4 });
    await aliceSock.waitFor((fr) => fr.t === "thread" && fr.channelId === c && fr.rootSeq === r1 && fr.readSeq === b4 && fr.following === true);
    assert.equal((await alice.api("POST", `/channels/${c}/threads/${r1}/read`, { seq: b1 })).body.readSeq, b4);
    assert.deepEqual(await brief(alice), [[r1, 5, 0]]);

    // Order by latest reply: a reply in r2 puts it first; paging walks both.
    await send(carol, c, { threadRoot: r2 });
    assert.deepEqual(
      (await threadsOf(alice)).threads.map((x) => x.rootSeq),
      [r2, r1],
    );
    const p1 = await threadsOf(alice, "?limit=1");
    assert.ok(p1.next);
    const p2 = await threadsOf(alice, `?limit=1&cursor=${p1.next}`);
    assert.deepEqual(
      [...p1.threads, ...p2.threads].map((x) => x.rootSeq),
      [r2, r1],
    );
    assert.equal(p2.next, null);

    // Leaving the channel hides its threads.
    assert.equal((await dan.api("POST", `/channels/${c}/leave`)).status, 204);
    assert.deepEqual(await brief(dan), []);
  });

  test(`inbox threads (${dialect}): bad input and other orgs rejected, nothing written`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const outsider = await makeUser(server, alice);
    const other = await makeOrg(server);
    const c = (await alice.api("POST", "/channels", { kind: "public", name: "threads-bad", members: [bob.user.id] })).body.id as string;
    const root = await send(alice, c, {});
    const reply = await send(bob, c, { threadRoot: root });
    const reaction = (await bob.api("POST", `/channels/${c}/events`, { clientId: "thr-react-1", kind: "reaction", target: root, content: "" })).body.event
      .seq as number;
    const rows = { follows: await countRows(server, "thread_follows"), threads: await countRows(server, "threads") };

    const cases: Array<[TestUser, string, string, unknown, number, string]> = [
      [alice, "PUT", `/channels/${c}/threads/${reply}/follow`, undefined, 404, "not_found"], // a reply is no root
      [alice, "PUT", `/channels/${c}/threads/${reaction}/follow`, undefined, 404, "not_found"],
      [alice, "PUT", `/channels/${c}/threads/999/follow`, undefined, 404, "not_found"],
      [alice, "GET", `/channels/${c}/threads/${reply}/follow`, undefined, 404, "not_found"],
      [alice, "GET", `/channels/${c}/threads/abc/follow`, undefined, 400, "validation_failed"],
      [alice, "PUT", `/channels/${c}/threads/0/follow`, undefined, 400, "validation_failed"],
      [alice, "PUT", `/channels/${c}/threads/abc/follow`, undefined, 400, "validation_failed"],
      [alice, "POST", `/channels/${c}/threads/${root}/read`, { seq: -1 }, 400, "validation_failed"],
      [alice, "POST", `/channels/${c}/threads/${root}/read`, {}, 400, "validation_failed"],
      [outsider, "PUT", `/channels/${c}/threads/${root}/follow`, undefined, 403, "forbidden"], // public, not joined
      [other, "PUT", `/channels/${c}/threads/${root}/follow`, undefined, 404, "not_found"],
      [other, "DELETE", `/channels/${c}/threads/${root}/follow`, undefined, 404, "not_found"],
      [other, "GET", `/channels/${c}/threads/${root}/follow`, undefined, 404, "not_found"],
      [outsider, "GET", `/channels/${c}/threads/${root}/follow`, undefined, 403, "forbidden"],
      [other, "POST", `/channels/${c}/threads/${root}/read`, { seq: reply }, 404, "not_found"],
    ];
    for (const [u, method, path, body, status, code] of cases) {
      const r = await u.api(method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, code, path);
    }
    assert.deepEqual({ follows: await countRows(server, "thread_follows"), threads: await countRows(server, "threads") }, rows);
    // The other org's owner sees none of it; bad cursors are refused.
    assert.deepEqual((await threadsOf(other)).threads, []);
    assert.equal((await other.api("GET", "/inbox/threads?cursor=bm90anNvbg")).body.code, "bad_request");
    assert.equal((await other.api("GET", "/inbox/threads?limit=1000")).status, 400);
  });
}

for (const dialect of DIALECTS) {
  test(`inbox threads (${dialect}): retention removing a thread's root removes the thread from every inbox`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const c = (await alice.api("POST", "/channels", { kind: "private", name: "threads-retention", members: [bob.user.id] })).body.id as string;
    const root = await send(alice, c, {});
    await send(bob, c, { threadRoot: root });
    assert.deepEqual(await brief(alice), [[root, 1, 1]]);
    assert.equal((await alice.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);
    await server.deps.db
      .updateTable("events")
      .set({ created_at: Date.now() - 40 * 86_400_000 })
      .where("channel_id", "=", c)
      .execute();
    await runRetention(server.deps, alice.org.id);
    assert.deepEqual(await brief(alice), []);
    assert.deepEqual(await brief(bob), []);
    assert.equal(await countRows(server, "thread_follows"), 0);
    assert.equal(await countRows(server, "threads"), 0);
  });
}
