/**
 * Notification settings and push subscription routes: the happy paths, bad input (a clear 4xx,
 * nothing written), and another org's principal (not found, nothing changed).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { isQuiet } from "@parley/protocol";

const KEYS = { p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64url"), auth: Buffer.alloc(16, 9).toString("base64url") };

for (const dialect of DIALECTS) {
  describe(`notification routes (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let bob: TestUser;
    let other: TestUser;
    let ch: { id: string };
    let priv: { id: string };
    const rows = async () => ({
      settings: await countRows(s, "notification_settings"),
      channels: await countRows(s, "channel_notification_settings"),
      subs: await countRows(s, "push_subscriptions"),
    });
    before(async () => {
      s = await startTestServer({ dialect, config: { pushSubscriptionsPerDevice: 2 } });
      owner = await bootstrapOrg(s);
      bob = await makeUser(s, owner);
      other = await makeOrg(s);
      ch = (await owner.api("POST", "/channels", { kind: "public", name: "general", members: [bob.user.id] })).body;
      priv = (await owner.api("POST", "/channels", { kind: "private", name: "secret" })).body;
    });
    after(() => s.stop());

    it("reads defaults, changes settings and channel overrides", async () => {
      assert.deepEqual((await bob.api("GET", "/me/notifications")).body, {
        level: "mentions",
        timeZone: "UTC",
        dndSchedule: [],
        snoozeUntil: null,
        email: { enabled: false, delayMinutes: 15 },
        keywordsSealed: null,
        channels: [],
      });
      const dnd = [{ day: 1, start: 22 * 60, end: 7 * 60 }];
      const put = await bob.api("PATCH", "/me/notifications", { level: "all", timeZone: "Europe/Berlin", dndSchedule: dnd });
      assert.equal(put.status, 200);
      assert.deepEqual(put.body, {
        level: "all",
        timeZone: "Europe/Berlin",
        dndSchedule: dnd,
        snoozeUntil: null,
        email: { enabled: false, delayMinutes: 15 },
        keywordsSealed: null,
        channels: [],
      });
      const sealed = Buffer.alloc(48, 3).toString("base64");
      const email = await bob.api("PATCH", "/me/notifications", { email: { enabled: true }, keywordsSealed: sealed });
      assert.deepEqual([email.body.email, email.body.keywordsSealed, email.body.level], [{ enabled: true, delayMinutes: 15 }, sealed, "all"]);
      const muted = await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "muted" });
      assert.deepEqual(muted.body.channels, [{ channelId: ch.id, level: "muted" }]);
      assert.equal(muted.body.level, "all", "fields not sent stay as they were");
      assert.deepEqual((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "default" })).body.channels, []);
      // Owner's settings are their own.
      assert.equal((await owner.api("GET", "/me/notifications")).body.level, "mentions");
    });

    it("refuses bad input with a 4xx and writes nothing", async () => {
      const before = await rows();
      for (const body of [
        { level: "loud" },
        { timeZone: "Mars/Olympus" },
        { dndSchedule: [{ day: 7, start: 0, end: 10 }] },
        { dndSchedule: [{ day: 1, start: 0, end: 1440 }] },
        { extra: 1 },
        { email: { delayMinutes: 0 } },
        { email: { enabled: "yes" } },
        { email: { enabled: true, extra: 1 } },
        { keywordsSealed: "not base64!" },
        { keywordsSealed: "A".repeat(8193) },
      ]) {
        const r = await bob.api("PATCH", "/me/notifications", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.body.code, "validation_failed");
      }
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "sometimes" })).status, 400);
      // A private channel bob is not in: not found.
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${priv.id}`, { level: "muted" })).body.code, "not_found");
      const sub = (endpoint: string, keys = KEYS) => bob.api("POST", "/push/subscriptions", { endpoint, keys });
      const plain = await sub("http://push.example.com/x");
      assert.equal(plain.status, 400);
      assert.deepEqual([plain.body.code, plain.body.details.reason], ["push_endpoint_invalid", "not_https"]);
      assert.equal((await sub("http://127.0.0.1:9/x")).body.code, "push_endpoint_invalid", "loopback only with the test-only setting");
      assert.equal((await sub("https://user:pw@push.example.com/x")).body.code, "push_endpoint_invalid");
      assert.equal((await sub("not a url")).body.code, "push_endpoint_invalid");
      assert.equal((await sub("https://push.example.com/x", { ...KEYS, p256dh: Buffer.alloc(65, 4).toString("base64url").slice(0, 40) })).status, 400);
      assert.equal((await sub("https://push.example.com/x", { ...KEYS, auth: "!!" })).status, 400);
      assert.deepEqual(await rows(), before);
    });

    it("registers, lists, replaces and deletes push subscriptions; a device's count is bounded", async () => {
      const key = await bob.api("GET", "/push/vapid-key");
      assert.equal(Buffer.from(key.body.publicKey, "base64url").length, 65);
      assert.equal((await owner.api("GET", "/push/vapid-key")).body.publicKey, key.body.publicKey, "one key pair per deployment");
      const stored = await s.deps.db.selectFrom("meta").select("value").where("key", "=", "push.vapid").executeTakeFirstOrThrow();
      assert.ok(JSON.parse(stored.value).privateKey.startsWith("kms"), "the private half is sealed");
      const a = await bob.api("POST", "/push/subscriptions", { endpoint: "https://push.example.com/a", keys: KEYS });
      assert.equal(a.status, 201);
      assert.equal(a.body.deviceId, bob.tokens.deviceId);
      const again = await bob.api("POST", "/push/subscriptions", {
        endpoint: "https://push.example.com/a",
        keys: { ...KEYS, auth: Buffer.alloc(16, 1).toString("base64url") },
      });
      assert.equal(again.body.id, a.body.id, "the same endpoint replaces its keys");
      assert.equal((await bob.api("POST", "/push/subscriptions", { endpoint: "https://push.example.com/b", keys: KEYS })).status, 201);
      const before = await rows();
      const third = await bob.api("POST", "/push/subscriptions", { endpoint: "https://push.example.com/c", keys: KEYS });
      assert.deepEqual([third.status, third.body.code, third.body.details.limit], [409, "push_subscription_limit", 2]);
      assert.deepEqual(await rows(), before);
      const list = await bob.api("GET", "/push/subscriptions");
      assert.deepEqual(
        list.body.subscriptions.map((x: { endpoint: string }) => x.endpoint),
        ["https://push.example.com/a", "https://push.example.com/b"],
      );
      assert.deepEqual((await owner.api("GET", "/push/subscriptions")).body.subscriptions, []);
      assert.equal((await owner.api("DELETE", `/push/subscriptions/${a.body.id}`)).status, 404, "another user's subscription is not found");
      assert.equal((await bob.api("DELETE", `/push/subscriptions/${a.body.id}`)).status, 204);
      assert.equal((await bob.api("DELETE", `/push/subscriptions/${a.body.id}`)).status, 404);
    });

    it("a revoked device's subscriptions and an erased user's settings and subscriptions are deleted", async () => {
      const carol = await makeUser(s, owner);
      const dave = await makeUser(s, owner, { username: "dave-erased" });
      for (const u of [carol, dave]) {
        assert.equal((await u.api("POST", "/push/subscriptions", { endpoint: `https://push.example.com/${u.user.id}`, keys: KEYS })).status, 201);
        assert.equal((await u.api("PATCH", "/me/notifications", { level: "nothing" })).status, 200);
      }
      assert.equal(
        (await dave.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "muted" })).body.code,
        "forbidden",
        "dave is not in the public channel",
      );
      assert.equal((await owner.api("POST", `/channels/${ch.id}/members`, { userIds: [dave.user.id] })).status, 200);
      assert.equal((await dave.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "muted" })).status, 200);
      const rowsOf = async (userId: string) => ({
        subs: (await s.deps.db.selectFrom("push_subscriptions").select("id").where("user_id", "=", userId).execute()).length,
        settings: (await s.deps.db.selectFrom("notification_settings").select("user_id").where("user_id", "=", userId).execute()).length,
        channels: (await s.deps.db.selectFrom("channel_notification_settings").select("user_id").where("user_id", "=", userId).execute()).length,
        follows: (await s.deps.db.selectFrom("thread_follows").select("user_id").where("user_id", "=", userId).execute()).length,
      });
      // A thread dave follows (the inbox's row, written directly: what erasure must remove).
      await s.deps.db
        .insertInto("thread_follows")
        .values({ user_id: dave.user.id, channel_id: ch.id, root_seq: 1, following: 1, read_seq: 0, updated_at: 1 })
        .execute();
      assert.equal((await owner.api("DELETE", `/users/${carol.user.id}/devices/${carol.tokens.deviceId}`)).status, 204);
      assert.deepEqual(await rowsOf(carol.user.id), { subs: 0, settings: 1, channels: 0, follows: 0 });
      const erased = await owner.api("POST", `/compliance/users/${dave.user.id}/erase`, { confirm: "dave-erased", note: "asked" });
      assert.equal(erased.status, 200, JSON.stringify(erased.body));
      assert.deepEqual(await rowsOf(dave.user.id), { subs: 0, settings: 0, channels: 0, follows: 0 });
    });

    it("another org's principal reaches nothing of this org", async () => {
      const sub = await bob.api("GET", "/push/subscriptions");
      const id = sub.body.subscriptions[0].id;
      const before = await rows();
      assert.equal((await other.api("PUT", `/me/notifications/channels/${ch.id}`, { level: "muted" })).status, 404);
      assert.equal((await other.api("DELETE", `/push/subscriptions/${id}`)).status, 404);
      assert.deepEqual((await other.api("GET", "/push/subscriptions")).body.subscriptions, []);
      assert.deepEqual((await other.api("GET", "/me/notifications")).body.channels, []);
      assert.deepEqual(await rows(), before);
    });
  });
}

describe("do-not-disturb windows", () => {
  // 2026-01-05 was a Monday.
  const at = (iso: string) => Date.parse(iso);
  const s = (timeZone: string, dndSchedule: Array<{ day: number; start: number; end: number }>) => ({ timeZone, dndSchedule, snoozeUntil: null });
  it("reads the schedule in the user's time zone, including windows past midnight", () => {
    const night = s("Europe/Berlin", [{ day: 1, start: 22 * 60, end: 7 * 60 }]);
    assert.equal(isQuiet(night, at("2026-01-05T21:30:00Z")), true, "Mon 22:30 in Berlin");
    assert.equal(isQuiet(night, at("2026-01-05T20:30:00Z")), false, "Mon 21:30 in Berlin");
    assert.equal(isQuiet(night, at("2026-01-06T05:59:00Z")), true, "Tue 06:59 in Berlin, the window's tail");
    assert.equal(isQuiet(night, at("2026-01-06T06:00:00Z")), false, "Tue 07:00 in Berlin");
    assert.equal(isQuiet(night, at("2026-01-06T21:30:00Z")), false, "Tuesday night is not in the schedule");
    const lunch = s("America/New_York", [{ day: 1, start: 12 * 60, end: 13 * 60 }]);
    assert.equal(isQuiet(lunch, at("2026-01-05T17:30:00Z")), true);
    assert.equal(isQuiet(lunch, at("2026-01-05T12:30:00Z")), false);
  });
  it("a snooze silences until it ends", () => {
    const now = at("2026-01-05T12:00:00Z");
    assert.equal(isQuiet({ timeZone: "UTC", dndSchedule: [], snoozeUntil: now + 1 }, now), true);
    assert.equal(isQuiet({ timeZone: "UTC", dndSchedule: [], snoozeUntil: now }, now), false);
  });
});
