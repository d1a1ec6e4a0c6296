/**
 * The org's LDAP settings (issue 10): validation with clear errors and nothing written, the
 * service password sealed and never returned or logged, who may save what, the connection
 * test (StartTLS with the org's CA included), and another org's principal.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { LDAP_SERVICE_PASSWORD, ldapSettingsFor, startTestLdap, type TestLdap } from "../../testing/ldap.ts";

const PEOPLE = [{ uid: "alice", cn: "Alice Archer", mail: "alice@example.org", password: "alice-directory-pw" }];
const GROUPS = [{ cn: "staff", members: ["alice"] }];

for (const dialect of DIALECTS) {
  describe(`LDAP settings (${dialect})`, () => {
    let s: TestServer;
    let ldap: TestLdap;
    let tlsLdap: TestLdap;
    let owner: TestUser;
    let admin: TestUser;
    let channelId: string;
    before(async () => {
      [ldap, tlsLdap] = await Promise.all([startTestLdap({ people: PEOPLE, groups: GROUPS }), startTestLdap({ people: PEOPLE, groups: GROUPS, tls: true })]);
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin" });
      channelId = (await owner.api("POST", "/channels", { kind: "public", name: "general" })).body.id;
    });
    after(async () => {
      await s.stop();
      await Promise.all([ldap.destroy(), tlsLdap.destroy()]);
    });

    it("refuses bad settings with errors naming the field, writing nothing", async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ url: "http://ldap.example.org" }, /url/],
        [{ url: "ldap://user:pw@host" }, /url/],
        [{ url: "ldaps://host:636", startTls: true }, /startTls/],
        [{ userFilter: "(uid=alice)" }, /\{username\}/],
        [{ userFilter: "(&(uid={username})" }, /userFilter: not a valid LDAP filter/],
        [{ userBase: "people" }, /userBase/],
        [{ attributes: { id: "entryUUID", username: "u id", displayName: "cn", email: null } }, /attributes\.username/],
        [{ groups: null, roleMapping: [{ group: "staff", role: "admin" }] }, /groups/],
        [{ channelMapping: [{ group: "staff", channelId: "ch_nope" }] }, /channelMapping\.0\.channelId: no such channel/],
        [{ syncIntervalMinutes: 1 }, /syncIntervalMinutes/],
        [{ caPem: "not a certificate" }, /caPem/],
      ];
      for (const [over, expected] of cases) {
        const r = await owner.api("PUT", "/ldap", ldapSettingsFor(ldap, over));
        assert.equal(r.status, 400, `${JSON.stringify(over)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, "validation_failed");
        assert.match(r.body.message, expected, JSON.stringify(over));
      }
      const noPassword = await owner.api("PUT", "/ldap", { ...ldapSettingsFor(ldap), bindPassword: undefined });
      assert.equal(noPassword.status, 400);
      assert.match(noPassword.body.message, /bindPassword is required/);
      assert.equal(await countRows(s, "ldap_configs"), 0);
      assert.equal((await owner.api("GET", "/ldap")).body.settings, null);
    });

    it("saves settings: the service password is sealed, never returned, logged or audited", async () => {
      const r = await admin.api("PUT", "/ldap", ldapSettingsFor(ldap, { channelMapping: [{ group: "staff", channelId }] }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.bindPasswordSet, true);
      assert.equal(r.body.settings.url, ldap.url);
      assert.equal(r.body.settings.defaultRole, "member", "defaults filled in");
      const got = await admin.api("GET", "/ldap");
      for (const body of [r.body, got.body]) assert.ok(!JSON.stringify(body).includes(LDAP_SERVICE_PASSWORD));
      const row = await s.deps.db.selectFrom("ldap_configs").selectAll().executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes(LDAP_SERVICE_PASSWORD), "stored sealed");
      const audit = await s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", "org.ldap.changed").execute();
      assert.equal(audit.length, 1);
      assert.equal(JSON.parse(audit[0]!.details).passwordChanged, true);
      assert.ok(!JSON.stringify(audit).includes(LDAP_SERVICE_PASSWORD));
      assert.ok(!s.logs.join("\n").includes(LDAP_SERVICE_PASSWORD), "never logged");

      // The stored password stays with its server: a new URL or bind DN needs it again.
      const sameServer = await admin.api("PUT", "/ldap", { ...ldapSettingsFor(ldap, { syncIntervalMinutes: 30 }), bindPassword: undefined });
      assert.equal(sameServer.status, 200);
      const moved = await admin.api("PUT", "/ldap", { ...ldapSettingsFor(tlsLdap), bindPassword: undefined });
      assert.equal(moved.status, 400);
      assert.match(moved.body.message, /URL or bind DN changed/);
      const elsewhere = await admin.api("POST", "/ldap/test", { settings: { ...ldapSettingsFor({ url: "ldap://127.0.0.1:1" }), bindPassword: undefined } });
      assert.equal(elsewhere.status, 400, "the stored password is never tried against another server");
    });

    it("lets only owners map groups to owner or admin", async () => {
      const mapped = ldapSettingsFor(ldap, { roleMapping: [{ group: "staff", role: "admin" }] });
      const r = await admin.api("PUT", "/ldap", mapped);
      assert.equal(r.status, 403);
      assert.equal((await owner.api("PUT", "/ldap", mapped)).status, 200);
      const member = await makeUser(s, owner);
      assert.equal((await member.api("PUT", "/ldap", ldapSettingsFor(ldap))).status, 403);
      assert.equal((await member.api("POST", "/ldap/test", {})).status, 403);
      assert.equal((await member.api("POST", "/ldap/sync")).status, 403);
      assert.equal((await owner.api("PUT", "/ldap", ldapSettingsFor(ldap))).status, 200);
    });

    it("tests the stored settings or unsaved ones, step by step, changing nothing", async () => {
      const stored = await owner.api("POST", "/ldap/test", {});
      assert.equal(stored.status, 200);
      assert.deepEqual([stored.body.ok, stored.body.stage], [true, "done"]);
      assert.match(stored.body.message, /finds 1 entries/);
      const alice = await owner.api("POST", "/ldap/test", { username: "alice" });
      assert.equal(alice.body.user.dn, ldap.dnOf("alice"));
      assert.equal(alice.body.user.email, "alice@example.org");
      assert.deepEqual(alice.body.user.groups, ["staff"]);
      assert.equal(alice.body.user.role, "member");
      const missing = await owner.api("POST", "/ldap/test", { username: "nobody" });
      assert.deepEqual([missing.body.ok, missing.body.stage], [false, "search_user"]);
      const badPassword = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor(ldap, { bindPassword: "wrong" }) });
      assert.deepEqual([badPassword.body.ok, badPassword.body.stage], [false, "bind"]);
      const badBase = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor(ldap, { userBase: "ou=nowhere,dc=example,dc=org" }) });
      assert.deepEqual([badBase.body.ok, badBase.body.stage], [false, "search_user"]);
      const closed = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor({ url: "ldap://127.0.0.1:1" }) });
      assert.deepEqual([closed.body.ok, closed.body.stage], [false, "connect"]);
      const users = await countRows(s, "users");
      assert.equal(users, await countRows(s, "users"));
      const tested = await s.deps.db.selectFrom("audit_log").select("result").where("action", "=", "org.ldap.tested").execute();
      assert.equal(tested.length, 6);
    });

    it("speaks StartTLS, trusting the org's CA and nothing else", async () => {
      const trusted = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor(tlsLdap, { startTls: true, caPem: tlsLdap.caPem ?? null }) });
      assert.deepEqual([trusted.body.ok, trusted.body.stage], [true, "done"], JSON.stringify(trusted.body));
      const untrusted = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor(tlsLdap, { startTls: true }) });
      assert.deepEqual([untrusted.body.ok, untrusted.body.stage], [false, "tls"], JSON.stringify(untrusted.body));
      const noTls = await owner.api("POST", "/ldap/test", { settings: ldapSettingsFor(ldap, { startTls: true }) });
      assert.deepEqual([noTls.body.ok, noTls.body.stage], [false, "tls"], "a directory without StartTLS");
    });

    it("keeps another org out: its own (empty) settings, and no mapping to this org's channels", async () => {
      const other = await makeOrg(s, "other");
      const theirs = await other.api("GET", "/ldap");
      assert.equal(theirs.body.settings, null);
      const poach = await other.api("PUT", "/ldap", ldapSettingsFor(ldap, { channelMapping: [{ group: "staff", channelId }] }));
      assert.equal(poach.status, 400);
      assert.match(poach.body.message, /no such channel/);
      assert.equal((await other.api("POST", "/ldap/test", {})).status, 400, "nothing saved for them to test");
      assert.equal((await other.api("POST", "/ldap/sync")).status, 400);
      assert.ok((await owner.api("GET", "/ldap")).body.settings, "this org's settings are untouched");
    });
  });
}
