/** Pinned messages: pin, unpin, list, live frames, limits, deleted and missing targets, other orgs. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { MAX_PINS_PER_CHANNEL, type ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, postText } from "../../gateway/test-client.ts";
import { backdateEvents, runRetentionNow } from "../../testing/retention.ts";

let n = 0;
const cid = () => `pin-${++n}-${Math.random().toString(36).slice(2, 8)}`;

for (const dialect of DIALECTS) {
  describe(`pins (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let outsider: TestUser;
    let other: TestUser;
    let ch: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      outsider = await makeUser(s, owner);
      other = await makeOrg(s, "other");
      ch = (await alice.api("POST", "/channels", { kind: "private", name: "pinboard", members: [bob.user.id] })).body.id;
    });
    after(() => s.stop());
    const counts = async () => ({
      pins: await countRows(s, "channel_pins"),
      stream: await countRows(s, "user_stream"),
      audit: await countRows(s, "audit_log"),
    });

    it("pins and unpins; every member hears it live and the list is newest first with who and when", async () => {
      const first = await postText(alice, ch, "ciphertext one");
      const second = await postText(bob, ch, "ciphertext two");
      const sock = await connectUser(s.url, bob.accessToken);
      try {
        const mark = sock.frames.length;
        const r = await alice.api("PUT", `/channels/${ch}/pins/${first}`);
        assert.equal(r.status, 200);
        assert.deepEqual({ ...r.body, pinnedAt: 0 }, { channelId: ch, seq: first, pinnedBy: alice.user.id, pinnedAt: 0 });
        const live = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "channel.pins", 10_000, mark);
        assert.equal(live.item.channelId, ch);
        assert.deepEqual({ ...live.item.data, at: 0 }, { seq: first, pinned: true, by: alice.user.id, at: 0 });
        // Pinning again is a no-op: same pin, nobody told again.
        const before = await counts();
        const again = await bob.api("PUT", `/channels/${ch}/pins/${first}`);
        assert.deepEqual(again.body, r.body);
        assert.deepEqual(await counts(), before);
        assert.equal((await bob.api("PUT", `/channels/${ch}/pins/${second}`)).status, 200);
        const list = await bob.api("GET", `/channels/${ch}/pins`);
        assert.deepEqual(
          list.body.pins.map((p: { seq: number; pinnedBy: string }) => [p.seq, p.pinnedBy]),
          [
            [second, bob.user.id],
            [first, alice.user.id],
          ],
        );
        // The server keeps references only: the table has no content column.
        const row = await s.deps.db.selectFrom("channel_pins").selectAll().where("channel_id", "=", ch).where("seq", "=", first).executeTakeFirstOrThrow();
        assert.deepEqual(Object.keys(row).sort(), ["channel_id", "org_id", "pinned_at", "pinned_by", "seq"]);
        const mark2 = sock.frames.length;
        assert.equal((await bob.api("DELETE", `/channels/${ch}/pins/${first}`)).status, 204);
        const off = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "channel.pins", 10_000, mark2);
        assert.deepEqual({ ...off.item.data, at: 0 }, { seq: first, pinned: false, by: bob.user.id, at: 0 });
        assert.deepEqual(
          (await alice.api("GET", `/channels/${ch}/pins`)).body.pins.map((p: { seq: number }) => p.seq),
          [second],
        );
        // Unpinning what is not pinned changes nothing.
        const quiet = await counts();
        assert.equal((await bob.api("DELETE", `/channels/${ch}/pins/${first}`)).status, 204);
        assert.deepEqual(await counts(), quiet);
        const audit = await s.deps.db.selectFrom("audit_log").select("action").where("target_id", "=", ch).where("action", "like", "channel.pin.%").execute();
        assert.deepEqual(
          audit.map((a) => a.action),
          ["channel.pin.added", "channel.pin.added", "channel.pin.removed"],
        );
      } finally {
        await sock.close();
      }
    });

    it("refuses missing seqs, non-messages and deleted messages with pin_target_invalid, writing nothing", async () => {
      const msg = await postText(alice, ch, "to be reacted to");
      const reaction = await alice.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "reaction", content: "eA==", target: msg });
      assert.equal(reaction.status, 200);
      const doomed = await postText(alice, ch, "to be deleted");
      assert.equal((await alice.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "delete", content: "eA==", target: doomed })).status, 200);
      const before = await counts();
      for (const [seq, reason] of [
        [99_999, "missing"],
        [reaction.body.event.seq, "not_a_message"],
        [doomed, "deleted"],
      ] as const) {
        const r = await alice.api("PUT", `/channels/${ch}/pins/${seq}`);
        assert.equal(r.status, 409, `seq ${seq}`);
        assert.equal(r.body.code, "pin_target_invalid");
        assert.equal(r.body.details.reason, reason);
      }
      assert.equal((await alice.api("PUT", `/channels/${ch}/pins/0`)).status, 400);
      assert.equal((await alice.api("PUT", `/channels/${ch}/pins/abc`)).status, 400);
      assert.deepEqual(await counts(), before);
    });

    it("deleting a pinned message removes its pin and tells the members", async () => {
      const seq = await postText(bob, ch, "pinned then deleted");
      assert.equal((await alice.api("PUT", `/channels/${ch}/pins/${seq}`)).status, 200);
      const sock = await connectUser(s.url, alice.accessToken);
      try {
        const mark = sock.frames.length;
        assert.equal((await bob.api("POST", `/channels/${ch}/events`, { clientId: cid(), kind: "delete", content: "eA==", target: seq })).status, 200);
        const off = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "channel.pins" && f.item.data.seq === seq, 10_000, mark);
        assert.equal(off.item.data.pinned, false);
        assert.equal(off.item.data.by, bob.user.id);
      } finally {
        await sock.close();
      }
      const pins = (await alice.api("GET", `/channels/${ch}/pins`)).body.pins.map((p: { seq: number }) => p.seq);
      assert.ok(!pins.includes(seq));
    });

    it(`holds at most ${MAX_PINS_PER_CHANNEL} pins per channel (pin_limit)`, async () => {
      const full = (await alice.api("POST", "/channels", { kind: "public", name: "many-pins" })).body.id;
      const existing = await s.deps.db.selectFrom("events").select("seq").where("channel_id", "=", full).execute();
      assert.equal(existing.length, 0);
      // Many messages straight through the API, then pins for all but the last.
      const seqs: number[] = [];
      for (let i = 0; i <= MAX_PINS_PER_CHANNEL; i++) seqs.push(await postText(alice, full, `m${i}`));
      await s.deps.db
        .insertInto("channel_pins")
        .values(
          seqs.slice(0, MAX_PINS_PER_CHANNEL).map((seq) => ({ channel_id: full, seq, org_id: owner.user.orgId, pinned_by: alice.user.id, pinned_at: seq })),
        )
        .execute();
      const before = await counts();
      const r = await alice.api("PUT", `/channels/${full}/pins/${seqs[MAX_PINS_PER_CHANNEL]}`);
      assert.equal(r.status, 409);
      assert.equal(r.body.code, "pin_limit");
      assert.equal(r.body.details.limit, MAX_PINS_PER_CHANNEL);
      assert.deepEqual(await counts(), before);
      const list = await alice.api("GET", `/channels/${full}/pins`);
      assert.equal(list.body.pins.length, MAX_PINS_PER_CHANNEL);
      assert.equal(list.body.pins[0].seq, seqs[MAX_PINS_PER_CHANNEL - 1]);
      // After an unpin there is room again.
      assert.equal((await alice.api("DELETE", `/channels/${full}/pins/${seqs[0]}`)).status, 204);
      assert.equal((await alice.api("PUT", `/channels/${full}/pins/${seqs[MAX_PINS_PER_CHANNEL]}`)).status, 200);
    });

    it("retention that removes a pinned message removes its pin; newer pins stay", async () => {
      const kept = (await alice.api("POST", "/channels", { kind: "public", name: "retained" })).body.id;
      const old = await postText(alice, kept, "old news");
      const recent = await postText(alice, kept, "fresh news");
      for (const seq of [old, recent]) assert.equal((await alice.api("PUT", `/channels/${kept}/pins/${seq}`)).status, 200);
      await backdateEvents(s, kept, [old], 40);
      assert.equal((await owner.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);
      await runRetentionNow(s, owner.user.orgId);
      assert.equal((await owner.api("PUT", "/compliance/retention", { eventsDays: null, filesDays: null, auditDays: null })).status, 200);
      const pins = (await alice.api("GET", `/channels/${kept}/pins`)).body.pins.map((p: { seq: number }) => p.seq);
      assert.deepEqual(pins, [recent]);
    });

    it("non-members and other orgs get not_found; readers and archived channels may not pin", async () => {
      const seq = await postText(alice, ch, "secret");
      const before = await counts();
      for (const u of [outsider, other]) {
        for (const [method, path] of [
          ["GET", `/channels/${ch}/pins`],
          ["PUT", `/channels/${ch}/pins/${seq}`],
          ["DELETE", `/channels/${ch}/pins/${seq}`],
        ] as const) {
          const r = await u.api(method, path);
          assert.equal(r.status, 404, `${method} ${path}`);
          assert.equal(r.body.code, "not_found");
        }
      }
      assert.equal((await alice.api("PUT", `/channels/${ch}/members/${bob.user.id}/role`, { role: "reader" })).status, 200);
      assert.equal((await bob.api("PUT", `/channels/${ch}/pins/${seq}`)).status, 403);
      assert.equal((await bob.api("GET", `/channels/${ch}/pins`)).status, 200, "readers see the pins");
      assert.equal((await alice.api("PUT", `/channels/${ch}/members/${bob.user.id}/role`, { role: "member" })).status, 200);
      const afterRoles = await counts();
      assert.equal(afterRoles.pins, before.pins);
      assert.equal((await alice.api("POST", `/channels/${ch}/archive`)).status, 200);
      const archived = await alice.api("PUT", `/channels/${ch}/pins/${seq}`);
      assert.equal(archived.body.code, "channel_archived");
      assert.equal((await alice.api("POST", `/channels/${ch}/unarchive`)).status, 200);
      assert.equal(await countRows(s, "channel_pins"), before.pins);
    });
  });
}
