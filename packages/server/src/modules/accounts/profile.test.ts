import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, identityCounts, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { clearEndedStatuses } from "./profile.ts";

for (const dialect of DIALECTS) {
  describe(`profiles: status, title, time zone (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    const row = (id: string) =>
      s.deps.db
        .selectFrom("users")
        .select(["status_text", "status_emoji", "status_expires_at", "title", "time_zone"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();

    it("sets status emoji, text and expiry, title and time zone; others see them; audited and streamed", async () => {
      const u = await makeUser(s, owner);
      const until = Date.now() + 30 * 60_000;
      const r = await u.api("PATCH", "/me", {
        statusEmoji: "🌴",
        statusText: "On leave",
        statusExpiresAt: until,
        title: " Head of Payments ",
        timeZone: "Europe/Berlin",
      });
      assert.equal(r.status, 200);
      assert.deepEqual(
        { e: r.body.statusEmoji, t: r.body.statusText, x: r.body.statusExpiresAt, title: r.body.title, tz: r.body.timeZone },
        { e: "🌴", t: "On leave", x: until, title: "Head of Payments", tz: "Europe/Berlin" },
      );
      const seen = (await owner.api("GET", `/users/${u.user.id}`)).body;
      assert.deepEqual(
        [seen.statusEmoji, seen.statusText, seen.statusExpiresAt, seen.title, seen.timeZone],
        ["🌴", "On leave", until, "Head of Payments", "Europe/Berlin"],
      );
      // A status is set as one: a new text without emoji or expiry clears them.
      const next = (await u.api("PATCH", "/me", { statusText: "Back" })).body;
      assert.deepEqual([next.statusEmoji, next.statusText, next.statusExpiresAt, next.title], [null, "Back", null, "Head of Payments"]);
      // Title and time zone clear with null; the status stays.
      const cleared = (await u.api("PATCH", "/me", { title: null, timeZone: null })).body;
      assert.deepEqual([cleared.title, cleared.timeZone, cleared.statusText], [null, null, "Back"]);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "user.profile.updated")
        .where("target_id", "=", u.user.id)
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        audit.map((a) => (typeof a.details === "string" ? JSON.parse(a.details) : a.details).fields),
        [
          ["statusText", "statusEmoji", "statusExpiresAt", "title", "timeZone"],
          ["statusText", "statusEmoji", "statusExpiresAt"],
          ["title", "timeZone"],
        ],
      );
      const stream = await s.deps.db
        .selectFrom("user_stream")
        .select(["kind", "data"])
        .where("user_id", "=", u.user.id)
        .where("kind", "=", "user.updated")
        .orderBy("seq")
        .execute();
      assert.equal(stream.length, 3);
      assert.equal(JSON.parse(stream[0]!.data).user.statusEmoji, "🌴");
      // The same change again writes nothing.
      const counts = await identityCounts(s);
      assert.equal((await u.api("PATCH", "/me", { title: null })).status, 200);
      assert.deepEqual(await identityCounts(s), counts);
    });

    it("refuses bad input with validation_failed and writes nothing", async () => {
      const u = await makeUser(s, owner);
      assert.equal((await u.api("PATCH", "/me", { statusEmoji: "☕", statusText: "Coffee", title: "Engineer", timeZone: "Asia/Tokyo" })).status, 200);
      const before = { row: await row(u.user.id), counts: await identityCounts(s) };
      const bad: Array<[string, Record<string, unknown>]> = [
        ["not an emoji", { statusEmoji: "x" }],
        ["two emoji", { statusEmoji: "☕☕" }],
        ["expiry in the past", { statusText: "Gone", statusExpiresAt: Date.now() - 1000 }],
        ["expiry beyond a year", { statusText: "Gone", statusExpiresAt: Date.now() + 400 * 24 * 3600_000 }],
        ["unknown time zone", { timeZone: "Mars/Olympus_Mons" }],
        ["time zone with the wrong case", { timeZone: "europe/berlin" }],
        ["title too long", { title: "x".repeat(101) }],
        ["title on two lines", { title: "a\nb" }],
        ["nothing named", {}],
      ];
      for (const [why, body] of bad) {
        const r = await u.api("PATCH", "/me", body);
        assert.equal(r.status, 400, why);
        assert.equal(r.body.code, "validation_failed", why);
      }
      assert.deepEqual({ row: await row(u.user.id), counts: await identityCounts(s) }, before);
      assert.equal((await u.api("PATCH", "/me", { timeZone: "UTC" })).body.timeZone, "UTC");
    });

    it("hides an ended status when answering, and the sweep clears it and tells the user's devices", async () => {
      const u = await makeUser(s, owner);
      const keeps = await makeUser(s, owner);
      assert.equal((await u.api("PATCH", "/me", { statusEmoji: "🍽️", statusText: "Lunch", statusExpiresAt: Date.now() + 1200 })).status, 200);
      assert.equal((await keeps.api("PATCH", "/me", { statusText: "Focus", statusExpiresAt: Date.now() + 3600_000 })).status, 200);
      assert.equal((await owner.api("GET", `/users/${u.user.id}`)).body.statusText, "Lunch");
      await sleep(1300);
      for (const seen of [(await owner.api("GET", `/users/${u.user.id}`)).body, (await u.api("GET", "/me")).body.user]) {
        assert.deepEqual([seen.statusEmoji, seen.statusText, seen.statusExpiresAt], [null, null, null]);
      }
      const listed = (await owner.api("GET", "/directory?q=" + u.user.username)).body.users[0];
      assert.equal(listed.statusText, null);
      assert.equal((await row(u.user.id)).status_text, "Lunch", "not yet cleared in the row");
      const seqBefore = (await s.deps.db.selectFrom("users").select("stream_seq").where("id", "=", u.user.id).executeTakeFirstOrThrow()).stream_seq;
      assert.equal(await clearEndedStatuses(s.deps), 1);
      assert.deepEqual(await row(u.user.id), { status_text: null, status_emoji: null, status_expires_at: null, title: null, time_zone: null });
      assert.equal((await row(keeps.user.id)).status_text, "Focus", "a status still running is kept");
      const item = await s.deps.db.selectFrom("user_stream").select(["kind", "data"]).where("user_id", "=", u.user.id).where("seq", ">", seqBefore).execute();
      assert.deepEqual(
        item.map((i) => [i.kind, JSON.parse(i.data).user.statusText]),
        [["user.updated", null]],
      );
      assert.equal(await clearEndedStatuses(s.deps), 0, "nothing left to clear");
    });

    it("another org's principal does not see the profile", async () => {
      const u = await makeUser(s, owner);
      await u.api("PATCH", "/me", { title: "Secret title" });
      assert.equal((await other.api("GET", `/users/${u.user.id}`)).status, 404);
      const dir = (await other.api("GET", "/directory?q=secret")).body;
      assert.deepEqual(dir.users, []);
    });
  });
}
