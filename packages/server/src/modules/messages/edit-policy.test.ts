import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
const cid = () => `edit-${process.pid}-${++n}`;

for (const dialect of DIALECTS) {
  describe(`edit policy (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let other: TestUser;
    let ch: { id: string };
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      other = await makeOrg(s, "other");
      ch = (await alice.api("POST", "/channels", { kind: "public", name: "talk", members: [bob.user.id, owner.user.id] })).body;
    });
    after(() => s.stop());
    const send = (u: TestUser, body: Record<string, unknown>) =>
      u.api("POST", `/channels/${ch.id}/events`, { clientId: cid(), kind: "message", content: b64("hello"), ...body });
    /** A message of alice's, sent `minutesAgo` minutes ago (its stored time moved back: the server checks that time). */
    const messageFrom = async (minutesAgo: number) => {
      const seq = (await send(alice, {})).body.event.seq as number;
      await s.deps.db
        .updateTable("events")
        .set({ created_at: Date.now() - minutesAgo * 60_000 })
        .where("channel_id", "=", ch.id)
        .where("seq", "=", seq)
        .execute();
      return seq;
    };
    const setPolicy = (u: TestUser, body: unknown) => u.api("PUT", "/org/edit-policy", body);

    it("defaults to edits allowed without limit, readable by every member", async () => {
      const r = await alice.api("GET", "/org/edit-policy");
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { enabled: true, windowMinutes: null });
      const old = await messageFrom(60 * 24 * 365);
      assert.equal((await send(alice, { kind: "edit", target: old, content: b64("fixed") })).status, 200);
    });

    it("keeps every version: an edit is its own event and the original's stored content is untouched", async () => {
      const seq = (await send(alice, { content: b64("v1") })).body.event.seq as number;
      const e1 = (await send(alice, { kind: "edit", target: seq, content: b64("v2") })).body.event;
      const e2 = (await send(alice, { kind: "edit", target: seq, content: b64("v3") })).body.event;
      const page = await bob.api("GET", `/channels/${ch.id}/events?after=${seq - 1}`);
      const versions = (page.body.events as Array<{ seq: number; kind: string; target: number | null; content: string }>).filter(
        (e) => e.seq === seq || (e.kind === "edit" && e.target === seq),
      );
      assert.deepEqual(
        versions.map((e) => Buffer.from(e.content, "base64").toString()),
        ["v1", "v2", "v3"],
      );
      assert.deepEqual(
        versions.map((e) => e.seq),
        [seq, e1.seq, e2.seq],
      );
      const stored = await s.deps.db.selectFrom("events").select("content").where("channel_id", "=", ch.id).where("seq", "=", seq).executeTakeFirstOrThrow();
      assert.equal(Buffer.from(stored.content).toString(), "v1");
    });

    it("lets admins set it (audited); members and bad input are refused with nothing stored", async () => {
      const before = await countRows(s, "audit_log");
      const member = await setPolicy(alice, { enabled: true, windowMinutes: 15 });
      assert.equal(member.status, 403);
      assert.equal(member.body.code, "forbidden");
      for (const bad of [{ enabled: true, windowMinutes: 0 }, { enabled: true, windowMinutes: 1.5 }, { enabled: "yes", windowMinutes: null }, {}]) {
        const r = await setPolicy(owner, bad);
        assert.equal(r.status, 400, JSON.stringify(bad));
        assert.equal(r.body.code, "validation_failed");
      }
      assert.deepEqual((await alice.api("GET", "/org/edit-policy")).body, { enabled: true, windowMinutes: null });
      const ok = await setPolicy(owner, { enabled: true, windowMinutes: 15 });
      assert.equal(ok.status, 200);
      assert.deepEqual((await bob.api("GET", "/org/edit-policy")).body, { enabled: true, windowMinutes: 15 });
      const audit = await s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", "org.edit_policy.changed").execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.actor_id, owner.user.id);
      assert.ok((await countRows(s, "audit_log")) > before);
      // Another org's admin changes only their own org.
      assert.equal((await setPolicy(other, { enabled: false, windowMinutes: null })).status, 200);
      assert.deepEqual((await alice.api("GET", "/org/edit-policy")).body, { enabled: true, windowMinutes: 15 });
    });

    it("refuses an edit past the window with edit_not_allowed and writes nothing; deletes and recent edits pass", async () => {
      await setPolicy(owner, { enabled: true, windowMinutes: 15 });
      const old = await messageFrom(16);
      const recent = await messageFrom(14);
      const events = await countRows(s, "events");
      const refused = await send(alice, { kind: "edit", target: old, content: b64("too late") });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, "edit_not_allowed");
      assert.deepEqual(refused.body.details, { reason: "window_closed", windowMinutes: 15 });
      assert.equal(await countRows(s, "events"), events);
      // The same batch's other sends are unaffected; a recent edit and a delete of the old message pass.
      const [late, fine, del] = await Promise.all([
        send(alice, { kind: "edit", target: old, content: b64("too late") }),
        send(alice, { kind: "edit", target: recent, content: b64("in time") }),
        send(alice, { kind: "delete", target: old, content: b64("x") }),
      ]);
      assert.equal(late.body.code, "edit_not_allowed");
      assert.equal(fine.status, 200);
      assert.equal(del.status, 200);
      assert.equal(await countRows(s, "events"), events + 2);
    });

    it("refuses every edit when editing is disabled; the sender rule still comes first", async () => {
      await setPolicy(owner, { enabled: false, windowMinutes: null });
      const fresh = await messageFrom(0);
      const events = await countRows(s, "events");
      const r = await send(alice, { kind: "edit", target: fresh, content: b64("no") });
      assert.equal(r.status, 403);
      assert.equal(r.body.code, "edit_not_allowed");
      assert.equal(r.body.details.reason, "disabled");
      assert.equal((await send(bob, { kind: "edit", target: fresh, content: b64("no") })).body.code, "forbidden");
      assert.equal(await countRows(s, "events"), events);
      await setPolicy(owner, { enabled: true, windowMinutes: null });
      assert.equal((await send(alice, { kind: "edit", target: fresh, content: b64("yes") })).status, 200);
    });
  });
}
