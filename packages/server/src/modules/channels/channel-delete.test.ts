/** Deleting a channel for good: who may, what goes (rows and blobs), who is told, and legal holds that refuse it. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, postText } from "../../gateway/test-client.ts";
import { uploadFile } from "../../testing/files.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
const cid = () => `del-${++n}-${Math.random().toString(36).slice(2, 8)}`;

/** Rows of every table the deletion clears that still name the channel. */
async function leftovers(s: TestServer, channelId: string): Promise<Record<string, number>> {
  const db = s.deps.db;
  const count = async (
    table: "events" | "channel_members" | "channel_pins" | "files" | "mentions" | "mls_groups" | "channel_notification_settings" | "thread_follows",
  ) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("channel_id", "=", channelId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const channels = Number(
    (
      await db
        .selectFrom("channels")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("id", "=", channelId)
        .executeTakeFirstOrThrow()
    ).n,
  );
  return {
    channels,
    events: await count("events"),
    members: await count("channel_members"),
    pins: await count("channel_pins"),
    files: await count("files"),
    mentions: await count("mentions"),
    mls: await count("mls_groups"),
    notify: await count("channel_notification_settings"),
    follows: await count("thread_follows"),
  };
}

const NONE = { channels: 0, events: 0, members: 0, pins: 0, files: 0, mentions: 0, mls: 0, notify: 0, follows: 0 };

for (const dialect of DIALECTS) {
  describe(`channel delete (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser; // org owner: deletes any channel, places holds
    let alice: TestUser; // channel admin of the channels she creates
    let bob: TestUser;
    let outsider: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      outsider = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    /** A private channel of alice and bob with messages, a mention, a pin, an attachment and an MLS group row. */
    async function fullChannel(name: string): Promise<{ id: string; fileId: string }> {
      const id = (await alice.api("POST", "/channels", { kind: "private", name, members: [bob.user.id] })).body.id as string;
      const fileId = await uploadFile(s, alice, id, crypto.randomBytes(300));
      const sent = await alice.api("POST", `/channels/${id}/events`, {
        clientId: cid(),
        kind: "message",
        content: b64("x"),
        files: [fileId],
        mentions: [bob.user.id],
      });
      assert.equal(sent.status, 200);
      const seq = await postText(bob, id, "second");
      assert.equal((await bob.api("PUT", `/channels/${id}/pins/${seq}`)).status, 200);
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${id}`, { level: "muted" })).status, 200);
      assert.equal((await bob.api("PUT", `/channels/${id}/threads/${seq}/follow`)).status, 200);
      await s.deps.db
        .insertInto("mls_groups")
        .values({
          channel_id: id,
          org_id: owner.user.orgId,
          suite: "default",
          epoch: 0,
          group_info: new Uint8Array([1]),
          created_by: alice.tokens.deviceId,
          created_at: 1,
          updated_at: 1,
          engine: "test",
        })
        .execute();
      return { id, fileId };
    }

    it("a channel admin deletes the channel: rows and blobs go, members are told live and lose it from their list, audited", async () => {
      const { id, fileId } = await fullChannel("doomed");
      assert.ok((await s.deps.blobs.list()).includes(fileId));
      const sock = await connectUser(s.url, bob.accessToken);
      try {
        const mark = sock.frames.length;
        const r = await alice.api("DELETE", `/channels/${id}`);
        assert.equal(r.status, 204);
        const told = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "channel.deleted", 10_000, mark);
        assert.equal(told.item.channelId, id);
        assert.equal(told.item.data.by, alice.user.id);
      } finally {
        await sock.close();
      }
      assert.deepEqual(await leftovers(s, id), NONE);
      assert.ok(!(await bob.api("GET", "/channels")).body.channels.some((c: { id: string }) => c.id === id));
      assert.equal((await bob.api("GET", `/channels/${id}`)).status, 404);
      // The blob is removed by a durable job after the commit.
      for (let i = 0; i < 200 && (await s.deps.blobs.list()).includes(fileId); i++) await new Promise((res) => setTimeout(res, 50));
      assert.ok(!(await s.deps.blobs.list()).includes(fileId), "the attachment's blob is gone");
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "result"])
        .where("target_id", "=", id)
        .where("action", "=", "channel.deleted")
        .execute();
      assert.deepEqual(audit, [{ action: "channel.deleted", result: "success" }]);
      // The name is free again.
      assert.equal((await alice.api("POST", "/channels", { kind: "public", name: "doomed" })).status, 201);
    });

    it("only channel admins and org admins may delete; non-members and other orgs get not_found; DMs cannot be deleted", async () => {
      const { id } = await fullChannel("kept");
      const before = await leftovers(s, id);
      const byMember = await bob.api("DELETE", `/channels/${id}`);
      assert.equal(byMember.status, 403);
      for (const u of [outsider, other]) {
        const r = await u.api("DELETE", `/channels/${id}`);
        assert.equal(r.status, 404);
        assert.equal(r.body.code, "not_found");
      }
      const dm = (await alice.api("POST", "/dms", { userIds: [bob.user.id] })).body.id;
      assert.equal((await alice.api("DELETE", `/channels/${dm}`)).status, 400);
      assert.equal((await alice.api("DELETE", "/channels/not-an-id!")).status, 400);
      assert.deepEqual(await leftovers(s, id), before);
      // An org admin who is not a member may.
      assert.equal((await owner.api("DELETE", `/channels/${id}`)).status, 204);
      assert.deepEqual(await leftovers(s, id), NONE);
    });

    it("a legal hold on the channel, or on a member, refuses the deletion with legal_hold (audited) until released", async () => {
      const { id, fileId } = await fullChannel("held");
      const hold = await owner.api("POST", "/compliance/holds", { matter: "case-7", scope: "channel", targetId: id });
      assert.equal(hold.status, 201);
      const before = await leftovers(s, id);
      const refused = await alice.api("DELETE", `/channels/${id}`);
      assert.equal(refused.status, 409);
      assert.equal(refused.body.code, "legal_hold");
      assert.deepEqual(refused.body.details.matters, ["case-7"]);
      assert.deepEqual(await leftovers(s, id), before);
      assert.ok((await s.deps.blobs.list()).includes(fileId));
      const denied = await s.deps.db
        .selectFrom("audit_log")
        .select("result")
        .where("target_id", "=", id)
        .where("action", "=", "channel.delete.refused")
        .execute();
      assert.deepEqual(denied, [{ result: "denied" }]);
      assert.equal((await owner.api("POST", `/compliance/holds/${hold.body.id}/release`, {})).status, 200);

      // A hold on a member keeps the channel too.
      const userHold = await owner.api("POST", "/compliance/holds", { matter: "case-8", scope: "user", targetId: bob.user.id });
      const byUser = await owner.api("DELETE", `/channels/${id}`);
      assert.equal(byUser.body.code, "legal_hold");
      assert.deepEqual(byUser.body.details.matters, ["case-8"]);
      assert.equal((await owner.api("POST", `/compliance/holds/${userHold.body.id}/release`, {})).status, 200);

      assert.equal((await owner.api("DELETE", `/channels/${id}`)).status, 204);
      assert.deepEqual(await leftovers(s, id), NONE);
      assert.equal(await countRows(s, "legal_holds"), 2, "holds are kept, released");
    });
  });
}
