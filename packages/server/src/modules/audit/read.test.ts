/**
 * `GET /audit`: owners and admins read their own org's log, newest first, filtered by
 * actor, action (exact or prefix), target and time, paged by cursor; personal data
 * opened unless erased; bad input is a 400 and a member a 403, neither recorded; every
 * read is recorded as `audit.read`; another org's entries never show up.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { AuditEntry } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { systemActor } from "../../core/actor.ts";
import { eraseAuditPii, sealPii, verifyAuditDatabase } from "./index.ts";
import { listAuditEntries } from "./read.ts";

type Page = { entries: AuditEntry[]; nextCursor: number | null };

async function read(u: TestUser, query: Record<string, string | number> = {}): Promise<Page> {
  const r = await u.api<Page>("GET", `/audit?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

const head = async (s: TestServer, orgId: string) =>
  Number((await s.deps.db.selectFrom("audit_heads").select("seq").where("org_id", "=", orgId).executeTakeFirst())?.seq ?? 0);

for (const dialect of DIALECTS) {
  test(`GET /audit: filters, cursor pages, personal data, refusals, org isolation (${dialect})`, { timeout: 120_000 }, async (t) => {
    const s = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(s, { orgSlug: "alpha" });
      const orgId = owner.org.id;
      const admin = await makeUser(s, owner, { username: "ada", role: "admin" });
      const bob = await makeUser(s, owner, { username: "bob" });
      const ch = await owner.api("POST", "/channels", { kind: "public", name: "general" });
      await bob.api("POST", `/channels/${ch.body.id}/join`);
      await owner.api("PATCH", `/channels/${ch.body.id}`, { topic: "news" });
      const other = await makeOrg(s, "bravo");
      const otherCh = await other.api("POST", "/channels", { kind: "public", name: "bravo-secret" });
      assert.equal(otherCh.status, 201);

      const all = await read(owner, { limit: 200 });
      const top = all.entries[0]!.seq + 1;
      await t.test("newest first, gap-free, only this org's entries, nothing from the other org", () => {
        assert.equal(all.nextCursor, null);
        assert.deepEqual(
          all.entries.map((e) => e.seq),
          Array.from({ length: all.entries.length }, (_, i) => all.entries.length - i),
        );
        const text = JSON.stringify(all);
        for (const foreign of [other.org.id, other.user.id, otherCh.body.id, other.tokens.deviceId])
          assert.ok(!text.includes(foreign), `org bravo's ${foreign} leaked`);
        const created = all.entries.find((e) => e.action === "channel.created")!;
        assert.deepEqual(
          [created.actor, created.target, created.result, created.details],
          [
            { kind: "device", userId: owner.user.id, deviceId: owner.tokens.deviceId },
            { kind: "channel", id: ch.body.id },
            "success",
            { kind: "public", members: 1, history: "shared" },
          ],
        );
        assert.match(created.hash, /^[0-9a-f]{64}$/);
      });

      await t.test("personal data is opened for admins, and reads as erased once shredded", async () => {
        const accepted = all.entries.find((e) => e.action === "org.invite.accepted" && e.details.userId === bob.user.id)!;
        assert.deepEqual(accepted.personal, { status: "clear", subject: bob.user.id, data: { username: "bob" } });
        assert.equal(await eraseAuditPii(s.deps.db, orgId, bob.user.id), true);
        const after = await read(admin, { target: accepted.target!.id!, cursor: top });
        assert.deepEqual(after.entries.find((e) => e.seq === accepted.seq)!.personal, { status: "erased", subject: bob.user.id });
      });

      // Each filter matches what filtering the whole page by hand gives (below `top`: later reads add entries).
      const expectFilter = async (query: Record<string, string | number>, keep: (e: AuditEntry) => boolean) => {
        const got = await read(admin, { ...query, cursor: top, limit: 200 });
        const want = all.entries.filter(keep).map((e) => e.seq);
        assert.ok(want.length > 0, `${JSON.stringify(query)} matches something`);
        assert.deepEqual(
          got.entries.map((e) => e.seq),
          want,
          JSON.stringify(query),
        );
      };
      await t.test("filters: actor, exact action, action prefix, target, time range", async () => {
        await expectFilter({ actor: bob.user.id }, (e) => e.actor.userId === bob.user.id);
        await expectFilter({ action: "channel.created" }, (e) => e.action === "channel.created");
        await expectFilter({ action: "channel." }, (e) => e.action.startsWith("channel."));
        await expectFilter({ action: "channel.member." }, (e) => e.action.startsWith("channel.member."));
        await expectFilter({ target: ch.body.id }, (e) => e.target?.id === ch.body.id);
        await expectFilter({ actor: owner.user.id, action: "channel." }, (e) => e.actor.userId === owner.user.id && e.action.startsWith("channel."));
        const mid = all.entries[Math.floor(all.entries.length / 2)]!.at;
        await expectFilter({ from: mid }, (e) => e.at >= mid);
        await expectFilter({ to: mid + 1 }, (e) => e.at < mid + 1);
        await expectFilter({ from: all.entries.at(-1)!.at, to: mid + 1 }, (e) => e.at <= mid);
        // "channel" (no dot) is an exact action: there is none; `_` is no wildcard.
        assert.deepEqual((await read(admin, { action: "channel", cursor: top })).entries, []);
        assert.deepEqual((await read(admin, { action: "org.mls_suite.", cursor: top })).entries, []);
      });

      await t.test("cursor pages walk the whole filtered log exactly once", async () => {
        const seen: number[] = [];
        let cursor: number | null = top;
        let pages = 0;
        while (cursor !== null) {
          const p = await read(admin, { limit: 3, cursor });
          assert.ok(p.entries.length <= 3);
          seen.push(...p.entries.map((e) => e.seq));
          cursor = p.nextCursor;
          pages++;
        }
        assert.deepEqual(
          seen,
          all.entries.map((e) => e.seq),
        );
        assert.equal(pages, Math.ceil(all.entries.length / 3));
      });

      await t.test("every read is recorded as audit.read with its filters; the first read's entry is on top of the next", async () => {
        const before = await head(s, orgId);
        const p = await read(admin, { action: "channel.", limit: 2 });
        assert.equal(await head(s, orgId), before + 1);
        const mine = await read(owner, { action: "audit.read", limit: 1 });
        const e = mine.entries[0]!;
        assert.deepEqual([e.actor.userId, e.actor.deviceId, e.target, e.result], [admin.user.id, admin.tokens.deviceId, { kind: "org", id: orgId }, "success"]);
        assert.deepEqual(e.details, { filter: { action: "channel." }, limit: 2, returned: p.entries.length });
      });

      await t.test("bad input: 400 validation_failed, nothing recorded", async () => {
        const before = await head(s, orgId);
        for (const q of [
          "limit=0",
          "limit=201",
          "limit=ten",
          "cursor=0",
          "cursor=-3",
          "from=yesterday",
          "from=20&to=10",
          "from=10&to=10",
          "action=Channel.created",
          "action=channel..",
          "action=.channel",
          "action=channel.*",
          `action=${"a.".repeat(60)}`,
          "actor=not%20an%20id",
          "target=a%2Fb",
        ]) {
          const r = await admin.api("GET", `/audit?${q}`);
          assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
          assert.equal(r.body.code, "validation_failed", q);
        }
        assert.equal(await head(s, orgId), before, "a refused read is not recorded");
      });

      await t.test("members and guests get 403, nothing recorded", async () => {
        const guest = await makeUser(s, owner, { username: "gus", role: "guest" });
        const before = await head(s, orgId);
        for (const u of [bob, guest]) {
          const r = await u.api("GET", "/audit");
          assert.equal(r.status, 403);
          assert.equal(r.body.code, "forbidden");
        }
        assert.equal(await head(s, orgId), before);
      });

      await t.test("the other org's owner sees only bravo's log, whatever it names", async () => {
        const theirs = await read(other, { limit: 200 });
        assert.ok(theirs.entries.length > 0);
        assert.ok(theirs.entries.some((e) => e.target?.id === otherCh.body.id));
        const text = JSON.stringify(theirs);
        for (const mine of [orgId, owner.user.id, bob.user.id, ch.body.id]) assert.ok(!text.includes(mine), `org alpha's ${mine} leaked`);
        // The slug as a word: bare "alpha" can turn up inside bravo's own random ids.
        assert.doesNotMatch(text, /(^|[^A-Za-z0-9_-])alpha([^A-Za-z0-9_-]|$)/, "org alpha's slug leaked");
        for (const q of [{ actor: owner.user.id }, { target: ch.body.id as string }, { actor: bob.user.id, action: "channel." }] as Array<
          Record<string, string>
        >) {
          assert.deepEqual((await read(other, q)).entries, [], JSON.stringify(q));
        }
      });

      await t.test("damaged personal data reads as unreadable; the rest of the page is served", async () => {
        // A row written behind the server's back, its sealed bytes altered (verify flags it; the reader must not fail the page).
        const pii = await sealPii(s.deps.db, s.deps.kms, "org_damaged", { subject: "usr_x", data: { ip: "192.0.2.7" } }, 1);
        pii[pii.length - 1]! ^= 1;
        await s.deps.db
          .insertInto("audit_log")
          .values({
            org_id: "org_damaged",
            seq: 1,
            at: 1,
            actor_kind: "system",
            actor_id: null,
            actor_device_id: null,
            action: "user.deactivated",
            target_kind: "user",
            target_id: "usr_x",
            result: "success",
            details: "{}",
            pii_subject: "usr_x",
            pii,
            prev_hash: "0".repeat(64),
            hash: "f".repeat(64),
          })
          .execute();
        await s.deps.db
          .insertInto("audit_heads")
          .values({ org_id: "org_damaged", seq: 1, hash: "f".repeat(64), checkpoint_seq: 0, checkpoint_at: 0 })
          .execute();
        const page = await listAuditEntries(s.deps, systemActor("org_damaged"), { limit: 10 });
        assert.deepEqual(
          page.entries.map((e) => [e.action, e.personal]),
          [["user.deactivated", { status: "unreadable", subject: "usr_x" }]],
        );
      });

      assert.deepEqual((await verifyAuditDatabase(s.deps.db, { orgIds: [orgId, other.org.id] })).problems, []);
    } finally {
      await s.stop();
    }
  });
}
