/**
 * Roles and policies, the edges (issue 10): the dry-run's input checks, org actions, drafts
 * that replace a policy, context overrides and the channel rules it reports per user; custom
 * roles that widen what a member or guest may do on real requests, their refusals and no-ops;
 * policies on the caller's address, the hour and MFA decided on real requests.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, makeOrg, makeUser, type AnyBody, type TestUser } from "../../testing/factories.ts";

interface DryUser {
  userId: string;
  allowed: boolean;
  allowedWithDraft: boolean;
  deniedBy: string[];
  reason: string | null;
  customRoles: string[];
}

const READ_AUDIT = `forbid (principal, action == Action::"org.read_audit", resource)`;

for (const dialect of DIALECTS) {
  describe(`roles and policies, edges (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let mia: TestUser;
    let max: TestUser;
    let guest: TestUser;
    let other: TestUser;
    let pub: string;
    let priv: string;
    let dm: string;
    let gdm: string;
    let archived: string;
    let otherCh: string;

    /** A dry-run as the owner; the answer's body. */
    const dry = async (body: Record<string, unknown>): Promise<{ channelId: string | null; users: DryUser[]; affected: string[] }> => {
      const r = await owner.api("POST", "/org/policies/dry-run", body);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    };
    const of = (res: { users: DryUser[] }, u: TestUser): DryUser => res.users.find((x) => x.userId === u.user.id)!;
    /** Each user's decision as `allowed` or the reason given. */
    const decisions = async (action: string, channelId: string, users: TestUser[]) => {
      const res = await dry({ action, channelId });
      return users.map((u) => (of(res, u).allowed ? "allowed" : of(res, u).reason));
    };
    const version = async () =>
      Number((await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", owner.org.id).executeTakeFirstOrThrow()).access_version);
    const audited = async (action: string) => (await owner.api("GET", `/audit?action=${action}`)).body.entries as Array<{ details: AnyBody }>;
    const from = (u: TestUser, ip: string) => call(s, "GET", "/audit", undefined, { authorization: `Bearer ${u.accessToken}`, "x-forwarded-for": ip });

    before(async () => {
      // Behind a reverse proxy: X-Forwarded-For is the caller's address policies see (context.ip).
      s = await startTestServer({ dialect, config: { trustProxy: true } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin", username: "ada" });
      mia = await makeUser(s, owner, { username: "mia" });
      max = await makeUser(s, owner, { username: "max" });
      guest = await makeUser(s, owner, { role: "guest", username: "gus" });
      other = await makeOrg(s, "other");
      const make = async (u: TestUser, path: string, body: unknown) => {
        const r = await u.api("POST", path, body);
        assert.ok(r.status === 201 || r.status === 200, JSON.stringify(r.body));
        return r.body.id as string;
      };
      pub = await make(owner, "/channels", { kind: "public", name: "town", members: [mia.user.id] });
      priv = await make(owner, "/channels", { kind: "private", name: "deals", members: [mia.user.id, guest.user.id] });
      assert.equal((await owner.api("PUT", `/channels/${priv}/members/${mia.user.id}/role`, { role: "moderator" })).status, 200);
      dm = await make(owner, "/dms", { userIds: [mia.user.id] });
      gdm = await make(owner, "/dms", { userIds: [mia.user.id, guest.user.id] });
      archived = await make(owner, "/channels", { kind: "public", name: "old", members: [mia.user.id] });
      assert.equal((await owner.api("PUT", `/channels/${archived}/members/${mia.user.id}/role`, { role: "reader" })).status, 200);
      assert.equal((await owner.api("POST", `/channels/${archived}/archive`)).status, 200);
      otherCh = await make(other, "/channels", { kind: "public", name: "elsewhere" });
    });
    after(() => s.stop());

    it("dry-run refuses what it cannot answer: channel action without a channel, org action with one, bad drafts, unknown or foreign channels and policies", async () => {
      const theirs = await other.api("POST", "/org/policies", { name: "theirs", text: `${READ_AUDIT};`, enabled: false });
      assert.equal(theirs.status, 201);
      const before = await countRows(s, "org_policies");
      const bad = await owner.api("POST", "/org/policies/dry-run", { action: "channel.read" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "bad_request");
      assert.match(bad.body.message, /channel\.read is a channel action/);
      const orgWithChannel = await owner.api("POST", "/org/policies/dry-run", { action: "org.read_audit", channelId: pub });
      assert.equal(orgWithChannel.status, 400);
      assert.match(orgWithChannel.body.message, /org\.read_audit is an org action/);
      const invalid = await owner.api("POST", "/org/policies/dry-run", { action: "org.read_audit", draft: { text: "permit (principal, action, resource);" } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, "policy_invalid");
      assert.equal((await owner.api("POST", "/org/policies/dry-run", { action: "channel.read", channelId: "ch_nope" })).status, 404);
      // Another org's channel and another org's policy look like missing ones.
      const foreign = await owner.api("POST", "/org/policies/dry-run", { action: "channel.read", channelId: otherCh });
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, "not_found");
      for (const replaces of ["pol_nope", theirs.body.id]) {
        const r = await owner.api("POST", "/org/policies/dry-run", { action: "org.read_audit", draft: { text: `${READ_AUDIT};`, replaces } });
        assert.equal(r.status, 404, replaces);
      }
      // Only security admins ask.
      assert.equal((await mia.api("POST", "/org/policies/dry-run", { action: "org.read_audit" })).status, 403);
      assert.equal(await countRows(s, "org_policies"), before, "a dry-run stores nothing");
    });

    it("dry-run of an org action: the org is the resource; the role matrix's refusals are not policy denials", async () => {
      const res = await dry({ action: "org.read_audit" });
      assert.equal(res.channelId, null);
      assert.equal(res.users.length, 5);
      assert.equal(of(res, owner).allowed, true);
      assert.equal(of(res, admin).allowed, true);
      assert.equal(of(res, mia).allowed, false);
      assert.equal(of(res, mia).reason, "your role (member) may not org.read_audit");
      assert.deepEqual(of(res, mia).deniedBy, []);
      assert.deepEqual(res.affected, [], "without a draft only policy denials count");
      const draft = await dry({ action: "org.read_audit", draft: { text: `${READ_AUDIT} when { principal.role == "admin" };` } });
      assert.deepEqual(draft.affected, [admin.user.id]);
      assert.deepEqual(of(draft, admin).deniedBy, ["(draft)"]);
      assert.match(of(draft, admin).reason!, /policy "\(draft\)" forbids org\.read_audit/);
    });

    it("dry-run context overrides: hour, weekday, address (mapped and unreadable ones too), MFA and device approval", async () => {
      const admins = [admin.user.id, owner.user.id].sort();
      const affected = async (text: string, context?: Record<string, unknown>) =>
        (await dry({ action: "org.read_audit", draft: { text }, ...(context ? { context } : {}) })).affected.sort();
      const nights = `${READ_AUDIT} when { context.hour >= 22 || context.hour < 6 };`;
      assert.deepEqual(await affected(nights, { hour: 23 }), admins);
      assert.deepEqual(await affected(nights, { hour: 12 }), []);
      const weekends = `${READ_AUDIT} when { context.weekday == 0 || context.weekday == 6 };`;
      assert.deepEqual(await affected(weekends, { weekday: 6, hour: 12 }), admins);
      assert.deepEqual(await affected(weekends, { weekday: 3 }), []);
      const office = `${READ_AUDIT} unless { context.ip.isInRange(ip("10.0.0.0/8")) };`;
      assert.deepEqual(await affected(office, { ip: "10.1.2.3" }), []);
      assert.deepEqual(await affected(office, { ip: "::ffff:10.1.2.3" }), [], "an IPv4-mapped address is its IPv4 address");
      assert.deepEqual(await affected(office, { ip: "192.168.7.7" }), admins);
      assert.deepEqual(await affected(office, { ip: "not an address" }), admins, "an unreadable address is 0.0.0.0");
      assert.deepEqual(await affected(office), admins, "the default address is 0.0.0.0");
      const mfa = `${READ_AUDIT} unless { principal.mfa };`;
      assert.deepEqual(await affected(mfa), admins, "nobody here has a second factor enrolled");
      assert.deepEqual(await affected(mfa, { mfa: true }), []);
      const device = `${READ_AUDIT} unless { principal.deviceApproved };`;
      assert.deepEqual(await affected(device), [], "devices are assumed approved");
      assert.deepEqual(await affected(device, { deviceApproved: false }), admins);
    });

    it("dry-run of a draft that replaces a policy: an enabled one is taken out, a disabled one is found and stands in", async () => {
      const guestsOut = `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "guest" };`;
      const p = await owner.api("POST", "/org/policies", { name: "no guests", text: guestsOut });
      assert.equal(p.status, 201);
      const harmless = `forbid (principal, action == Action::"channel.read", resource) when { resource.labels.contains("nothing-here") };`;
      // Replacing the enabled policy by a harmless text lets the guest read again.
      const edit = await dry({ action: "channel.read", channelId: priv, draft: { text: harmless, replaces: p.body.id } });
      assert.deepEqual(edit.affected, [guest.user.id]);
      assert.equal(of(edit, guest).allowed, false);
      assert.equal(of(edit, guest).allowedWithDraft, true);
      assert.deepEqual(of(edit, guest).deniedBy, []);
      // Adding (not replacing) keeps the enabled one in force: nothing changes.
      assert.deepEqual((await dry({ action: "channel.read", channelId: priv, draft: { text: harmless } })).affected, []);
      // Disabled: the draft editing it is what it would be when enabled again.
      assert.equal((await owner.api("PATCH", `/org/policies/${p.body.id}`, { enabled: false })).status, 200);
      const reenable = await dry({ action: "channel.read", channelId: priv, draft: { text: guestsOut, replaces: p.body.id } });
      assert.deepEqual(reenable.affected, [guest.user.id]);
      assert.equal(of(reenable, guest).allowed, true);
      assert.equal(of(reenable, guest).allowedWithDraft, false);
      assert.equal((await owner.api("DELETE", `/org/policies/${p.body.id}`)).status, 204);
    });

    it("dry-run reports the channel rules per user: browsing public channels, readers, archives, DMs, group DMs, moderators, org admins", async () => {
      const all = [owner, admin, mia, max, guest];
      const res = await dry({ action: "channel.read", channelId: pub });
      assert.equal(res.channelId, pub);
      // Members of the org browse public channels; guests must be invited.
      assert.deepEqual(await decisions("channel.read", pub, all), ["allowed", "allowed", "allowed", "allowed", "join the channel first"]);
      assert.deepEqual(await decisions("channel.post", pub, [mia, max]), ["allowed", "join the channel first"]);
      assert.deepEqual(await decisions("channel.invite", pub, [mia, max, admin]), [
        "allowed",
        "only channel admins and moderators may invite to this channel",
        "allowed",
      ]);
      // The archived channel, where mia is a reader.
      assert.deepEqual(await decisions("channel.post", archived, [owner, mia]), [
        "the channel is archived; unarchive it to post",
        "readers of this channel may not post",
      ]);
      assert.deepEqual(await decisions("channel.invite", archived, [owner]), ["the channel is archived"]);
      // A DM: its members name it; nobody invites, removes or deletes others' messages; others do not see it.
      assert.deepEqual(await decisions("channel.manage", dm, [mia, max]), ["allowed", "channel not found"]);
      assert.deepEqual(await decisions("channel.invite", dm, [owner]), ["a DM has exactly two members; open a group DM instead"]);
      assert.deepEqual(await decisions("channel.kick", dm, [owner]), ["members cannot be removed from a DM"]);
      assert.deepEqual(await decisions("channel.moderate", dm, [owner]), ["only the sender may delete this"]);
      assert.deepEqual(await decisions("channel.read", dm, [admin]), ["channel not found"]);
      // A group DM: any member (a guest too) adds people; nobody removes them.
      assert.deepEqual(await decisions("channel.invite", gdm, [guest, max]), ["allowed", "channel not found"]);
      assert.deepEqual(await decisions("channel.kick", gdm, [owner]), ["members cannot be removed from a DM"]);
      // A private channel: its moderator removes members, a plain member does not; an org admin manages it unseen.
      assert.deepEqual(await decisions("channel.kick", priv, [mia, guest, admin, max]), [
        "allowed",
        "only channel admins and moderators may do this",
        "allowed",
        "channel not found",
      ]);
      assert.deepEqual(await decisions("channel.invite", priv, [mia, guest]), ["allowed", "only channel admins and moderators may invite to this channel"]);
      assert.deepEqual(await decisions("channel.manage", priv, [mia, admin, max]), ["only channel admins may do this", "allowed", "channel not found"]);
      assert.deepEqual(await decisions("channel.read", priv, [admin]), ["channel not found"]);
    });

    it("custom roles widen real requests: channel.manage_any manages a private channel one is not in (but does not read it); channel.browse lets a guest read public channels", async () => {
      assert.equal((await max.api("PATCH", `/channels/${priv}`, { topic: "by max" })).status, 404);
      assert.equal((await guest.api("GET", `/channels/${pub}/events?after=0`)).status, 403);
      const ops = await owner.api("POST", "/org/roles", { name: "chan-ops", permissions: ["channel.manage_any"] });
      const browse = await owner.api("POST", "/org/roles", { name: "browser", permissions: ["channel.browse"] });
      assert.equal(ops.status, 201);
      assert.equal(browse.status, 201);
      assert.equal((await owner.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [ops.body.id] })).status, 200);
      assert.equal((await owner.api("PUT", `/users/${guest.user.id}/custom-roles`, { roleIds: [browse.body.id, browse.body.id] })).status, 200);

      const renamed = await max.api("PATCH", `/channels/${priv}`, { topic: "by max" });
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.topic, "by max");
      assert.equal((await max.api("GET", `/channels/${priv}/events?after=0`)).status, 404, "managing is not reading");
      assert.equal((await max.api("DELETE", `/channels/${priv}/members/${guest.user.id}`)).status, 204);
      assert.equal((await guest.api("GET", `/channels/${pub}/events?after=0`)).status, 200);
      // The dry-run names the custom roles and agrees.
      const res = await dry({ action: "channel.kick", channelId: priv });
      assert.deepEqual(of(res, max).customRoles, ["chan-ops"]);
      assert.equal(of(res, max).allowed, true);
      assert.deepEqual(await decisions("channel.read", pub, [guest]), ["allowed"]);

      // Taken away: back to the built-in role.
      assert.equal((await owner.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [] })).status, 200);
      assert.equal((await owner.api("DELETE", `/org/roles/${browse.body.id}`)).status, 204);
      assert.equal((await max.api("PATCH", `/channels/${priv}`, { topic: "again" })).status, 404);
      assert.equal((await guest.api("GET", `/channels/${pub}/events?after=0`)).status, 403);
      const removed = (await audited("user.custom_roles.set")).find((e) => e.details.userId === max.user.id && e.details.removed.length > 0);
      assert.deepEqual(removed?.details.removed, [ops.body.id]);
      assert.equal((await owner.api("DELETE", `/org/roles/${ops.body.id}`)).status, 204);
      assert.equal((await owner.api("POST", `/channels/${priv}/members`, { userIds: [guest.user.id] })).status, 200);
    });

    it("custom roles: renames, clashes, unknown and foreign roles and users, no-op sets; nothing written on refusal", async () => {
      const a = (await owner.api("POST", "/org/roles", { name: "auditor", permissions: ["org.read_audit"] })).body;
      const b = (await owner.api("POST", "/org/roles", { name: "inviter", permissions: ["org.invite"] })).body;
      const clash = await owner.api("PATCH", `/org/roles/${b.id}`, { name: "auditor" });
      assert.equal(clash.status, 409);
      assert.equal(clash.body.code, "already_exists");
      // Same name, new description; then new permissions: audited with the previous ones.
      const same = await owner.api("PATCH", `/org/roles/${b.id}`, { name: "inviter", description: "sends invites" });
      assert.equal(same.status, 200);
      assert.equal(same.body.description, "sends invites");
      assert.deepEqual(same.body.permissions, ["org.invite"]);
      const widened = await owner.api("PATCH", `/org/roles/${b.id}`, { permissions: ["org.list_users", "org.invite", "org.invite"] });
      assert.equal(widened.status, 200);
      assert.deepEqual(widened.body.permissions, ["org.invite", "org.list_users"]);
      const upd = (await audited("role.updated")).find((e) => e.details.roleId === b.id && e.details.previousPermissions.length === 1);
      assert.deepEqual(upd?.details.previousPermissions, ["org.invite"]);
      const reserved = await owner.api("PATCH", `/org/roles/${b.id}`, { permissions: ["org.manage_security"] });
      assert.equal(reserved.status, 403);
      assert.equal((await owner.api("GET", "/org/roles")).body.roles.find((r: { id: string }) => r.id === b.id).permissions.length, 2);

      // Unknown and foreign ids are all "not found".
      const theirRole = (await other.api("POST", "/org/roles", { name: "theirs", permissions: [] })).body;
      for (const id of ["rol_nope", theirRole.id]) {
        assert.equal((await owner.api("PATCH", `/org/roles/${id}`, { name: "x" })).status, 404);
        assert.equal((await owner.api("DELETE", `/org/roles/${id}`)).status, 404);
        assert.equal((await owner.api("PUT", `/users/${mia.user.id}/custom-roles`, { roleIds: [a.id, id] })).status, 404);
      }
      for (const id of ["usr_nope", other.user.id]) assert.equal((await owner.api("PUT", `/users/${id}/custom-roles`, { roleIds: [a.id] })).status, 404);
      assert.equal(await countRows(s, "org_role_members"), 0);

      // Setting what is already held changes nothing: no version bump, no audit entry.
      assert.equal((await owner.api("PUT", `/users/${mia.user.id}/custom-roles`, { roleIds: [a.id] })).status, 200);
      const v = await version();
      const sets = (await audited("user.custom_roles.set")).length;
      const again = await owner.api("PUT", `/users/${mia.user.id}/custom-roles`, { roleIds: [a.id, a.id] });
      assert.equal(again.status, 200);
      assert.deepEqual(again.body.roleIds, [a.id]);
      assert.equal(await version(), v);
      assert.equal((await audited("user.custom_roles.set")).length, sets);
      // Swapping one role for another: both sides recorded.
      assert.equal((await owner.api("PUT", `/users/${mia.user.id}/custom-roles`, { roleIds: [b.id] })).status, 200);
      const swap = (await audited("user.custom_roles.set"))[0]!.details;
      assert.deepEqual([swap.added, swap.removed], [[b.id], [a.id]]);
      // Deleting a held role counts its holders.
      assert.equal((await owner.api("DELETE", `/org/roles/${b.id}`)).status, 204);
      assert.equal((await audited("role.deleted")).find((e) => e.details.roleId === b.id)?.details.holders, 1);
      assert.equal((await owner.api("DELETE", `/org/roles/${a.id}`)).status, 204);
    });

    it("a custom holder of org.manage_roles grants only what they hold: no climbing through create, update, delete or assignment", async () => {
      const mgr = (await owner.api("POST", "/org/roles", { name: "role-admin", permissions: ["org.manage_roles"] })).body;
      const auditor = (await owner.api("POST", "/org/roles", { name: "auditor", permissions: ["org.read_audit"] })).body;
      assert.equal((await owner.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [mgr.id] })).status, 200);
      const before = await countRows(s, "org_roles");

      const create = await max.api("POST", "/org/roles", { name: "sneaky", permissions: ["org.read_audit"] });
      assert.equal(create.status, 403);
      assert.match(create.body.message, /you may not grant org\.read_audit: you do not hold it yourself/);
      assert.equal((await max.api("PATCH", `/org/roles/${auditor.id}`, { name: "renamed" })).status, 403, "changing a role is granting what it holds");
      assert.equal((await max.api("DELETE", `/org/roles/${auditor.id}`)).status, 403);
      assert.equal((await max.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [mgr.id, auditor.id] })).status, 403);
      assert.equal((await max.api("GET", "/audit")).status, 403);
      assert.equal(await countRows(s, "org_roles"), before);
      const refusals = await audited("user.custom_roles.refused");
      assert.deepEqual(refusals[0]!.details.roleIds, [auditor.id, mgr.id].sort());

      // What max holds, max may hand out.
      const lister = await max.api("POST", "/org/roles", { name: "lister", permissions: ["org.list_users", "channel.browse"] });
      assert.equal(lister.status, 201);
      assert.equal((await max.api("PUT", `/users/${guest.user.id}/custom-roles`, { roleIds: [lister.body.id] })).status, 200);
      assert.equal((await max.api("DELETE", `/org/roles/${lister.body.id}`)).status, 204);
      assert.equal((await owner.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [] })).status, 200);
      assert.equal((await max.api("GET", "/org/roles")).status, 403);
      assert.equal((await owner.api("DELETE", `/org/roles/${mgr.id}`)).status, 204);
      assert.equal((await owner.api("DELETE", `/org/roles/${auditor.id}`)).status, 204);
    });

    it("a guest holding org.manage_roles through a custom role cannot raise a built-in role above their own (no climbing through PUT /users/:id/role)", async () => {
      const mgr = (await owner.api("POST", "/org/roles", { name: "guest-roles", permissions: ["org.manage_roles"] })).body;
      assert.equal((await owner.api("PUT", `/users/${guest.user.id}/custom-roles`, { roleIds: [mgr.id] })).status, 200);
      const v = await version();
      const climb = await guest.api("PUT", `/users/${guest.user.id}/role`, { role: "member" });
      assert.equal(climb.status, 403, JSON.stringify(climb.body));
      assert.match(climb.body.message, /you may not grant channel\.(create_public|create_private|browse)/);
      // Nor take from a member what the guest does not hold.
      assert.equal((await guest.api("PUT", `/users/${mia.user.id}/role`, { role: "guest" })).status, 403);
      const roles = await s.deps.db.selectFrom("users").select(["id", "role"]).where("id", "in", [guest.user.id, mia.user.id]).execute();
      assert.deepEqual(Object.fromEntries(roles.map((r) => [r.id, r.role])), { [guest.user.id]: "guest", [mia.user.id]: "member" });
      assert.equal(await version(), v);
      // A member holding it changes guests and members: nothing the member does not hold changes hands.
      assert.equal((await owner.api("PUT", `/users/${max.user.id}/custom-roles`, { roleIds: [mgr.id] })).status, 200);
      assert.equal((await max.api("PUT", `/users/${guest.user.id}/role`, { role: "member" })).status, 200);
      assert.equal((await max.api("PUT", `/users/${guest.user.id}/role`, { role: "guest" })).status, 200);
      assert.equal((await max.api("PUT", `/users/${admin.user.id}/role`, { role: "member" })).status, 403, "admins stay with owners");
      for (const u of [guest, max]) assert.equal((await owner.api("PUT", `/users/${u.user.id}/custom-roles`, { roleIds: [] })).status, 200);
      assert.equal((await owner.api("DELETE", `/org/roles/${mgr.id}`)).status, 204);
    });

    it("policies decide on real requests with the caller's address, the hour and MFA; renames checked, edits audited as updates", async () => {
      const office = await owner.api("POST", "/org/policies", {
        name: "admins from the office",
        text: `${READ_AUDIT} when { principal.role == "admin" } unless { context.ip.isInRange(ip("10.0.0.0/8")) };`,
      });
      assert.equal(office.status, 201);
      assert.equal((await from(admin, "10.1.2.3")).status, 200);
      assert.equal((await from(admin, "::ffff:10.1.2.3")).status, 200, "an IPv4-mapped address is its IPv4 address");
      const away = await from(admin, "192.168.7.7");
      assert.equal(away.status, 403);
      assert.match(away.body.message, /"admins from the office" forbids org\.read_audit/);
      assert.equal((await admin.api("GET", "/audit")).status, 403, "127.0.0.1 is not the office");
      assert.equal((await from(owner, "192.168.7.7")).status, 200);

      // Renaming to a taken name is refused; to its own name is fine.
      const second = await owner.api("POST", "/org/policies", { name: "second", text: `${READ_AUDIT} when { principal.role == "guest" };`, enabled: false });
      const taken = await owner.api("PATCH", `/org/policies/${second.body.id}`, { name: "admins from the office" });
      assert.equal(taken.status, 409);
      assert.equal(taken.body.code, "already_exists");
      assert.equal((await owner.api("PATCH", `/org/policies/${second.body.id}`, { name: "second", description: "kept" })).status, 200);
      assert.equal((await owner.api("POST", "/org/policies", { name: "second", text: `${READ_AUDIT};`, enabled: false })).status, 409);

      // The hour and weekday: frozen so the test decides them (the org's state reads the clock it was loaded with).
      const realNow = s.deps.now;
      const frozen = realNow();
      s.deps.now = () => frozen;
      try {
        const h = new Date(frozen).getUTCHours();
        const wd = new Date(frozen).getUTCDay();
        const text = (hour: number) => `${READ_AUDIT} when { principal.role == "admin" && context.hour == ${hour} && context.weekday == ${wd} };`;
        const upd = await owner.api("PATCH", `/org/policies/${office.body.id}`, { text: text(h) });
        assert.equal(upd.status, 200);
        assert.equal((await from(admin, "10.1.2.3")).status, 403, "this hour is forbidden, wherever from");
        assert.equal((await owner.api("PATCH", `/org/policies/${office.body.id}`, { text: text((h + 1) % 24) })).status, 200);
        assert.equal((await from(admin, "192.168.7.7")).status, 200);
        const edits = (await audited("policy.updated")).filter((e) => e.details.policyId === office.body.id);
        assert.equal(edits.length, 2);
        assert.notEqual(edits[0]!.details.textHash, edits[0]!.details.previousTextHash);
        // An invalid edit is refused and changes nothing.
        const invalid = await owner.api("PATCH", `/org/policies/${office.body.id}`, { text: "forbid (principal, action, resource" });
        assert.equal(invalid.status, 400);
        assert.equal((await owner.api("GET", "/org/policies")).body.policies[0].text, text((h + 1) % 24));
      } finally {
        s.deps.now = realNow;
      }

      // MFA: a password session has no second factor.
      const mfa = await owner.api("PATCH", `/org/policies/${office.body.id}`, {
        text: `${READ_AUDIT} when { principal.role == "admin" } unless { principal.mfa };`,
      });
      assert.equal(mfa.status, 200);
      assert.equal((await admin.api("GET", "/audit")).status, 403);
      assert.equal(of(await dry({ action: "org.read_audit", context: { mfa: true } }), admin).allowed, true);
      for (const id of [office.body.id, second.body.id]) assert.equal((await owner.api("DELETE", `/org/policies/${id}`)).status, 204);
      assert.equal((await admin.api("GET", "/audit")).status, 200);
    });

    it("validation names templates and locates schema errors", async () => {
      const tpl = await owner.api("POST", "/org/policies/validate", { text: `forbid (principal == ?principal, action, resource);` });
      assert.equal(tpl.body.valid, false);
      assert.match(tpl.body.problems[0].message, /templates/);
      const unknown = await owner.api("POST", "/org/policies/validate", {
        text: `forbid (principal, action == Action::"channel.read", resource)\nwhen { principal.nope };`,
      });
      assert.equal(unknown.body.valid, false);
      assert.equal(unknown.body.problems[0].at.line, 2);
      assert.ok(unknown.body.problems.every((p: { help: unknown }) => p.help === null || typeof p.help === "string"));
      assert.deepEqual((await owner.api("POST", "/org/policies/validate", { text: `${READ_AUDIT};` })).body, { valid: true, problems: [] });
    });
  });
}
