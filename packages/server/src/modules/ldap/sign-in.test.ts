/**
 * LDAP sign-in (issue 10) against a real OpenLDAP (Debian slapd) started by the test: accounts
 * created from the directory at first sign-in, wrong and empty passwords, LDAP injection in
 * the username, the directory down (with and without local owners' break-glass), local
 * accounts beside directory ones, taking over a local account, MFA and re-authentication
 * against the directory, throttling.
 */
import { describe, it, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Client } from "ldapts";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";
import { LDAP_SERVICE_DN, LDAP_SERVICE_PASSWORD, ldapSettingsFor, startTestLdap, type TestLdap } from "../../testing/ldap.ts";
import { systemActor } from "../../core/actor.ts";
import { setLdapConfig } from "./config.ts";
import { openDirectory, userFilterFor } from "./directory.ts";
import type { LdapSettingsInput } from "@parley/protocol";

const PEOPLE = [
  { uid: "alice", cn: "Alice Archer", mail: "alice@example.org", password: "alice-directory-pw" },
  { uid: "carol", cn: "Carol Chen", mail: "carol@example.org", password: "carol-directory-pw" },
  { uid: "dave", cn: "Dave Dunn", password: "dave-directory-pw" },
  { uid: "admin", cn: "Directory Admin", password: "admin-directory-pw" },
  { uid: "erin", cn: "Erin From Directory", mail: "erin@example.org", password: "erin-directory-pw" },
  { uid: "frank", cn: "Frank Fisher", password: "frank-directory-pw" },
];
const GROUPS = [
  { cn: "staff", members: ["alice", "carol", "erin", "frank"] },
  { cn: "admins", members: ["carol"] },
];

