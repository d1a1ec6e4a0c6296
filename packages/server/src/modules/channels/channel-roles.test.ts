/** Channel roles: admin, moderator, member, reader — who may do what, over REST and the WebSocket. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import type { ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, postText } from "../../gateway/test-client.ts";

const text = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
const cid = () => `role-${++n}-${Math.random().toString(36).slice(2, 8)}`;

for (const dialect of DIALECTS) {
  describe(`channel roles (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser; // channel admin (creator)
    let mod: TestUser;
    let mod2: TestUser;
    let member: TestUser;
    let reader: TestUser;
    let outsider: TestUser;
    let other: TestUser;
    let ch: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "roles" });
      [admin, mod, mod2, member, reader, outsider] = (await Promise.all(Array.from({ length: 6 }, () => makeUser(s, owner)))) as [
        TestUser,
        TestUser,
        TestUser,
        TestUser,
        TestUser,
        TestUser,
      ];
      other = await makeOrg(s, "roles-other");
      const c = await admin.api("POST", "/channels", {
        kind: "private",
        name: "roles",
        members: [mod.user.id, mod2.user.id, member.user.id, reader.user.id],
      });
      assert.equal(c.status, 201);
      ch = c.body.id;
      for (const [u, role] of [
        [mod, "moderator"],
        [mod2, "moderator"],
        [reader, "reader"],
      ] as const) {
        const r = await admin.api("PUT", `/channels/${ch}/members/${u.user.id}/role`, { role });
        assert.equal(r.status, 200);
        assert.equal(r.body.role, role);
      }
    });
    after(() => s.stop());
    const counts = async () => ({
      events: await countRows(s, "events"),
      members: await countRows(s, "channel_members"),
      files: await countRows(s, "files"),
      audit: await countRows(s, "audit_log"),
      stream: await countRows(s, "user_stream"),
    });
    const roleOf = async (userId: string) =>
      (await admin.api("GET", `/channels/${ch}/members`)).body.members.find((m: { userId: string }) => m.userId === userId)?.role;

    it("role changes are audited, told to the members and shown as myRole", async () => {
      assert.equal((await reader.api("GET", `/channels/${ch}`)).body.myRole, "reader");
      assert.equal((await mod.api("GET", "/channels")).body.channels.find((c: { id: string }) => c.id === ch).myRole, "moderator");
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "details"])
        .where("action", "=", "channel.member.role_changed")
        .where("target_id", "=", ch)
        .execute();
      assert.equal(audit.length, 3);
      assert.ok(audit.some((a) => String(a.details).includes('"reader"')));
      const items = (await member.api("GET", "/stream?after=0&limit=200")).body.items;
      assert.ok(
        items.some(
          (i: { kind: string; data: { userId: string; role: string } }) =>
            i.kind === "member.role" && i.data.role === "reader" && i.data.userId === reader.user.id,
        ),
      );
    });

    it("a reader reads but may not post, reply, react, edit, delete or upload; nothing is written", async () => {
      const seq = await postText(member, ch, "hello readers");
      const mine = await postText(reader, ch, "x").catch((e: Error) => e);
      assert.ok(mine instanceof Error && mine.message.includes("readers of this channel may not post"));
      const before = await counts();
      const tries = [
        { clientId: cid(), kind: "message", content: text("hi") },
        { clientId: cid(), kind: "message", content: text("reply"), threadRoot: seq },
        { clientId: cid(), kind: "reaction", content: text("+1"), target: seq },
        { clientId: cid(), kind: "edit", content: text("e"), target: seq },
        { clientId: cid(), kind: "delete", content: text("d"), target: seq },
      ];
      for (const body of tries) {
        const r = await reader.api("POST", `/channels/${ch}/events`, body);
        assert.equal(r.status, 403, body.kind);
        assert.equal(r.body.code, "forbidden");
        assert.equal(r.body.message, "readers of this channel may not post");
      }
      const up = await reader.api("POST", `/channels/${ch}/files`, { size: 10 });
      assert.equal(up.status, 403);
      assert.equal(up.body.message, "readers of this channel may not post");
      // Nor invite, remove others, or manage.
      assert.equal((await reader.api("POST", `/channels/${ch}/members`, { userIds: [outsider.user.id] })).status, 403);
      assert.equal((await reader.api("DELETE", `/channels/${ch}/members/${member.user.id}`)).status, 403);
      assert.equal((await reader.api("PATCH", `/channels/${ch}`, { topic: "mine" })).status, 403);
      assert.deepEqual(await counts(), before);
      // Reading still works.
      const page = await reader.api("GET", `/channels/${ch}/events?after=0`);
      assert.equal(page.status, 200);
      assert.ok(page.body.events.some((e: { seq: number }) => e.seq === seq));
    });

    it("a reader's send over the WebSocket is refused with the same error, and the reader still receives", async () => {
      const sock = await connectUser(s.url, reader.accessToken);
      try {
        const before = await countRows(s, "events");
        sock.send({ t: "send", ref: "r1", channelId: ch, clientId: cid(), kind: "message", content: text("ws") });
        const err = await sock.waitFor<ServerFrameOf<"error">>((f) => f.t === "error" && f.ref === "r1");
        assert.equal(err.code, "forbidden");
        assert.equal(err.message, "readers of this channel may not post");
        assert.equal(await countRows(s, "events"), before);
        const seq = await postText(member, ch, "live to readers");
        await sock.waitFor((f) => f.t === "event" && f.event.channelId === ch && f.event.seq === seq);
      } finally {
        await sock.close();
      }
    });

    it("a reader's device still sends history-key events (key distribution, not a post)", async () => {
      const r = await reader.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "keys", content: text("keys") });
      assert.equal(r.status, 200);
    });

    it("a moderator invites, removes members and readers, deletes others' messages; nothing more", async () => {
      const inv = await mod.api("POST", `/channels/${ch}/members`, { userIds: [outsider.user.id] });
      assert.equal(inv.status, 200);
      assert.deepEqual(inv.body.added, [outsider.user.id]);
      assert.equal((await mod.api("DELETE", `/channels/${ch}/members/${outsider.user.id}`)).status, 204);
      const seq = await postText(member, ch, "to be moderated");
      const del = await mod.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "delete", content: text("d"), target: seq });
      assert.equal(del.status, 200);
      // A member may not delete others' messages.
      const seq2 = await postText(mod, ch, "by the moderator");
      assert.equal((await member.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "delete", content: text("d"), target: seq2 })).status, 403);

      const before = await counts();
      const refusals: Array<[string, string, unknown?]> = [
        ["DELETE", `/channels/${ch}/members/${admin.user.id}`],
        ["DELETE", `/channels/${ch}/members/${mod2.user.id}`],
        ["PUT", `/channels/${ch}/members/${member.user.id}/role`, { role: "moderator" }],
        ["PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "member" }],
        ["PUT", `/channels/${ch}/members/${mod.user.id}/role`, { role: "admin" }],
        ["PATCH", `/channels/${ch}`, { name: "renamed-by-mod" }],
        ["PATCH", `/channels/${ch}`, { topic: "mod topic" }],
        ["PATCH", `/channels/${ch}`, { history: "joined" }],
        ["PUT", `/channels/${ch}/labels`, { labels: ["mods"] }],
        ["POST", `/channels/${ch}/archive`],
      ];
      for (const [method, path, body] of refusals) {
        const r = await mod.api(method, path, body);
        assert.equal(r.status, 403, `${method} ${path}`);
        assert.equal(r.body.code, "forbidden");
      }
      assert.deepEqual(await counts(), before, "nothing written on refusal");
      assert.equal(await roleOf(admin.user.id), "admin");
      assert.equal(await roleOf(mod2.user.id), "moderator");
      // An org admin may remove a moderator.
      assert.equal((await owner.api("DELETE", `/channels/${ch}/members/${mod2.user.id}`)).status, 204);
    });

    it("a moderator removes a reader; members cannot invite to a private channel; readers of public channels cannot invite", async () => {
      const extra = await makeUser(s, owner);
      assert.equal((await admin.api("POST", `/channels/${ch}/members`, { userIds: [extra.user.id] })).status, 200);
      assert.equal((await admin.api("PUT", `/channels/${ch}/members/${extra.user.id}/role`, { role: "reader" })).status, 200);
      assert.equal((await mod.api("DELETE", `/channels/${ch}/members/${extra.user.id}`)).status, 204);
      assert.equal((await member.api("POST", `/channels/${ch}/members`, { userIds: [extra.user.id] })).status, 403);
      const pub = (await admin.api("POST", "/channels", { kind: "public", name: "roles-public", members: [reader.user.id] })).body;
      assert.equal((await admin.api("PUT", `/channels/${pub.id}/members/${reader.user.id}/role`, { role: "reader" })).status, 200);
      assert.equal((await reader.api("POST", `/channels/${pub.id}/members`, { userIds: [extra.user.id] })).status, 403);
      // Joining a public channel gives "member".
      const joined = await member.api("POST", `/channels/${pub.id}/join`);
      assert.equal(joined.body.myRole, "member");
    });

    it("channel admins and org admins set roles; bad roles, DMs, non-members and other orgs are refused", async () => {
      const dm = (await admin.api("POST", "/dms", { userIds: [member.user.id] })).body;
      const before = await counts();
      assert.equal((await admin.api("PUT", `/channels/${ch}/members/${member.user.id}/role`, { role: "owner" })).status, 400);
      assert.equal((await member.api("PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "member" })).status, 403);
      assert.equal((await admin.api("PUT", `/channels/${ch}/members/${outsider.user.id}/role`, { role: "reader" })).status, 404);
      assert.equal((await admin.api("PUT", `/channels/${dm.id}/members/${member.user.id}/role`, { role: "reader" })).status, 400);
      const x = await other.api("PUT", `/channels/${ch}/members/${member.user.id}/role`, { role: "reader" });
      assert.equal(x.status, 404);
      assert.equal(x.body.code, "not_found");
      assert.equal((await other.api("DELETE", `/channels/${ch}/members/${reader.user.id}`)).status, 404);
      assert.deepEqual(await counts(), before);
      // An org admin who is not a member sets roles; a reader made member posts again.
      assert.equal((await owner.api("PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "member" })).status, 200);
      await postText(reader, ch, "I may post again");
      assert.equal((await owner.api("PUT", `/channels/${ch}/members/${reader.user.id}/role`, { role: "reader" })).status, 200);
      // A group DM: nobody deletes another's message, an org admin in it neither (only the sender).
      const gdm = (await owner.api("POST", "/dms", { userIds: [member.user.id, reader.user.id] })).body;
      const said = await postText(member, gdm.id, "in the group DM");
      const del = (u: typeof owner) => u.api("POST", `/channels/${gdm.id}/events`, { clientId: cid(), kind: "delete", content: text("d"), target: said });
      assert.equal((await del(reader)).status, 403);
      assert.equal((await del(owner)).status, 403);
    });
  });
}
