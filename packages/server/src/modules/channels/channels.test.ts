import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

for (const dialect of DIALECTS) {
  describe(`channels (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let guest: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      guest = await makeUser(s, owner, { role: "guest" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());
    const counts = async () => ({
      channels: await countRows(s, "channels"),
      members: await countRows(s, "channel_members"),
      stream: await countRows(s, "user_stream"),
    });

    it("creates public and private channels; the creator is channel admin", async () => {
      const r = await alice.api("POST", "/channels", { kind: "public", name: "General", topic: "hi", members: [bob.user.id] });
      assert.equal(r.status, 201);
      assert.equal(r.body.kind, "public");
      assert.equal(r.body.myRole, "admin");
      assert.equal(r.body.memberCount, 2);
      assert.equal(r.body.unread, 0);
      const members = await alice.api("GET", `/channels/${r.body.id}/members`);
      assert.deepEqual(
        members.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role]).sort(),
        [
          [alice.user.id, "admin"],
          [bob.user.id, "member"],
        ].sort(),
      );
      const list = await bob.api("GET", "/channels");
      assert.ok(list.body.channels.some((c: { id: string; myRole: string }) => c.id === r.body.id && c.myRole === "member"));
      const stream = await bob.api("GET", "/stream?after=0");
      assert.ok(stream.body.items.some((i: { kind: string; channelId: string }) => i.kind === "channel.joined" && i.channelId === r.body.id));
      const priv = await alice.api("POST", "/channels", { kind: "private", name: "secret" });
      assert.equal(priv.status, 201);
      assert.equal(priv.body.memberCount, 1);
    });

    it("rejects duplicate names (case-insensitive), bad input and other orgs' users, writing nothing", async () => {
      await alice.api("POST", "/channels", { kind: "public", name: "dupe-name" });
      const before = await counts();
      const dup = await bob.api("POST", "/channels", { kind: "private", name: "DUPE-NAME" });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.code, "already_exists");
      const bad = await alice.api("POST", "/channels", { kind: "dm", name: "x" });
      assert.equal(bad.status, 400);
      const empty = await alice.api("POST", "/channels", { kind: "public", name: "   " });
      assert.equal(empty.status, 400);
      const foreign = await alice.api("POST", "/channels", { kind: "public", name: "with-foreigner", members: [other.user.id] });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, "not_found");
      const guestCreate = await guest.api("POST", "/channels", { kind: "public", name: "guest-made" });
      assert.equal(guestCreate.status, 403);
      assert.deepEqual(await counts(), before);
    });

    it("opens DMs and group DMs once per member set", async () => {
      const dm = await alice.api("POST", "/dms", { userIds: [bob.user.id] });
      assert.equal(dm.status, 200);
      assert.equal(dm.body.kind, "dm");
      assert.deepEqual(dm.body.dmUserIds, [bob.user.id]);
      const again = await bob.api("POST", "/dms", { userIds: [alice.user.id, alice.user.id] });
      assert.equal(again.body.id, dm.body.id);
      const group = await alice.api("POST", "/dms", { userIds: [bob.user.id, guest.user.id] });
      assert.equal(group.body.kind, "group_dm");
      const group2 = await guest.api("POST", "/dms", { userIds: [bob.user.id, alice.user.id] });
      assert.equal(group2.body.id, group.body.id);
      const before = await counts();
      assert.equal((await alice.api("POST", "/dms", { userIds: [alice.user.id] })).status, 400);
      assert.equal((await alice.api("POST", "/dms", { userIds: [other.user.id] })).status, 404);
      assert.equal((await alice.api("POST", "/dms", { userIds: [] })).status, 400);
      assert.equal((await alice.api("POST", `/channels/${dm.body.id}/leave`)).status, 400);
      assert.equal((await alice.api("POST", `/channels/${dm.body.id}/members`, { userIds: [owner.user.id] })).status, 400);
      assert.deepEqual(await counts(), before);
      // Outsiders, same org or not, cannot see a DM.
      assert.equal((await owner.api("GET", `/channels/${dm.body.id}/events`)).status, 404);
      assert.equal((await other.api("GET", `/channels/${dm.body.id}`)).status, 404);
    });

    it("joins and leaves public channels; guests may not join; private channels stay hidden", async () => {
      const pub = (await alice.api("POST", "/channels", { kind: "public", name: "open" })).body;
      const priv = (await alice.api("POST", "/channels", { kind: "private", name: "closed" })).body;
      const browse = await bob.api("GET", "/channels/browse?q=OPE");
      assert.deepEqual(
        browse.body.channels.map((c: { name: string; joined: boolean }) => [c.name, c.joined]),
        [["open", false]],
      );
      const join = await bob.api("POST", `/channels/${pub.id}/join`);
      assert.equal(join.status, 200);
      assert.equal(join.body.myRole, "member");
      assert.equal(join.body.memberCount, 2);
      const aliceStream = await alice.api("GET", "/stream?after=0&limit=200");
      assert.ok(
        aliceStream.body.items.some(
          (i: { kind: string; channelId: string; data: { userIds: string[] } }) =>
            i.kind === "member.joined" && i.channelId === pub.id && i.data.userIds.includes(bob.user.id),
        ),
      );
      assert.equal((await bob.api("POST", `/channels/${pub.id}/join`)).status, 200); // idempotent
      const before = await counts();
      const g = await guest.api("POST", `/channels/${pub.id}/join`);
      assert.equal(g.status, 403);
      assert.equal((await guest.api("GET", "/channels/browse")).status, 403);
      assert.equal((await bob.api("POST", `/channels/${priv.id}/join`)).status, 404);
      assert.equal((await bob.api("GET", `/channels/${priv.id}`)).status, 404);
      assert.equal((await other.api("POST", `/channels/${pub.id}/join`)).status, 404);
      assert.equal((await other.api("GET", `/channels/${pub.id}/members`)).status, 404);
      assert.equal((await other.api("GET", "/channels/browse")).body.channels.length, 0);
      assert.deepEqual(await counts(), before);
      assert.equal((await bob.api("POST", `/channels/${pub.id}/leave`)).status, 204);
      assert.equal((await bob.api("GET", `/channels/${pub.id}`)).body.myRole, null);
      assert.equal((await bob.api("POST", `/channels/${pub.id}/leave`)).status, 404);
    });

    it("invites, kicks and sets roles with channel-admin rules", async () => {
      const priv = (await alice.api("POST", "/channels", { kind: "private", name: "team", members: [bob.user.id] })).body;
      const before = await counts();
      assert.equal((await bob.api("POST", `/channels/${priv.id}/members`, { userIds: [guest.user.id] })).status, 403);
      assert.equal((await bob.api("DELETE", `/channels/${priv.id}/members/${alice.user.id}`)).status, 403);
      assert.equal((await bob.api("PUT", `/channels/${priv.id}/members/${bob.user.id}/role`, { role: "admin" })).status, 403);
      assert.equal((await alice.api("POST", `/channels/${priv.id}/members`, { userIds: [other.user.id] })).status, 404);
      assert.equal((await alice.api("POST", `/channels/${priv.id}/members`, { userIds: ["not an id!"] })).status, 400);
      assert.equal((await other.api("POST", `/channels/${priv.id}/members`, { userIds: [other.user.id] })).status, 404);
      assert.equal((await alice.api("PUT", `/channels/${priv.id}/members/${bob.user.id}/role`, { role: "owner" })).status, 400);
      assert.deepEqual(await counts(), before);

      const add = await alice.api("POST", `/channels/${priv.id}/members`, { userIds: [guest.user.id, bob.user.id] });
      assert.deepEqual(add.body.added, [guest.user.id]);
      const role = await alice.api("PUT", `/channels/${priv.id}/members/${bob.user.id}/role`, { role: "admin" });
      assert.equal(role.status, 200);
      assert.equal(role.body.role, "admin");
      assert.equal((await bob.api("DELETE", `/channels/${priv.id}/members/${guest.user.id}`)).status, 204);
      const gs = await guest.api("GET", "/stream?after=0&limit=200");
      assert.equal(gs.body.items.at(-1).kind, "channel.left");
      assert.equal((await guest.api("GET", `/channels/${priv.id}`)).status, 404);
      // Org admins manage channels they are not in.
      assert.equal((await owner.api("DELETE", `/channels/${priv.id}/members/${bob.user.id}`)).status, 204);
      assert.equal((await alice.api("GET", `/channels/${priv.id}/members`)).body.members.length, 1);
    });

    it("concurrent invites of the same users add each once, without errors", async () => {
      const c = (await alice.api("POST", "/channels", { kind: "private", name: "race-invites" })).body;
      const rs = await Promise.all(Array.from({ length: 6 }, () => alice.api("POST", `/channels/${c.id}/members`, { userIds: [bob.user.id, guest.user.id] })));
      assert.deepEqual(
        rs.map((r) => r.status),
        [200, 200, 200, 200, 200, 200],
      );
      assert.equal(
        rs.reduce((n, r) => n + r.body.added.length, 0),
        2,
      );
      const members = (await alice.api("GET", `/channels/${c.id}/members`)).body.members;
      assert.equal(members.length, 3);
    });

    it("history policy: shared for channels and joined for DMs by default, chosen at creation, changed by channel admins only (audited, members told)", async () => {
      const pub = (await alice.api("POST", "/channels", { kind: "public", name: "policy-default", members: [bob.user.id] })).body;
      const priv = (await alice.api("POST", "/channels", { kind: "private", name: "policy-private" })).body;
      const dm = (await alice.api("POST", "/dms", { userIds: [bob.user.id] })).body;
      const group = (await alice.api("POST", "/dms", { userIds: [bob.user.id, guest.user.id] })).body;
      assert.deepEqual([pub.history, priv.history, dm.history, group.history], ["shared", "shared", "joined", "joined"]);
      const chosen = await alice.api("POST", "/channels", { kind: "private", name: "policy-chosen", history: "device-only" });
      assert.equal(chosen.status, 201);
      assert.equal(chosen.body.history, "device-only");
      assert.equal((await alice.api("GET", `/channels/${chosen.body.id}`)).body.history, "device-only");

      const before = await counts();
      const audits = await countRows(s, "audit_log");
      const bad = await alice.api("POST", "/channels", { kind: "public", name: "policy-bad", history: "everyone" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "validation_failed");
      assert.equal((await alice.api("PATCH", `/channels/${pub.id}`, { history: "nobody" })).status, 400);
      assert.equal((await bob.api("PATCH", `/channels/${pub.id}`, { history: "joined" })).status, 403, "a member is not a channel admin");
      assert.equal((await other.api("PATCH", `/channels/${pub.id}`, { history: "joined" })).status, 404, "another org sees nothing");
      assert.deepEqual(await counts(), before, "nothing written on refusal");
      assert.equal(await countRows(s, "audit_log"), audits);

      const changed = await alice.api("PATCH", `/channels/${pub.id}`, { history: "joined" });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.history, "joined");
      const told = (await bob.api("GET", "/stream?after=0&limit=200")).body.items.filter(
        (i: { kind: string; channelId: string }) => i.kind === "channel.updated" && i.channelId === pub.id,
      );
      assert.equal(told.at(-1).data.channel.history, "joined", "members are told the new policy");
      const entries = await s.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "channel.history.changed")
        .where("target_id", "=", pub.id)
        .execute();
      assert.deepEqual(
        entries.map((e) => [e.actor_id, JSON.parse(e.details)]),
        [[alice.user.id, { from: "shared", to: "joined" }]],
      );
      // Setting the policy it already has changes nothing and records nothing.
      const again = await alice.api("PATCH", `/channels/${pub.id}`, { history: "joined" });
      assert.equal(again.status, 200);
      assert.equal(
        (await s.deps.db.selectFrom("audit_log").select("seq").where("action", "=", "channel.history.changed").where("target_id", "=", pub.id).execute())
          .length,
        1,
      );
      // Any member of a DM may change its policy (a DM has no channel admins).
      assert.equal((await bob.api("PATCH", `/channels/${dm.id}`, { history: "shared" })).body.history, "shared");
    });

    it("renames, archives and unarchives (admins only); archived channels reject posts", async () => {
      const ch = (await alice.api("POST", "/channels", { kind: "public", name: "rename-me", members: [bob.user.id] })).body;
      await alice.api("POST", "/channels", { kind: "public", name: "taken" });
      assert.equal((await bob.api("PATCH", `/channels/${ch.id}`, { name: "nope" })).status, 403);
      assert.equal((await other.api("PATCH", `/channels/${ch.id}`, { name: "nope" })).status, 404);
      assert.equal((await alice.api("PATCH", `/channels/${ch.id}`, { name: "TAKEN" })).status, 409);
      const up = await alice.api("PATCH", `/channels/${ch.id}`, { name: "renamed", topic: "new topic" });
      assert.equal(up.status, 200);
      assert.equal(up.body.name, "renamed");
      const bs = await bob.api("GET", "/stream?after=0&limit=200");
      assert.equal(bs.body.items.at(-1).kind, "channel.updated");
      assert.equal((await bob.api("POST", `/channels/${ch.id}/archive`)).status, 403);
      const arch = await alice.api("POST", `/channels/${ch.id}/archive`);
      assert.equal(arch.body.archived, true);
      const post = await bob.api("POST", `/channels/${ch.id}/events`, { clientId: "archived-1", kind: "message", content: "aGk=" });
      assert.equal(post.status, 409);
      assert.equal(post.body.code, "channel_archived");
      assert.equal((await alice.api("PATCH", `/channels/${ch.id}`, { topic: "x" })).body.code, "channel_archived");
      assert.equal((await guest.api("POST", `/channels/${ch.id}/join`)).status, 403);
      assert.equal((await owner.api("POST", `/channels/${ch.id}/join`)).body.code, "channel_archived");
      assert.equal(
        (await bob.api("GET", "/channels/browse")).body.channels.some((c: { id: string }) => c.id === ch.id),
        false,
      );
      assert.equal(
        (await bob.api("GET", "/channels/browse?includeArchived=true")).body.channels.some((c: { id: string }) => c.id === ch.id),
        true,
      );
      assert.equal((await alice.api("POST", `/channels/${ch.id}/unarchive`)).body.archived, false);
      assert.equal((await bob.api("POST", `/channels/${ch.id}/events`, { clientId: "archived-2", kind: "message", content: "aGk=" })).status, 200);
    });
  });
}
