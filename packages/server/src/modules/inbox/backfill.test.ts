/**
 * Migration 0034's backfill on data written before it, on SQLite and PostgreSQL: with the
 * inbox rows cleared and mention times zeroed (as before the migration), backfillInbox gives
 * mentions their event's time and makes root authors and repliers follow existing threads,
 * read up to the last reply, so an upgrade starts with an inbox and no flood of unreads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Kysely } from "kysely";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser } from "../../testing/factories.ts";
import { send } from "../../testing/inbox.ts";
import { backfillInbox } from "../../platform/db/migrations/0034-inbox.ts";

for (const dialect of DIALECTS) {
  test(`inbox backfill (${dialect}): existing mentions and threads`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const carol = await makeUser(server, alice);
    const c = (await alice.api("POST", "/channels", { kind: "private", name: "backfill", members: [bob.user.id, carol.user.id] })).body.id as string;
    const root = await send(alice, c, { mentions: [carol.user.id] });
    await send(bob, c, { threadRoot: root });
    const last = await send(bob, c, { threadRoot: root });
    const db = server.deps.db;
    await db.deleteFrom("thread_follows").execute();
    await db.deleteFrom("threads").execute();
    await db.updateTable("mentions").set({ created_at: 0 }).execute();

    await backfillInbox(db as unknown as Kysely<unknown>);
    const ev = await db.selectFrom("events").select("created_at").where("channel_id", "=", c).where("seq", "=", root).executeTakeFirstOrThrow();
    const m = await db.selectFrom("mentions").select("created_at").where("channel_id", "=", c).where("seq", "=", root).executeTakeFirstOrThrow();
    assert.equal(Number(m.created_at), Number(ev.created_at));
    const threads = await db.selectFrom("threads").selectAll().execute();
    assert.deepEqual(
      threads.map((x) => [x.channel_id, Number(x.root_seq), x.root_sender_id, Number(x.replies), Number(x.last_reply_seq)]),
      [[c, root, alice.user.id, 2, last]],
    );
    const follows = await db.selectFrom("thread_follows").select(["user_id", "following", "read_seq"]).orderBy("user_id").execute();
    assert.deepEqual(
      follows.map((f) => [f.user_id, Number(f.following), Number(f.read_seq)]),
      [alice.user.id, bob.user.id].sort().map((u) => [u, 1, last]),
    );
    // Through the API: both follow it with nothing unread; carol (only mentioned in the root) does not.
    for (const u of [alice, bob])
      assert.deepEqual(
        (await u.api("GET", "/inbox/threads")).body.threads.map((x: { unread: number }) => x.unread),
        [0],
      );
    assert.deepEqual((await carol.api("GET", "/inbox/threads")).body.threads, []);
    assert.equal((await carol.api("GET", "/inbox/mentions")).body.mentions[0].createdAt, Number(ev.created_at));
  });
}
