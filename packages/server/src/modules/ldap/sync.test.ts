/**
 * The scheduled LDAP group sync (issue 10) against a real slapd: groups mapped to roles and
 * channels (private ones too), names and emails kept up to date, accounts deactivated when
 * their entry leaves the directory (sessions end) and back when it returns, the last owner
 * protected, a directory that answers with nobody or not at all changing nothing, and the
 * schedule enqueueing each due org once per period.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import type { LdapSettingsInput } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, type AnyBody, type TestUser } from "../../testing/factories.ts";
import { waitUntil } from "../../testing/jobs.ts";
import { ldapSettingsFor, startTestLdap, type TestLdap } from "../../testing/ldap.ts";
import { enqueueDueSyncs } from "./sync.ts";

const PEOPLE = [
  { uid: "alice", cn: "Alice Archer", mail: "alice@example.org", password: "alice-directory-pw" },
  { uid: "bob", cn: "Bob Baker", mail: "bob@example.org", password: "bob-directory-pw" },
  { uid: "carol", cn: "Carol Chen", password: "carol-directory-pw" },
  { uid: "dave", cn: "Dave Dunn", password: "dave-directory-pw" },
];
const GROUPS = [
  { cn: "staff", members: ["alice", "bob", "dave"] },
  { cn: "engineering", members: ["alice"] },
  { cn: "admins", members: [] },
  { cn: "owners", members: ["carol"] },
];

for (const dialect of DIALECTS) {
  describe(`LDAP group sync (${dialect})`, () => {
    let s: TestServer;
    let ldap: TestLdap;
    let owner: TestUser;
    let eng: string;
    let secret: string;
    let settings: LdapSettingsInput;
    before(async () => {
      ldap = await startTestLdap({ people: PEOPLE, groups: GROUPS });
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      eng = (await owner.api("POST", "/channels", { kind: "public", name: "engineering" })).body.id;
      secret = (await owner.api("POST", "/channels", { kind: "private", name: "secret-project" })).body.id;
      settings = ldapSettingsFor(ldap, {
        // Disabled accounts (employeeType=disabled) are not found, as AD's userAccountControl filter does.
        userFilter: "(&(objectClass=inetOrgPerson)(!(employeeType=disabled))(uid={username}))",
        roleMapping: [
          { group: "admins", role: "admin" },
          { group: "owners", role: "owner" },
          { group: "staff", role: "member" },
        ],
        channelMapping: [
          { group: "engineering", channelId: eng },
          { group: "cn=engineering,ou=groups,dc=example,dc=org", channelId: secret },
        ],
        defaultRole: "guest",
      });
      assert.equal((await owner.api("PUT", "/ldap", settings)).status, 200);
      // A first sync, so the once-a-minute schedule does not find the org due while the tests run.
      await sync();
    });
    after(async () => {
      await s.stop();
      await ldap.destroy();
    });

    const login = async (username: string, password: string) => {
      const r = await call(s, "POST", "/auth/login", { org: "acme", username, password, deviceName: "laptop" });
      assert.equal(r.status, 200, `${username}: ${JSON.stringify(r.body)}`);
      return asTestUser(s, r.body, password);
    };
    /** Ask for a sync and wait for its outcome. */
    async function sync(as: TestUser = owner): Promise<AnyBody> {
      const before = (await as.api("GET", "/ldap")).body.lastSync;
      const r = await as.api("POST", "/ldap/sync");
      assert.equal(r.status, 202, JSON.stringify(r.body));
      let last: AnyBody;
      await waitUntil(
        async () => {
          last = (await as.api("GET", "/ldap")).body.lastSync;
          return last !== null && JSON.stringify(last) !== JSON.stringify(before) && last.trigger === "admin";
        },
        15_000,
        "the LDAP sync to finish",
      );
      return last;
    }
    const userRow = (id: string) => s.deps.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const isMember = async (channelId: string, userId: string) =>
      (await s.deps.db.selectFrom("channel_members").select("user_id").where("channel_id", "=", channelId).where("user_id", "=", userId).executeTakeFirst()) !==
      undefined;

    it("maps groups to a role and to channels, at sign-in and on every sync, and changes nothing twice", async () => {
      const alice = await login("alice", "alice-directory-pw");
      assert.equal(alice.user.role, "member");
      assert.ok(await isMember(eng, alice.user.id), "engineering -> #engineering");
      assert.ok(await isMember(secret, alice.user.id), "and the private channel");

      await ldap.setMembers("admins", ["alice"]);
      await ldap.setMembers("engineering", []);
      const first = await sync();
      assert.equal(first.ok, true, JSON.stringify(first));
      assert.equal((await userRow(alice.user.id)).role, "admin");
      assert.equal(await isMember(eng, alice.user.id), false, "left the group: removed from the channel");
      assert.equal(await isMember(secret, alice.user.id), false);
      assert.deepEqual([first.counts.rolesChanged, first.counts.channelsLeft], [1, 2]);
      const removed = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "actor_id"]).where("action", "=", "channel.member.removed").execute();
      assert.deepEqual(removed.at(-1), { actor_kind: "idp", actor_id: "ldap" });
      const roleAudit = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "details"]).where("action", "=", "user.role.changed").execute();
      assert.deepEqual([roleAudit.at(-1)?.actor_kind, JSON.parse(roleAudit.at(-1)!.details)], ["idp", { from: "member", to: "admin" }]);

      await ldap.setMembers("engineering", ["alice"]);
      const back = await sync();
      assert.equal(back.counts.channelsJoined, 2);
      assert.ok(await isMember(eng, alice.user.id));
      // A user who leaves a channel the mapping put them in is not pulled back in.
      assert.equal((await alice.api("POST", `/channels/${eng}/leave`)).status, 204);
      const again = await sync();
      assert.equal(await isMember(eng, alice.user.id), false);
      assert.deepEqual(
        [again.counts.rolesChanged, again.counts.channelsJoined, again.counts.channelsLeft, again.counts.profilesUpdated, again.counts.deactivated],
        [0, 0, 0, 0, 0],
        "idempotent",
      );
      const completed = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "details"]).where("action", "=", "ldap.sync.completed").execute();
      assert.equal(completed.at(-1)?.actor_kind, "idp");
      assert.equal(JSON.parse(completed.at(-1)!.details).counts.accounts, 1);
      await ldap.setMembers("admins", []);
    });

    it("keeps names and emails up to date", async () => {
      const bob = await login("bob", "bob-directory-pw");
      await ldap.setAttributes("bob", { cn: "Robert Baker", mail: "robert@example.org" });
      const r = await sync();
      assert.ok(r.counts.profilesUpdated >= 1);
      const row = await userRow(bob.user.id);
      assert.deepEqual([row.display_name, row.email], ["Robert Baker", "robert@example.org"]);
      const audit = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "details"]).where("action", "=", "user.profile.updated").execute();
      assert.deepEqual([audit.at(-1)?.actor_kind, JSON.parse(audit.at(-1)!.details).fields], ["idp", ["displayName", "email"]]);
    });

    it("deactivates accounts that leave the directory, ending their sessions, and brings them back when they return", async () => {
      const bob = await login("bob", "bob-directory-pw");
      const dave = await login("dave", "dave-directory-pw");
      await ldap.setAttributes("bob", { employeeType: "disabled" });
      await ldap.removePerson("dave");
      const r = await sync();
      assert.equal(r.counts.deactivated, 2, JSON.stringify(r));
      for (const u of [bob, dave]) {
        assert.notEqual((await userRow(u.user.id)).deactivated_at, null);
        const open = await s.deps.db.selectFrom("sessions").select("id").where("user_id", "=", u.user.id).where("revoked_at", "is", null).execute();
        assert.deepEqual(open, [], "every session ended");
        const refresh = await call(s, "POST", "/auth/refresh", { refreshToken: u.tokens.refreshToken });
        assert.ok(refresh.status === 401 || refresh.status === 403, `refresh: ${refresh.status}`);
      }
      const deactivated = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "target_id"]).where("action", "=", "user.deactivated").execute();
      assert.deepEqual(
        deactivated.map((e) => e.actor_kind),
        ["idp", "idp"],
      );
      assert.equal((await sync()).counts.deactivated, 0, "idempotent");
      assert.equal((await call(s, "POST", "/auth/login", { org: "acme", username: "bob", password: "bob-directory-pw" })).status, 401);

      await ldap.setAttributes("bob", { employeeType: "staff" });
      const back = await sync();
      assert.equal(back.counts.reactivated, 1);
      assert.equal((await userRow(bob.user.id)).deactivated_at, null);
      await login("bob", "bob-directory-pw");

      // An account an admin deactivated stays deactivated: only the sync's own deactivations are undone.
      assert.equal((await owner.api("POST", `/users/${bob.user.id}/deactivate`)).status, 200);
      assert.equal((await sync()).counts.reactivated, 0);
      assert.notEqual((await userRow(bob.user.id)).deactivated_at, null);
      assert.equal((await owner.api("POST", `/users/${bob.user.id}/reactivate`)).status, 200);
    });

    it("never demotes or deactivates the last owner", async () => {
      const carol = await login("carol", "carol-directory-pw");
      assert.equal(carol.user.role, "owner", "owners -> owner");
      assert.equal((await carol.api("POST", `/users/${owner.user.id}/deactivate`)).status, 200);
      await ldap.setMembers("owners", []);
      const r = await sync(carol);
      assert.ok(r.counts.skipped >= 1);
      assert.equal((await userRow(carol.user.id)).role, "owner", "still the only owner");
      const skipped = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "details", "result"]).where("action", "=", "ldap.change.skipped").execute();
      assert.deepEqual(
        [skipped.at(-1)?.actor_kind, skipped.at(-1)?.result, JSON.parse(skipped.at(-1)!.details)],
        ["idp", "denied", { change: "role", reason: "last_owner" }],
      );

      assert.equal((await carol.api("POST", `/users/${owner.user.id}/reactivate`)).status, 200);
      // Deactivation ended the local owner's sessions: they sign in again (a local account, with their password).
      owner = await login("owner", owner.password);
      await sync();
      assert.equal((await userRow(carol.user.id)).role, "guest", "with another owner back, the mapping applies (in no group: the default role)");
    });

    it("changes nothing when the directory answers with nobody, or not at all", async () => {
      const active = async () =>
        Number(
          (
            await s.deps.db
              .selectFrom("users")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .where("deactivated_at", "is", null)
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await active();
      assert.equal((await owner.api("PUT", "/ldap", { ...settings, bindPassword: undefined, userBase: "ou=services,dc=example,dc=org" })).status, 200);
      const empty = await sync();
      assert.equal(empty.ok, false);
      assert.match(empty.message, /no users/);
      assert.equal(await active(), before);
      assert.equal((await owner.api("PUT", "/ldap", settings)).status, 200);

      await ldap.stop();
      try {
        const down = await sync();
        assert.equal(down.ok, false);
        assert.match(down.message, /^connect: .*nothing was changed/);
        assert.equal(await active(), before);
        const failed = await s.deps.db.selectFrom("audit_log").select(["actor_kind", "result"]).where("action", "=", "ldap.sync.failed").execute();
        assert.deepEqual(failed.at(-1), { actor_kind: "idp", result: "failure" });
      } finally {
        await ldap.start();
      }
    });

    it("schedules each org's sync once per interval", async () => {
      const row = await s.deps.db.selectFrom("ldap_configs").select(["last_sync_at"]).executeTakeFirstOrThrow();
      const last = Number(row.last_sync_at);
      assert.equal(await enqueueDueSyncs(s.deps, last + 60_000), 0, "not due yet");
      const due = last + 60 * 60_000 + 1;
      assert.equal(await enqueueDueSyncs(s.deps, due), 1);
      assert.equal(await enqueueDueSyncs(s.deps, due + 1), 0, "once per period, whichever node asks");
      await waitUntil(
        async () =>
          JSON.parse((await s.deps.db.selectFrom("ldap_configs").select("last_sync").executeTakeFirstOrThrow()).last_sync ?? "{}").trigger === "schedule",
        15_000,
        "the scheduled sync",
      );
    });
  });
}
