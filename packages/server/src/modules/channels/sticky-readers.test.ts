/**
 * A channel admin's "reader" sticks (restrictions.ts): leaving and rejoining, a re-invite by
 * anyone, a moderator's kick and re-invite all give "reader" again; only a channel admin or
 * org admin lifts it. Leaving needs membership only (an org policy that forbids reading does
 * not keep the user in); a reader's typing notices are refused like posts.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import type { ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { joinExternal } from "@parley/crypto";
import { b64, bytes, initChannel, mlsClient } from "../../testing/mls-clients.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const dialect of DIALECTS) {
  describe(`sticky channel readers (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser; // creates the channels: their channel admin
    let mod: TestUser;
    let member: TestUser;
    let reader: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "sticky" });
      [admin, mod, member, reader] = (await Promise.all(Array.from({ length: 4 }, () => makeUser(s, owner)))) as [TestUser, TestUser, TestUser, TestUser];
    });
    after(() => s.stop());

    /** A new channel of `kind` with mod as moderator, member, and reader as reader. */
    async function channel(kind: "public" | "private"): Promise<string> {
      const c = await admin.api("POST", "/channels", {
        kind,
        name: `sticky-${kind}-${Math.random().toString(36).slice(2, 8)}`,
        members: [mod.user.id, member.user.id, reader.user.id],
      });
      assert.equal(c.status, 201);
      assert.equal((await admin.api("PUT", `/channels/${c.body.id}/members/${mod.user.id}/role`, { role: "moderator" })).status, 200);
      assert.equal((await admin.api("PUT", `/channels/${c.body.id}/members/${reader.user.id}/role`, { role: "reader" })).status, 200);
      return c.body.id;
    }
    const roleOf = async (ch: string, userId: string) =>
      (await admin.api("GET", `/channels/${ch}/members`)).body.members.find((m: { userId: string }) => m.userId === userId)?.role;
    const leave = async (u: TestUser, ch: string) => assert.equal((await u.api("POST", `/channels/${ch}/leave`)).status, 204);
    const restriction = (ch: string, userId: string) =>
      s.deps.db.selectFrom("channel_restrictions").selectAll().where("channel_id", "=", ch).where("user_id", "=", userId).executeTakeFirst();

    it("a reader who leaves and rejoins a public channel is a reader again, and still may not post", async () => {
      const ch = await channel("public");
      const row = await restriction(ch, reader.user.id);
      assert.equal(row?.role, "reader");
      assert.equal(row?.set_by, admin.user.id);
      await leave(reader, ch);
      assert.equal(await roleOf(ch, reader.user.id), undefined);
      const joined = await reader.api("POST", `/channels/${ch}/join`);
      assert.equal(joined.status, 200);
      assert.equal(joined.body.myRole, "reader");
      const post = await reader.api("POST", `/channels/${ch}/events`, { clientId: "sticky-1", kind: "message", content: Buffer.from("hi").toString("base64") });
      assert.equal(post.status, 403);
      assert.equal(post.body.message, "readers of this channel may not post");
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "channel.member.joined")
        .where("target_id", "=", ch)
        .executeTakeFirstOrThrow();
      assert.match(String(audit.details), /"role":"reader"/);
    });

    it("a member's or a moderator's re-invite of a former reader gives reader", async () => {
      const ch = await channel("public");
      await leave(reader, ch);
      const byMember = await member.api("POST", `/channels/${ch}/members`, { userIds: [reader.user.id] });
      assert.deepEqual(byMember.body.added, [reader.user.id]);
      assert.equal(await roleOf(ch, reader.user.id), "reader");
      await leave(reader, ch);
      const byMod = await mod.api("POST", `/channels/${ch}/members`, { userIds: [reader.user.id] });
      assert.deepEqual(byMod.body.added, [reader.user.id]);
      assert.equal(await roleOf(ch, reader.user.id), "reader");
      assert.equal((await reader.api("GET", `/channels/${ch}`)).body.myRole, "reader");
    });

    it("a reader a moderator kicked and re-invites is a reader; a channel admin setting member lifts it", async () => {
      const ch = await channel("private");
      assert.equal((await mod.api("DELETE", `/channels/${ch}/members/${reader.user.id}`)).status, 204);
      assert.equal((await mod.api("POST", `/channels/${ch}/members`, { userIds: [reader.user.id] })).status, 200);
      assert.equal(await roleOf(ch, reader.user.id), "reader");
      const added = await s.deps.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "channel.member.added")
        .where("target_id", "=", ch)
        .orderBy("seq", "desc")
        .executeTakeFirstOrThrow();
      assert.match(String(added.details), /"readers":\["/);
      // A moderator may not lift it; the channel admin may.
      assert.equal((await mod.api("PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "member" })).status, 403);
      assert.ok(await restriction(ch, reader.user.id));
      assert.equal((await admin.api("PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "member" })).status, 200);
      assert.equal(await restriction(ch, reader.user.id), undefined);
      assert.equal((await mod.api("DELETE", `/channels/${ch}/members/${reader.user.id}`)).status, 204);
      assert.equal((await mod.api("POST", `/channels/${ch}/members`, { userIds: [reader.user.id] })).status, 200);
      assert.equal(await roleOf(ch, reader.user.id), "member");
      // Sticking is per channel: another channel's reader rejoins this one as member.
      const pub = await channel("public");
      await leave(reader, ch);
      assert.equal((await admin.api("POST", `/channels/${ch}/members`, { userIds: [reader.user.id] })).status, 200);
      assert.equal(await roleOf(ch, reader.user.id), "member");
      assert.equal(await roleOf(pub, reader.user.id), "reader");
    });

    it("a former reader who joins a public channel by external MLS commit is a reader", { timeout: 60_000 }, async () => {
      const ch = (await admin.api("POST", "/channels", { kind: "public", name: "sticky-mls" })).body.id as string;
      assert.equal((await initChannel(await mlsClient(admin), ch)).status, 200);
      const late = await makeUser(s, owner);
      assert.equal((await late.api("POST", `/channels/${ch}/join`)).status, 200);
      assert.equal((await admin.api("PUT", `/channels/${ch}/members/${late.user.id}/role`, { role: "reader" })).status, 200);
      await leave(late, ch);
      const e = await mlsClient(late);
      const gi = await late.api("GET", `/channels/${ch}/group-info`);
      assert.equal(gi.status, 200);
      const join = await joinExternal(e.identity, bytes(gi.body.groupInfo));
      const r = await late.api("POST", `/channels/${ch}/commits`, { epoch: gi.body.epoch, commit: b64(join.commit), groupInfo: b64(join.groupInfo) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(await roleOf(ch, late.user.id), "reader");
    });

    it("a member whom an org policy forbids reading a channel can still leave it; non-members cannot", async () => {
      const o = await makeOrg(s, "sticky-policy");
      const [u, stranger] = await Promise.all([makeUser(s, o), makeUser(s, o)]);
      const c = await o.api("POST", "/channels", { kind: "private", name: "sealed", members: [u.user.id] });
      assert.equal(c.status, 201);
      assert.equal((await o.api("PUT", `/channels/${c.body.id}/labels`, { labels: ["sealed"] })).status, 200);
      const policy = await o.api("POST", "/org/policies", {
        name: "sealed: no members",
        text: `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "member" && resource.labels.contains("sealed") };`,
      });
      assert.equal(policy.status, 201);
      assert.equal((await u.api("GET", `/channels/${c.body.id}/events?after=0`)).status, 403);
      const out = await stranger.api("POST", `/channels/${c.body.id}/leave`);
      assert.equal(out.status, 404);
      assert.equal(out.body.message, "channel not found");
      await leave(u, c.body.id);
      const members = (await o.api("GET", `/channels/${c.body.id}/members`)).body.members.map((m: { userId: string }) => m.userId);
      assert.deepEqual(members, [o.user.id]);
      assert.equal((await owner.api("POST", `/channels/${c.body.id}/leave`)).status, 404, "another org's channel is not found");
    });

    it("a reader's typing notice is refused and not delivered; a member's is", async () => {
      const ch = await channel("public");
      const sr = await connectUser(s.url, reader.accessToken);
      const sm = await connectUser(s.url, member.accessToken);
      const sa = await connectUser(s.url, admin.accessToken);
      try {
        sr.send({ t: "typing", channelId: ch });
        const err = await sr.waitFor<ServerFrameOf<"error">>((f) => f.t === "error");
        assert.equal(err.code, "forbidden");
        assert.equal(err.message, "readers of this channel may not post");
        sm.send({ t: "typing", channelId: ch });
        await sa.waitFor((f) => f.t === "typing" && f.userId === member.user.id);
        await sr.waitFor((f) => f.t === "typing" && f.userId === member.user.id);
        await sleep(150);
        const fromReader = (x: TestUser) => (f: { userId: string }) => f.userId === x.user.id;
        assert.equal(sa.of("typing").filter(fromReader(reader)).length, 0);
        assert.equal(sm.of("typing").filter(fromReader(reader)).length, 0);
      } finally {
        for (const x of [sr, sm, sa]) await x.close();
      }
    });
  });
}