for (const dialect of DIALECTS) {
  describe(`LDAP sign-in (${dialect})`, () => {
    let s: TestServer;
    let ldap: TestLdap;
    let owner: TestUser;
    let settings: LdapSettingsInput;
    before(async () => {
      ldap = await startTestLdap({ people: PEOPLE, groups: GROUPS });
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      settings = ldapSettingsFor(ldap, {
        roleMapping: [
          { group: "admins", role: "admin" },
          { group: "cn=staff,ou=groups,dc=example,dc=org", role: "member" },
        ],
        defaultRole: "guest",
      });
      const saved = await owner.api("PUT", "/ldap", settings);
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
    });
    after(async () => {
      await s.stop();
      await ldap.destroy();
    });
    beforeEach(async () => {
      await s.deps.limits.loginIp.reset("127.0.0.1");
    });

    const login = (username: string, password: string, org = "acme") => call(s, "POST", "/auth/login", { org, username, password, deviceName: "laptop" });
    const audits = (action: string) =>
      s.deps.db
        .selectFrom("audit_log")
        .select(["actor_kind", "actor_id", "target_id", "details", "result"])
        .where("action", "=", action)
        .orderBy("seq")
        .execute();
    const userCount = async () =>
      Number(
        (
          await s.deps.db
            .selectFrom("users")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("signs a directory user in: the account is made from the entry (name, email, role from groups) and a session starts", async () => {
      const r = await login("alice", "alice-directory-pw");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.user.username, "alice");
      assert.equal(r.body.user.displayName, "Alice Archer");
      assert.equal(r.body.user.role, "member");
      const seen = await owner.api("GET", `/users/${r.body.user.id}`);
      assert.equal(seen.body.email, "alice@example.org");
      const row = await s.deps.db.selectFrom("users").select("password_hash").where("id", "=", r.body.user.id).executeTakeFirstOrThrow();
      assert.equal(row.password_hash, "!ldap", "no local password");
      const me = await call(s, "GET", "/me", undefined, { authorization: `Bearer ${r.body.accessToken}` });
      assert.equal(me.status, 200);

      const carol = await login("carol", "carol-directory-pw");
      assert.equal(carol.body.user.role, "admin", "the admins group maps to admin");
      const dave = await login("dave", "dave-directory-pw");
      assert.equal(dave.body.user.role, "guest", "in no mapped group: the default role");

      const created = await audits("user.created");
      assert.deepEqual(
        created.map((e) => [e.actor_kind, e.actor_id, JSON.parse(e.details).via]),
        [
          ["idp", "ldap", "ldap"],
          ["idp", "ldap", "ldap"],
          ["idp", "ldap", "ldap"],
        ],
      );
      const ok = await audits("auth.login.succeeded");
      assert.ok(ok.some((e) => e.target_id === r.body.sessionId));

      // Signing in again finds the same account (its directory id), creating nothing.
      const users = await userCount();
      const again = await login("alice", "alice-directory-pw");
      assert.equal(again.body.user.id, r.body.user.id);
      assert.equal(await userCount(), users);
    });

    it("refuses a wrong password, an unknown name and an empty password, audited, writing no account", async () => {
      const users = await userCount();
      const wrong = await login("alice", "not-the-password");
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.code, "invalid_credentials");
      const unknown = await login("nobody", "whatever-pw");
      assert.equal(unknown.body.code, "invalid_credentials");
      const empty = await login("frank", "");
      assert.equal(empty.status, 400, "the wire refuses an empty password");
      assert.equal(await userCount(), users);
      const failed = (await audits("auth.login.failed")).map((e) => JSON.parse(e.details));
      assert.ok(failed.filter((d) => d.via === "ldap" && d.reason === "directory_rejected").length >= 2);

      // Below the wire: this directory (like AD) answers a name with an empty password with success...
      const raw = new Client({ url: ldap.url });
      await raw.bind(ldap.dnOf("frank"), "");
      await raw.unbind();
      // ...and Parley never asks it: an empty password is no password.
      const d = await openDirectory({ ...ldapSettingsFor(ldap), bindPassword: LDAP_SERVICE_PASSWORD } as never);
      try {
        assert.equal(await d.verifyPassword(ldap.dnOf("frank"), ""), false);
        assert.equal(await d.verifyPassword(ldap.dnOf("frank"), "frank-directory-pw"), true);
      } finally {
        await d.close();
      }
    });

    it("never lets LDAP syntax in a username match another entry", async () => {
      const attacks = ["*", ")(uid=*", "admin)(|(uid=*", "admin*", "a\\2a", "al\\", "alice\u0000", "*)(objectClass=*", "(uid=alice)"];
      for (const name of attacks) {
        const r = await login(name, "alice-directory-pw");
        assert.ok(r.status === 400 || r.status === 401, `${JSON.stringify(name)}: ${r.status}`);
        assert.ok(!r.body.accessToken);
      }
      // The directory layer itself, without the wire's username rules: escaped, so nothing matches.
      assert.equal(userFilterFor("(uid={username})", ")(uid=*"), "(uid=\\29\\28uid=\\2a)");
      const d = await openDirectory({ ...ldapSettingsFor(ldap), bindPassword: LDAP_SERVICE_PASSWORD } as never);
      try {
        for (const name of attacks) assert.equal(await d.findUser(name), null, JSON.stringify(name));
        assert.equal((await d.findUser("admin"))?.dn, ldap.dnOf("admin"), "the real name still matches");
      } finally {
        await d.close();
      }
    });

    it("keeps local accounts on their Parley password when the org allows them", async () => {
      const local = await makeUser(s, owner, { username: "local-lou" });
      assert.equal((await login("local-lou", TEST_PASSWORD)).status, 200);
      assert.equal((await login("owner", TEST_PASSWORD)).status, 200);
      // A directory password for a local name is not the local password.
      assert.equal((await login("local-lou", "alice-directory-pw")).status, 401);
      await ldap.stop();
      try {
        assert.equal((await login("local-lou", TEST_PASSWORD)).status, 200, "local accounts do not need the directory");
      } finally {
        await ldap.start();
      }
      assert.ok(local.user.id);
    });

    it("answers idp_unavailable when the directory is down; local owners may sign in only when allowed", async () => {
      const member = await makeUser(s, owner, { username: "local-mia" });
      // Directory only: the owner (a local account) cannot make this change for themselves...
      const self = await owner.api("PUT", "/ldap", { ...settings, bindPassword: undefined, allowLocalAccounts: false });
      assert.equal(self.status, 400);
      assert.match(self.body.message, /Parley password/);
      // ...an operator can (the CLI's system actor).
      const strict = { ...settings, allowLocalAccounts: false, localAdminsWhenDown: true };
      await setLdapConfig(s.deps, systemActor(owner.org.id), strict);
      try {
        assert.equal((await login("owner", TEST_PASSWORD)).status, 401, "directory up: the local owner is not in it");
        await ldap.stop();
        const down = await login("alice", "alice-directory-pw");
        assert.equal(down.status, 503);
        assert.equal(down.body.code, "idp_unavailable");
        assert.match(down.body.message, /directory/);
        assert.equal((await login("owner", TEST_PASSWORD)).status, 200, "break glass: a local owner while the directory is down");
        assert.equal((await login("owner", "wrong password!")).status, 401, "with the right password only");
        assert.equal((await login("local-mia", TEST_PASSWORD)).status, 503, "not for members");
        const failed = (await audits("auth.login.failed")).map((e) => JSON.parse(e.details));
        assert.ok(failed.some((d) => d.reason === "directory_unavailable" && d.stage === "connect"));

        await setLdapConfig(s.deps, systemActor(owner.org.id), { ...strict, localAdminsWhenDown: false });
        const refused = await login("owner", TEST_PASSWORD);
        assert.equal(refused.status, 503, "no break glass when the org turned it off");
        assert.equal(refused.body.code, "idp_unavailable");
      } finally {
        await ldap.start();
        await setLdapConfig(s.deps, systemActor(owner.org.id), settings);
      }
      assert.ok(member.user.id);
    });

    it("takes over a local member of the same name only when the org allows no local accounts", async () => {
      const erin = await makeUser(s, owner, { username: "erin" });
      // Local accounts allowed: "erin" is the local account; the directory's password is not its password.
      assert.equal((await login("erin", "erin-directory-pw")).status, 401);
      await setLdapConfig(s.deps, systemActor(owner.org.id), { ...settings, allowLocalAccounts: false });
      try {
        const r = await login("erin", "erin-directory-pw");
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.user.id, erin.user.id, "the same account, now the directory's");
        assert.equal(r.body.user.displayName, "Erin From Directory");
        assert.equal((await login("erin", TEST_PASSWORD)).status, 401, "its local password no longer works");
        const linked = await audits("ldap.account.linked");
        assert.deepEqual(
          linked.map((e) => [e.actor_kind, e.target_id]),
          [["idp", erin.user.id]],
        );
      } finally {
        await setLdapConfig(s.deps, systemActor(owner.org.id), settings);
      }
    });

    it("re-authenticates directory users against the directory (MFA enrolment), and leaves their password to it", async () => {
      const r = await login("frank", "frank-directory-pw");
      assert.equal(r.status, 200);
      const headers = { authorization: `Bearer ${r.body.accessToken}` };
      const wrong = await call(s, "POST", "/me/mfa/totp", { currentPassword: "nope" }, headers);
      assert.equal(wrong.body.code, "invalid_credentials");
      const start = await call(s, "POST", "/me/mfa/totp", { currentPassword: "frank-directory-pw" }, headers);
      assert.equal(start.status, 200, JSON.stringify(start.body));
      const change = await call(s, "POST", "/me/password", { currentPassword: "frank-directory-pw", newPassword: "a brand new password 1" }, headers);
      assert.equal(change.status, 400);
      assert.match(change.body.message, /directory/);
    });

    it("throttles guessing a directory user's password like any other", async () => {
      let last = 0;
      for (let i = 0; i < 12 && last !== 429; i++) last = (await login("carol", `guess-${i}`)).status;
      assert.equal(last, 429);
      const right = await login("carol", "carol-directory-pw");
      assert.equal(right.status, 429, "locked even with the right password");
      assert.equal(right.body.code, "login_throttled");
      await s.deps.limits.loginAccount.reset("acme:carol");
    });

    it("keeps each org's directory to itself", async () => {
      const other = await makeOrg(s, "other");
      const theirs = await other.api("GET", "/ldap");
      assert.equal(theirs.status, 200);
      assert.equal(theirs.body.settings, null, "another org's settings are not shown");
      assert.equal((await login("alice", "alice-directory-pw", "other")).status, 401, "acme's directory does not sign in to another org");
      const member = await makeUser(s, owner);
      assert.equal((await member.api("GET", "/ldap")).status, 403, "members do not see the settings");
      assert.equal(LDAP_SERVICE_DN.length > 0, true);
    });
  });
}
