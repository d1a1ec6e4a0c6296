/**
 * GDPR export and erasure (issue 11, done-means 5; docs/gdpr.md) on SQLite and PostgreSQL:
 * the export holds every expected file and no secret; officers export users of their org only;
 * erasure is refused while a legal hold covers the user (nothing about them changes), works
 * after the release, and leaves a pseudonymous, deactivated account whose sessions are over,
 * whose personal data is gone, whose audit PII reads as erased in a chain that still verifies,
 * and whose (end-to-end-encrypted) events are still there.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { unzipSync, strFromU8 } from "fflate";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { lockerMaterialFor } from "../../testing/locker.ts";
import { postText } from "../../gateway/test-client.ts";
import { verifyAuditDatabase } from "../audit/verify-sources.ts";

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex").toString("base64");

/** POST a ZIP route as `user`: status, headers and the unzipped files. */
async function download(server: TestServer, user: TestUser, path: string) {
  const res = await fetch(`${server.url}/api/v1${path}`, { method: "POST", headers: { authorization: user.headers.authorization! } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const files = res.status === 200 ? unzipSync(bytes) : {};
  return { status: res.status, headers: res.headers, files, text: res.status === 200 ? "" : Buffer.from(bytes).toString("utf8") };
}

const EXPECTED = [
  "README.txt",
  "manifest.json",
  "profile.json",
  "avatar.png",
  "security.json",
  "devices.json",
  "sessions.json",
  "identity-providers.json",
  "key-locker.json",
  "channels.json",
  "events-sent.jsonl",
  "uploads.json",
  "mentions-invites.json",
  "notifications.jsonl",
  "audit.jsonl",
  "requests.json",
  "processing.json",
];

for (const dialect of DIALECTS) {
  test(`GDPR export and erasure (${dialect})`, { timeout: 60_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const db = server.deps.db;
      const owner = await bootstrapOrg(server);
      const admin = await makeUser(server, owner, { role: "admin" });
      const alice = await makeUser(server, owner, { username: "alice-gdpr", displayName: "Alice Liddell" });
      const bob = await makeUser(server, owner);
      const ch = await owner.api("POST", "/channels", { kind: "public", name: "wonderland", members: [alice.user.id, bob.user.id] });
      assert.equal(ch.status, 201);
      const seq = await postText(alice, ch.body.id, "curiouser and curiouser");
      assert.equal((await alice.api("POST", `/channels/${ch.body.id}/read`, { seq })).status, 200);
      assert.equal((await owner.api("PUT", `/users/${alice.user.id}/email`, { email: "alice@example.org" })).status, 200);
      assert.equal((await alice.api("PUT", "/me/avatar", { contentType: "image/png", data: PNG })).status, 200);
      const profileChange = { statusEmoji: "🐇", statusText: "Late", statusExpiresAt: Date.now() + 3600_000, title: "Explorer", timeZone: "Europe/London" };
      assert.equal((await alice.api("PATCH", "/me", profileChange)).status, 200);
      const totp = await alice.api("POST", "/me/mfa/totp", { currentPassword: TEST_PASSWORD });
      assert.equal(totp.status, 200, JSON.stringify(totp.body));
      const apiKey = await alice.api("POST", "/me/api-keys", { name: "alice script", scopes: ["read"] });
      assert.equal(apiKey.status, 201);
      const locker = (await lockerMaterialFor(alice)).body;
      assert.equal((await alice.api("PUT", "/me/locker", locker)).status, 200);
      const itemKey = crypto.randomBytes(24).toString("base64url");
      assert.equal((await alice.api("PUT", `/me/items/saved/${itemKey}`, { sealed: crypto.randomBytes(64).toString("base64"), clientTs: 1 })).status, 200);

      // ---- export: every file, the user's data, no secret ------------------------------
      const mine = await download(server, alice, "/me/export");
      assert.equal(mine.status, 200, mine.text);
      assert.equal(mine.headers.get("content-type"), "application/zip");
      assert.equal(mine.headers.get("cache-control"), "no-store");
      assert.deepEqual(Object.keys(mine.files).sort(), [...EXPECTED].sort());
      const file = (name: string) => strFromU8(mine.files[name]!);
      const manifest = JSON.parse(file("manifest.json"));
      for (const f of manifest.files as Array<{ name: string; sha256: string }>)
        assert.equal(crypto.createHash("sha256").update(mine.files[f.name]!).digest("hex"), f.sha256, f.name);
      const profile = JSON.parse(file("profile.json"));
      assert.equal(profile.username, "alice-gdpr");
      assert.equal(profile.email, "alice@example.org");
      assert.equal(profile.role, "member");
      assert.deepEqual([profile.statusEmoji, profile.title, profile.timeZone], ["🐇", "Explorer", "Europe/London"]);
      const channels = JSON.parse(file("channels.json"));
      assert.deepEqual(
        channels.memberships.map((m: { name: string; readUpTo: number }) => [m.name, m.readUpTo]),
        [["wonderland", seq]],
      );
      assert.equal(file("events-sent.jsonl").trim().split("\n").filter(Boolean).length, 1);
      assert.equal(JSON.parse(file("security.json")).apiKeys[0].name, "alice script");
      const lockerJson = JSON.parse(file("key-locker.json"));
      assert.equal(lockerJson.locker !== null, true);
      // Saved messages and drafts are sealed under the locker: counted, never their bytes.
      assert.deepEqual(lockerJson.personalItems, { saved: 1, draft: 0, setting: 0 });
      const audit = file("audit.jsonl")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.ok(
        audit.some((e) => e.personal?.status === "clear" && JSON.stringify(e.personal.data).includes("alice-gdpr")),
        "their audit PII is opened",
      );
      assert.match(file("README.txt"), /end-to-end encrypted/);

      const [user, mfa, key, lockerRow, refresh] = await Promise.all([
        db.selectFrom("users").select("password_hash").where("id", "=", alice.user.id).executeTakeFirstOrThrow(),
        db.selectFrom("user_mfa").select("pending_secret").where("user_id", "=", alice.user.id).executeTakeFirstOrThrow(),
        db.selectFrom("api_keys").select("key_hash").where("user_id", "=", alice.user.id).executeTakeFirstOrThrow(),
        db.selectFrom("user_lockers").select("recovery_blob").where("user_id", "=", alice.user.id).executeTakeFirstOrThrow(),
        db
          .selectFrom("refresh_tokens as r")
          .innerJoin("sessions as s", "s.id", "r.session_id")
          .select("r.token_hash")
          .where("s.user_id", "=", alice.user.id)
          .execute(),
      ]);
      const secrets = [
        user.password_hash,
        totp.body.secret as string,
        mfa.pending_secret!,
        apiKey.body.key as string,
        key.key_hash,
        alice.tokens.refreshToken,
        sha256(alice.tokens.refreshToken),
        ...refresh.map((r) => r.token_hash),
        Buffer.from(lockerRow.recovery_blob).toString("base64"),
        locker.recoveryBlob,
      ];
      const everything = Object.values(mine.files)
        .map((b) => Buffer.from(b).toString("latin1"))
        .join("\n");
      for (const s of secrets) assert.ok(s.length >= 16 && !everything.includes(s), `the export holds a secret: ${s.slice(0, 12)}…`);

      // Officers (owners here) export any user of their org; admins without the permission and other orgs cannot.
      const byOfficer = await download(server, owner, `/compliance/users/${alice.user.id}/export`);
      assert.equal(byOfficer.status, 200);
      assert.equal(byOfficer.headers.get("cache-control"), "no-store");
      assert.equal(JSON.parse(strFromU8(byOfficer.files["manifest.json"]!)).madeBy, "officer");
      assert.equal((await download(server, admin, `/compliance/users/${alice.user.id}/export`)).status, 403);
      const other = await makeOrg(server);
      const requestsBefore = await countRows(server, "gdpr_requests");
      const cross = await download(server, other, `/compliance/users/${alice.user.id}/export`);
      assert.equal(cross.status, 404);
      assert.equal(JSON.parse(cross.text).code, "not_found");
      assert.equal(await countRows(server, "gdpr_requests"), requestsBefore, "nothing recorded for a refused export");
      const exports = await db.selectFrom("gdpr_requests").selectAll().where("user_id", "=", alice.user.id).execute();
      assert.deepEqual(exports.map((r) => `${r.kind}:${r.status}`).sort(), ["export:completed", "export:completed"]);

      // ---- requests: alice asks to be erased; bob's is declined -------------------------
      const asked = await alice.api("POST", "/me/gdpr-requests", { kind: "erase", note: "I am leaving" });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      assert.equal((await alice.api("POST", "/me/gdpr-requests", { kind: "erase" })).status, 409);
      const bobAsked = await bob.api("POST", "/me/gdpr-requests", { kind: "erase", note: "" });
      const declined = await owner.api("POST", `/compliance/gdpr-requests/${bobAsked.body.id}/decline`, { response: "still employed" });
      assert.equal(declined.status, 200);
      assert.equal(declined.body.status, "declined");
      const again = await owner.api("POST", `/compliance/gdpr-requests/${bobAsked.body.id}/decline`, { response: "x" });
      assert.equal(again.status, 409);
      assert.equal(again.body.code, "gdpr_request_closed");
      assert.equal((await bob.api("GET", "/me/gdpr-requests")).body.requests[0].response, "still employed");

      // ---- erasure under a legal hold: refused, nothing about alice changes ---------------
      const hold = await owner.api("POST", "/compliance/holds", { matter: "Case 7", scope: "user", targetId: alice.user.id });
      assert.equal(hold.status, 201, JSON.stringify(hold.body));
      const pending = await owner.api("GET", "/compliance/gdpr-requests?status=pending");
      assert.deepEqual(
        pending.body.requests.map((r: { userId: string; held: boolean }) => [r.userId, r.held]),
        [[alice.user.id, true]],
      );
      const snapshot = async () => ({
        user: await db.selectFrom("users").selectAll().where("id", "=", alice.user.id).executeTakeFirstOrThrow(),
        devices: await db.selectFrom("devices").selectAll().where("user_id", "=", alice.user.id).execute(),
        sessions: await db.selectFrom("sessions").select(["id", "revoked_at"]).where("user_id", "=", alice.user.id).execute(),
        avatar: await countRows(server, "user_avatars"),
        keys: await countRows(server, "audit_pii_keys"),
        requests: await db.selectFrom("gdpr_requests").selectAll().where("user_id", "=", alice.user.id).execute(),
      });
      const before = await snapshot();
      const refused = await owner.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: "alice-gdpr" });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(refused.body.code, "legal_hold");
      assert.deepEqual(refused.body.details.matters, ["Case 7"]);
      assert.deepEqual(await snapshot(), before, "a refused erasure changes nothing");
      const refusal = await db.selectFrom("audit_log").select(["result", "details"]).where("action", "=", "gdpr.erase.refused").execute();
      assert.deepEqual(
        refusal.map((r) => r.result),
        ["denied"],
      );
      const wrongName = await owner.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: "alice" });
      assert.equal(wrongName.status, 400);
      assert.equal((await admin.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: "alice-gdpr" })).status, 403);
      assert.equal((await other.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: "alice-gdpr" })).status, 404);
      assert.deepEqual(await snapshot(), before);
      // Alice's own export does not tip her off: no entry about the hold or the refused erasure.
      const tipped = await download(server, alice, "/me/export");
      assert.equal(tipped.status, 200);
      const auditText = strFromU8(tipped.files["audit.jsonl"]!);
      assert.ok(
        !auditText.includes("legal_hold.") && !auditText.includes("Case 7") && !auditText.includes("gdpr.erase.refused"),
        "the hold stays confidential",
      );

      // ---- released: erased in one command -----------------------------------------------
      assert.equal((await owner.api("POST", `/compliance/holds/${hold.body.id}/release`, { note: "closed" })).status, 200);
      assert.equal((await alice.api("POST", "/me/reminders", { dueAt: Date.now() + 3_600_000 })).status, 201);
      const eventsBefore = await db.selectFrom("events").select("seq").where("sender_id", "=", alice.user.id).execute();
      const erased = await owner.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: "alice-gdpr", note: "request of the subject" });
      assert.equal(erased.status, 200, JSON.stringify(erased.body));
      assert.match(erased.body.username, /^erased-[0-9a-f]{10}$/);
      assert.equal(erased.body.devicesRevoked, 1);
      assert.deepEqual(erased.body.completedRequests, [asked.body.id]);

      // Cannot sign in, the old token is dead.
      const login = await call(server, "POST", "/auth/login", { org: owner.org.slug, username: "alice-gdpr", password: TEST_PASSWORD });
      assert.equal(login.status, 401);
      assert.equal((await alice.api("GET", "/me")).status, 401);
      // Personal data gone or overwritten.
      const row = await db.selectFrom("users").selectAll().where("id", "=", alice.user.id).executeTakeFirstOrThrow();
      assert.equal(row.username, erased.body.username);
      assert.equal(row.display_name, "Erased user");
      assert.equal(row.email, null);
      assert.deepEqual([row.status_text, row.status_emoji, row.status_expires_at, row.title, row.time_zone], [null, null, null, null, null]);
      assert.equal(row.password_hash, "!erased");
      assert.notEqual(row.deactivated_at, null);
      for (const table of ["user_avatars", "user_mfa", "api_keys", "user_lockers", "scim_users", "reminders"] as const) {
        const n = await db.selectFrom(table).select("user_id").where("user_id", "=", alice.user.id).execute();
        assert.equal(n.length, 0, table);
      }
      assert.ok((await db.selectFrom("devices").select("revoked_at").where("user_id", "=", alice.user.id).execute()).every((d) => d.revoked_at !== null));
      assert.ok((await db.selectFrom("sessions").select("revoked_at").where("user_id", "=", alice.user.id).execute()).every((s) => s.revoked_at !== null));
      const users = JSON.stringify(await db.selectFrom("users").selectAll().execute());
      for (const pii of ["alice-gdpr", "Alice Liddell", "alice@example.org"]) assert.ok(!users.includes(pii), pii);
      // Their events stay (ciphertext the server cannot read), under the pseudonymous id.
      assert.deepEqual(await db.selectFrom("events").select("seq").where("sender_id", "=", alice.user.id).execute(), eventsBefore);
      // The audit chain verifies; their PII reads as erased; the erasure entry names no PII.
      assert.equal((await verifyAuditDatabase(db)).ok, true);
      const read = await owner.api("GET", `/audit?target=${alice.user.id}&limit=200`);
      const personal = read.body.entries.filter((e: { personal: { subject: string } | null }) => e.personal?.subject === alice.user.id);
      assert.ok(personal.length > 0);
      assert.ok(personal.every((e: { personal: { status: string } }) => e.personal.status === "erased"));
      const entry = await db.selectFrom("audit_log").selectAll().where("action", "=", "gdpr.erased").executeTakeFirstOrThrow();
      assert.equal(entry.pii, null);
      assert.ok(!entry.details.includes("alice"));
      const closed = await db.selectFrom("gdpr_requests").selectAll().where("id", "=", asked.body.id).executeTakeFirstOrThrow();
      assert.equal(closed.status, "completed");
      assert.equal(closed.note, "", "the subject's note is erased too");

      // Twice: a clear error.
      const twice = await owner.api("POST", `/compliance/users/${alice.user.id}/erase`, { confirm: erased.body.username });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, "already_erased");
    } finally {
      await server.stop();
    }
  });
}
