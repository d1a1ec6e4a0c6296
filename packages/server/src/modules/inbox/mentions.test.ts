/**
 * The Mentions view and "mark as unread" (issue 13), on SQLite and PostgreSQL: mentions across
 * the caller's channels newest first, paged by cursor, flagged unread after the read receipt,
 * gone once the caller leaves the channel or the message is deleted, never visible to another org; marking unread
 * moves the receipt back (never forward), the channel list's counts follow, the user's other
 * device gets the `read` frame, and bad input or a foreign channel changes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { send } from "../../testing/inbox.ts";

async function mentionsOf(u: TestUser, query = ""): Promise<{ mentions: Array<Record<string, unknown>>; next: string | null }> {
  const r = await u.api("GET", `/inbox/mentions${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

async function counts(u: TestUser, channelId: string) {
  const r = await u.api("GET", "/channels");
  const c = (r.body.channels as Array<{ id: string; unread: number; mentions: number; readSeq: number }>).find((x) => x.id === channelId);
  assert.ok(c);
  return { unread: c.unread, mentions: c.mentions };
}

for (const dialect of DIALECTS) {
  test(`inbox mentions (${dialect}): newest first, paged, unread flags, left channels and other orgs invisible`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const other = await makeOrg(server);
    const mk = async (name: string) => (await alice.api("POST", "/channels", { kind: "private", name, members: [bob.user.id] })).body.id as string;
    const [a, b, gone] = [await mk("m-a"), await mk("m-b"), await mk("m-gone")];
    const foreign = (await other.api("POST", "/channels", { kind: "private", name: "m-foreign" })).body.id as string;

    const a1 = await send(alice, a, { mentions: [bob.user.id] });
    await send(alice, a, {}); // not a mention
    const b1 = await send(alice, b, { mentions: [bob.user.id, alice.user.id] });
    const g1 = await send(alice, gone, { mentions: [bob.user.id] });
    const root = await send(bob, a, {});
    const a2 = await send(alice, a, { mentions: [bob.user.id], threadRoot: root });
    // The other org's owner mentions nobody of ours and sees nothing of ours.
    await send(other, foreign, { mentions: [other.user.id] });

    const all = await mentionsOf(bob);
    assert.deepEqual(
      all.mentions.map((m) => [m.channelId, m.seq, m.senderId, m.threadRoot, m.unread]),
      [
        [a, a2, alice.user.id, root, true],
        [gone, g1, alice.user.id, null, true],
        [b, b1, alice.user.id, null, true],
        [a, a1, alice.user.id, null, true],
      ],
    );
    assert.equal(all.next, null);
    // Paging one at a time walks the same list without repeats.
    const walked: unknown[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page = await mentionsOf(bob, `?limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      assert.ok(page.mentions.length <= 1);
      walked.push(...page.mentions.map((m) => [m.channelId, m.seq]));
      cursor = page.next;
    }
    assert.deepEqual(
      walked,
      all.mentions.map((m) => [m.channelId, m.seq]),
    );

    // Reading channel a up to a1 marks that one read; unreadOnly drops it.
    assert.equal((await bob.api("POST", `/channels/${a}/read`, { seq: a1 })).status, 200);
    const flags = (await mentionsOf(bob)).mentions.map((m) => [m.seq, m.channelId, m.unread]);
    assert.deepEqual(flags[3], [a1, a, false]);
    assert.deepEqual(flags[0], [a2, a, true]);
    assert.equal((await mentionsOf(bob, "?unreadOnly=true")).mentions.length, 3);

    // Bob leaves "gone": its mention disappears (no leak from channels he left).
    assert.equal((await bob.api("POST", `/channels/${gone}/leave`)).status, 204);
    assert.deepEqual(
      (await mentionsOf(bob)).mentions.map((m) => m.channelId),
      [a, b, a],
    );
    // Alice mentioned herself in b; the other org's owner sees only his own mention.
    assert.deepEqual(
      (await mentionsOf(alice)).mentions.map((m) => [m.channelId, m.seq]),
      [[b, b1]],
    );
    assert.deepEqual(
      (await mentionsOf(other)).mentions.map((m) => m.channelId),
      [foreign],
    );

    // Alice deletes the message that mentioned bob in b: it leaves his list and b's mention count.
    assert.equal((await alice.api("POST", `/channels/${b}/events`, { clientId: "del-b1-abcdef", kind: "delete", target: b1, content: "" })).status, 200);
    assert.deepEqual(
      (await mentionsOf(bob)).mentions.map((m) => [m.channelId, m.seq]),
      [
        [a, a2],
        [a, a1],
      ],
    );
    assert.equal((await counts(bob, b)).mentions, 0);

    // Bad input: clear 400s.
    const badQueries: Array<[string, string]> = [
      ["?limit=0", "validation_failed"],
      ["?limit=abc", "validation_failed"],
      ["?unreadOnly=yes", "validation_failed"],
      ["?cursor=%21%21", "validation_failed"],
      // Well-formed text, but not a cursor this server made.
      [`?cursor=${Buffer.from("[1,2]").toString("base64url")}`, "bad_request"],
      ["?cursor=bm90anNvbg", "bad_request"],
    ];
    for (const [q, code] of badQueries) {
      const r = await bob.api("GET", `/inbox/mentions${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.code, code, q);
    }
  });

  test(`mark as unread (${dialect}): receipt moves back, counts follow, other devices told, bad input writes nothing`, async (t) => {
    const server = await startTestServer({ dialect });
    t.after(() => server.stop());
    const alice = await bootstrapOrg(server);
    const bob = await makeUser(server, alice);
    const carol = await makeUser(server, alice);
    const other = await makeOrg(server);
    const c = (await alice.api("POST", "/channels", { kind: "public", name: "mark-unread", members: [bob.user.id] })).body.id as string;
    const s1 = await send(alice, c, {});
    const s2 = await send(alice, c, { mentions: [bob.user.id] });
    const s3 = await send(alice, c, {});
    assert.equal((await bob.api("POST", `/channels/${c}/read`, { seq: s3 })).body.readSeq, s3);
    assert.deepEqual(await counts(bob, c), { unread: 0, mentions: 0 });

    const otherDevice = await connectUser(server.url, bob.accessToken);
    t.after(() => otherDevice.close());
    const r = await bob.api("POST", `/channels/${c}/unread`, { seq: s2 });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.readSeq, s2 - 1);
    assert.deepEqual(await counts(bob, c), { unread: 2, mentions: 1 });
    await otherDevice.waitFor((f) => f.t === "read" && f.channelId === c && f.userId === bob.user.id && f.seq === s2 - 1);
    // Never forwards: marking a later message unread leaves the receipt where it is.
    assert.equal((await bob.api("POST", `/channels/${c}/unread`, { seq: s3 })).body.readSeq, s2 - 1);
    assert.equal((await bob.api("POST", `/channels/${c}/unread`, { seq: s1 })).body.readSeq, s1 - 1);

    // Rejected: nothing moves.
    const before = await counts(bob, c);
    const bad: Array<[TestUser, string, unknown, number, string]> = [
      [bob, c, { seq: 0 }, 400, "validation_failed"],
      [bob, c, { seq: "2" }, 400, "validation_failed"],
      [bob, c, {}, 400, "validation_failed"],
      [bob, c, { seq: s3 + 1 }, 404, "not_found"],
      [carol, c, { seq: s1 }, 403, "forbidden"], // public channel, not a member
      [other, c, { seq: s1 }, 404, "not_found"], // another org's channel
      [bob, "ch_doesnotexist", { seq: 1 }, 404, "not_found"],
    ];
    for (const [u, ch, body, status, code] of bad) {
      const res = await u.api("POST", `/channels/${ch}/unread`, body);
      assert.equal(res.status, status, JSON.stringify([body, res.body]));
      assert.equal(res.body.code, code);
    }
    assert.deepEqual(await counts(bob, c), before);
  });
}
