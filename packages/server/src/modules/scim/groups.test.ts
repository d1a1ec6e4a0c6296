/**
 * SCIM Groups and their mapping to roles and channels, on SQLite and PostgreSQL: the RFC
 * 7644 group examples (create, members add/remove/replace by PATCH, PUT, DELETE, filters),
 * then the admin's mapping of groups to an org role and channels, applied through the
 * org's own commands as membership changes, all or nothing.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeUser, type TestUser } from "../../testing/factories.ts";
import { assertScimError, GROUP_SCHEMA, patchOp, scimClient, USER_SCHEMA, type ScimClient } from "../../testing/scim.ts";

async function snapshot(s: TestServer): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const t of ["scim_groups", "scim_group_members", "scim_group_channels", "scim_channel_grants", "channel_members", "audit_log", "user_stream"] as const) {
    out[t] = await countRows(s, t);
  }
  out.roles = await s.deps.db.selectFrom("users").select(["id", "role"]).orderBy("id").execute();
  out.groups = await s.deps.db.selectFrom("scim_groups").selectAll().orderBy("id").execute();
  return out;
}

for (const dialect of DIALECTS) {
  describe(`SCIM Groups (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let idp: ScimClient;
    const ids = {} as Record<"bjensen" | "jsmith" | "mkim", string>;
    let groupId: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "example" });
      idp = await scimClient(s, owner);
      for (const userName of ["bjensen", "jsmith", "mkim"] as const) {
        const r = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName, displayName: `${userName} display` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        ids[userName] = r.body.id;
      }
    });
    after(() => s.stop());

    const memberIds = (g: { members?: Array<{ value: string }> }) => (g.members ?? []).map((m) => m.value).sort();

    it("§3.3 creates a group with members; duplicate names are 409 uniqueness", async () => {
      const r = await idp.req("POST", "/Groups", {
        schemas: [GROUP_SCHEMA],
        displayName: "Tour Guides",
        externalId: "tg-1",
        members: [{ value: ids.bjensen, display: "ignored" }],
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      groupId = r.body.id;
      assert.equal(r.headers.get("location"), `${s.url}/scim/v2/Groups/${groupId}`);
      assert.equal(r.headers.get("etag"), r.body.meta.version);
      assert.deepEqual(r.body.members, [{ value: ids.bjensen, $ref: `${s.url}/scim/v2/Users/${ids.bjensen}`, display: "bjensen display", type: "User" }]);
      // The user shows the group (readOnly).
      const u = await idp.req("GET", `/Users/${ids.bjensen}`);
      assert.deepEqual(
        u.body.groups.map((g: { value: string; display: string }) => [g.value, g.display]),
        [[groupId, "Tour Guides"]],
      );
      const before = await snapshot(s);
      assertScimError(await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "tour guides" }), 409, "uniqueness");
      assertScimError(await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA] }), 400, "invalidValue");
      assertScimError(await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "X", members: [{ value: "usr_nobody" }] }), 400, "invalidValue");
      assertScimError(
        await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "X", members: [{ value: groupId, type: "Group" }] }),
        400,
        "invalidValue",
      );
      assert.deepEqual(await snapshot(s), before);
    });

    it("filters groups, and lists them without members on request (as Entra ID asks)", async () => {
      const byName = await idp.req("GET", `/Groups?filter=${encodeURIComponent('displayName eq "tour guides"')}&excludedAttributes=members`);
      assert.equal(byName.body.totalResults, 1);
      assert.equal(byName.body.Resources[0].members, undefined);
      const byMember = await idp.req("GET", `/Groups?filter=${encodeURIComponent(`id eq "${groupId}" and members[value eq "${ids.bjensen}"]`)}`);
      assert.equal(byMember.body.totalResults, 1);
      const notMember = await idp.req("GET", `/Groups?filter=${encodeURIComponent(`members.value eq "${ids.jsmith}"`)}`);
      assert.equal(notMember.body.totalResults, 0);
      const users = await idp.req("GET", `/Users?filter=${encodeURIComponent(`groups.value eq "${groupId}"`)}`);
      assert.deepEqual(
        users.body.Resources.map((u: { id: string }) => u.id),
        [ids.bjensen],
      );
      assertScimError(await idp.req("GET", `/Groups?filter=${encodeURIComponent("members[value eq")}`), 400, "invalidFilter");
      assertScimError(await idp.req("GET", `/Groups?filter=${encodeURIComponent('userName eq "x"')}`), 400, "invalidFilter");
    });

    it("§3.5.2.1 adds members; §3.5.2.2 removes one, all, or by listed value; §3.5.2.3 replaces them", async () => {
      const add = await idp.req(
        "PATCH",
        `/Groups/${groupId}`,
        patchOp({ op: "add", path: "members", value: [{ display: "Babs Jensen", $ref: "ignored", value: ids.jsmith }] }),
      );
      assert.equal(add.status, 200, JSON.stringify(add.body));
      assert.deepEqual(memberIds(add.body), [ids.bjensen, ids.jsmith].sort());
      // Adding someone already there changes nothing.
      const again = await idp.req("PATCH", `/Groups/${groupId}`, patchOp({ op: "add", path: "members", value: [{ value: ids.jsmith }] }));
      assert.equal(again.body.meta.version, add.body.meta.version);
      const removeOne = await idp.req("PATCH", `/Groups/${groupId}`, patchOp({ op: "remove", path: `members[value eq "${ids.bjensen}"]` }));
      assert.deepEqual(memberIds(removeOne.body), [ids.jsmith]);
      const removeAll = await idp.req("PATCH", `/Groups/${groupId}`, patchOp({ op: "remove", path: "members" }));
      assert.deepEqual(memberIds(removeAll.body), []);
      const replaced = await idp.req(
        "PATCH",
        `/Groups/${groupId}`,
        patchOp({ op: "replace", path: "members", value: [{ value: ids.bjensen }, { value: ids.mkim }] }),
      );
      assert.deepEqual(memberIds(replaced.body), [ids.bjensen, ids.mkim].sort());
      const removeThenAdd = await idp.req(
        "PATCH",
        `/Groups/${groupId}`,
        patchOp({ op: "remove", path: "members" }, { op: "add", path: "members", value: [{ value: ids.jsmith }] }),
      );
      assert.deepEqual(memberIds(removeThenAdd.body), [ids.jsmith]);
      const entraRemove = await idp.req("PATCH", `/Groups/${groupId}`, patchOp({ op: "Remove", path: "members", value: [{ $ref: null, value: ids.jsmith }] }));
      assert.deepEqual(memberIds(entraRemove.body), []);
      const audit = await s.deps.db.selectFrom("audit_log").select(["action", "actor_kind"]).where("target_id", "=", groupId).execute();
      assert.ok(audit.every((e) => e.actor_kind === "scim"));
      assert.ok(audit.some((e) => e.action === "scim.group.updated"));
    });

    it("refuses bad group PATCHes and stale ETags whole; PUT replaces; DELETE removes", async () => {
      const current = await idp.req("GET", `/Groups/${groupId}`);
      const before = await snapshot(s);
      for (const [body, scimType] of [
        [patchOp({ op: "add", path: "members", value: [{ value: ids.bjensen }, { value: "usr_missing" }] }), "invalidValue"],
        [patchOp({ op: "add", path: "members", value: "not an object" }), "invalidValue"],
        [patchOp({ op: "replace", path: "members[value eq", value: [] }), "invalidPath"],
        [patchOp({ op: "replace", path: "owners", value: [] }), "invalidPath"],
        [patchOp({ op: "replace", path: "displayName", value: "" }), "invalidValue"],
        [patchOp({ op: "replace", path: "id", value: "grp_other" }), "mutability"],
        [
          patchOp({ op: "add", path: "members", value: [{ value: ids.bjensen }] }, { op: "replace", path: 'members[value eq "nobody"].display', value: "x" }),
          "noTarget",
        ],
      ] as const) {
        assertScimError(await idp.req("PATCH", `/Groups/${groupId}`, body), 400, scimType);
      }
      assertScimError(
        await idp.req("PATCH", `/Groups/${groupId}`, patchOp({ op: "add", path: "members", value: [{ value: ids.bjensen }] }), {
          authorization: `Bearer ${idp.token}`,
          "if-match": 'W/"stale"',
        }),
        412,
      );
      assert.deepEqual(await snapshot(s), before);
      const put = await idp.req(
        "PUT",
        `/Groups/${groupId}`,
        { schemas: [GROUP_SCHEMA], displayName: "Tour Guides EU", members: [{ value: ids.mkim }] },
        { authorization: `Bearer ${idp.token}`, "if-match": current.body.meta.version },
      );
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.displayName, "Tour Guides EU");
      assert.equal(put.body.externalId, undefined, "PUT replaces: an attribute left out is cleared");
      assert.deepEqual(memberIds(put.body), [ids.mkim]);
      const other = await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Other" });
      assertScimError(
        await idp.req("PATCH", `/Groups/${other.body.id}`, patchOp({ op: "replace", path: "displayName", value: "TOUR GUIDES eu" })),
        409,
        "uniqueness",
      );
      assert.equal((await idp.req("DELETE", `/Groups/${other.body.id}`)).status, 204);
      assertScimError(await idp.req("GET", `/Groups/${other.body.id}`), 404);
    });
  });

  describe(`SCIM group mappings to roles and channels (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let idp: ScimClient;
    let general: string;
    let ops: string;
    const ids = {} as Record<"alice" | "bob" | "carol", string>;
    let eng: string;
    let admins: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin", username: "adam" });
      idp = await scimClient(s, owner);
      general = (await owner.api("POST", "/channels", { kind: "public", name: "general" })).body.id;
      ops = (await owner.api("POST", "/channels", { kind: "private", name: "ops" })).body.id;
      for (const userName of ["alice", "bob", "carol"] as const) {
        const r = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName });
        ids[userName] = r.body.id;
      }
      eng = (await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Engineering", members: [{ value: ids.alice }] })).body.id;
      admins = (await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Parley Admins" })).body.id;
    });
    after(() => s.stop());

    const channelMembers = async (channelId: string) =>
      (await owner.api("GET", `/channels/${channelId}/members`)).body.members.map((m: { userId: string }) => m.userId).sort() as string[];
    const roleOf = async (userId: string) => (await owner.api("GET", `/users/${userId}`)).body.role as string;

    it("lists pushed groups for admins; members and other orgs may not", async () => {
      const r = await admin.api("GET", "/scim/groups");
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.groups.map((g: { displayName: string; members: number; mapping: unknown }) => [g.displayName, g.members, g.mapping]),
        [
          ["Engineering", 1, { role: null, channelIds: [] }],
          ["Parley Admins", 0, { role: null, channelIds: [] }],
        ],
      );
      const member = await makeUser(s, owner);
      assert.equal((await member.api("GET", "/scim/groups")).status, 403);
      assert.equal((await member.api("PUT", `/scim/groups/${eng}/mapping`, { role: null, channelIds: [general] })).status, 403);
    });

    it("maps a group to channels: its members join them at once, and new members as they are added", async () => {
      const r = await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: null, channelIds: [general, ops] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.mapping, { role: null, channelIds: [general, ops].sort() });
      assert.deepEqual(await channelMembers(general), [owner.user.id, ids.alice].sort());
      assert.deepEqual(await channelMembers(ops), [owner.user.id, ids.alice].sort());
      // carol was added to ops by hand before her group got it: that membership is hers to keep.
      assert.equal((await owner.api("POST", `/channels/${ops}/members`, { userIds: [ids.carol] })).status, 200);
      const add = await idp.req("PATCH", `/Groups/${eng}`, patchOp({ op: "add", path: "members", value: [{ value: ids.bob }, { value: ids.carol }] }));
      assert.equal(add.status, 200, JSON.stringify(add.body));
      assert.deepEqual(await channelMembers(general), [owner.user.id, ids.alice, ids.bob, ids.carol].sort());
      assert.deepEqual(await channelMembers(ops), [owner.user.id, ids.alice, ids.bob, ids.carol].sort());
      const added = await s.deps.db
        .selectFrom("audit_log")
        .select(["actor_kind"])
        .where("action", "=", "channel.member.added")
        .where("target_id", "=", general)
        .execute();
      assert.ok(added.some((e) => e.actor_kind === "scim"));
      // Leaving the group takes back what the mapping gave, and only that.
      const rm = await idp.req(
        "PATCH",
        `/Groups/${eng}`,
        patchOp({ op: "remove", path: `members[value eq "${ids.bob}"]` }, { op: "remove", path: `members[value eq "${ids.carol}"]` }),
      );
      assert.equal(rm.status, 200);
      assert.deepEqual(await channelMembers(general), [owner.user.id, ids.alice].sort());
      assert.deepEqual(await channelMembers(ops), [owner.user.id, ids.alice, ids.carol].sort(), "carol's own membership of ops stays");
      const left = await s.deps.db
        .selectFrom("user_stream")
        .select(["kind", "channel_id"])
        .where("user_id", "=", ids.bob)
        .where("kind", "=", "channel.left")
        .execute();
      assert.deepEqual(left.map((l) => l.channel_id).sort(), [general, ops].sort());
    });

    it("maps a group to a role: the highest of a user's groups; leaving gives back member; owners untouched", async () => {
      // Granting admin through a mapping needs an owner.
      const before = await snapshot(s);
      assert.equal((await admin.api("PUT", `/scim/groups/${admins}/mapping`, { role: "admin", channelIds: [] })).status, 403);
      assert.deepEqual(await snapshot(s), before);
      assert.equal((await owner.api("PUT", `/scim/groups/${admins}/mapping`, { role: "admin", channelIds: [] })).status, 200);
      assert.equal((await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: "guest", channelIds: [general, ops] })).status, 200);
      assert.equal(await roleOf(ids.alice), "guest");
      const add = await idp.req("PATCH", `/Groups/${admins}`, patchOp({ op: "add", path: "members", value: [{ value: ids.alice }, { value: owner.user.id }] }));
      assert.equal(add.status, 200, JSON.stringify(add.body));
      assert.equal(await roleOf(ids.alice), "admin");
      assert.equal(await roleOf(owner.user.id), "owner", "owners are never changed by mappings");
      const changed = await s.deps.db
        .selectFrom("audit_log")
        .select(["actor_kind", "details"])
        .where("action", "=", "user.role.changed")
        .where("target_id", "=", ids.alice)
        .execute();
      assert.ok(changed.some((e) => e.actor_kind === "scim" && JSON.parse(e.details).to === "admin"));
      await idp.req("PATCH", `/Groups/${admins}`, patchOp({ op: "remove", path: "members" }));
      assert.equal(await roleOf(ids.alice), "guest", "back to the role of her remaining mapped group");
      await idp.req("PATCH", `/Groups/${eng}`, patchOp({ op: "remove", path: `members[value eq "${ids.alice}"]` }));
      assert.equal(await roleOf(ids.alice), "member", "no mapped group left: member");
      assert.deepEqual(await channelMembers(general), [owner.user.id], "and out of the mapped channels");
    });

    it("an admin's SCIM token cannot make admins; a refused request changes nothing", async () => {
      const adminIdp = await scimClient(s, admin);
      const before = await snapshot(s);
      const r = await adminIdp.req("PATCH", `/Groups/${admins}`, patchOp({ op: "add", path: "members", value: [{ value: ids.bob }] }));
      assertScimError(r, 403);
      assert.deepEqual(await snapshot(s), before);
      // Nor deprovision an admin.
      assertScimError(await adminIdp.req("PATCH", `/Users/${admin.user.id}`, patchOp({ op: "replace", path: "active", value: false })), 403);
      assert.equal((await owner.api("GET", `/users/${admin.user.id}`)).body.deactivated, false);
    });

    it("refuses mappings to DMs, archived channels and channels of other orgs", async () => {
      const dm = (await owner.api("POST", "/dms", { userIds: [admin.user.id] })).body.id;
      const archived = (await owner.api("POST", "/channels", { kind: "public", name: "old" })).body.id;
      assert.equal((await owner.api("POST", `/channels/${archived}/archive`)).status, 200);
      const before = await snapshot(s);
      assert.equal((await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: null, channelIds: [dm] })).status, 400);
      assert.equal((await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: null, channelIds: [archived] })).status, 409);
      assert.equal((await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: null, channelIds: ["ch_elsewhere"] })).status, 404);
      assert.equal((await owner.api("PUT", "/scim/groups/grp_nothere/mapping", { role: null, channelIds: [] })).status, 404);
      assert.equal((await owner.api("PUT", `/scim/groups/${eng}/mapping`, { role: "owner", channelIds: [] })).status, 400);
      // An admin who is not in a private channel cannot map it.
      assert.equal((await admin.api("PUT", `/scim/groups/${eng}/mapping`, { role: "guest", channelIds: [ops] })).status, 404);
      assert.deepEqual(await snapshot(s), before);
    });

    it("deleting a group takes back what its mapping gave", async () => {
      await idp.req("PATCH", `/Groups/${eng}`, patchOp({ op: "add", path: "members", value: [{ value: ids.bob }] }));
      assert.equal(await roleOf(ids.bob), "guest");
      assert.ok((await channelMembers(general)).includes(ids.bob));
      assert.equal((await idp.req("DELETE", `/Groups/${eng}`)).status, 204);
      assert.equal(await roleOf(ids.bob), "member");
      assert.ok(!(await channelMembers(general)).includes(ids.bob));
      assert.deepEqual(
        (await owner.api("GET", "/scim/groups")).body.groups.map((g: { displayName: string }) => g.displayName),
        ["Parley Admins"],
      );
    });
  });
}
