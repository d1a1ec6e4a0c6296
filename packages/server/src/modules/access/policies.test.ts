/**
 * Roles and policies (issue 10, done-means 4): a channel labelled "confidential" and the org
 * policy "guests may not read channels labelled confidential" — enforced over REST and the
 * WebSocket, listed by the dry-run; invalid and lock-out policies refused with nothing
 * written; another org sees and affects nothing; custom roles widen the built-in role.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, postText } from "../../gateway/test-client.ts";
import { cachedAccessVersion } from "./org-access.ts";
import { fetchFile, uploadFile } from "../../testing/files.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until this server's gateway has reloaded the org's access state after the last change (the bus message). */
async function gatewayCaughtUp(s: TestServer, orgId: string): Promise<void> {
  const row = await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", orgId).executeTakeFirstOrThrow();
  for (let i = 0; i < 500 && (cachedAccessVersion(s.deps, orgId) ?? 0) < Number(row.access_version); i++) await sleep(10);
  assert.ok((cachedAccessVersion(s.deps, orgId) ?? 0) >= Number(row.access_version), "the gateway reloaded the org's access state");
}
const CONFIDENTIAL = `forbid (principal, action == Action::"channel.read", resource)
when { principal.role == "guest" && resource.labels.contains("confidential") };`;

for (const dialect of DIALECTS) {
  describe(`roles and policies (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let guest: TestUser;
    let other: TestUser;
    let ch: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin", username: "ada" });
      member = await makeUser(s, owner, { username: "mia" });
      guest = await makeUser(s, owner, { role: "guest", username: "gus" });
      other = await makeOrg(s, "other");
      const r = await owner.api("POST", "/channels", { kind: "private", name: "deals", members: [member.user.id, guest.user.id] });
      assert.equal(r.status, 201);
      ch = r.body.id;
    });
    after(() => s.stop());

    it("labels a channel: validated, audited, shown in channel views; members and other orgs may not", async () => {
      assert.equal((await owner.api("PUT", `/channels/${ch}/labels`, { labels: ["Not OK"] })).status, 400);
      assert.equal((await owner.api("PUT", `/channels/${ch}/labels`, { labels: Array.from({ length: 9 }, (_, i) => `l${i}`) })).status, 400);
      assert.equal((await member.api("PUT", `/channels/${ch}/labels`, { labels: ["confidential"] })).status, 403);
      assert.equal((await other.api("PUT", `/channels/${ch}/labels`, { labels: ["confidential"] })).status, 404);
      const r = await owner.api("PUT", `/channels/${ch}/labels`, { labels: ["confidential", "deals", "confidential"] });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.labels, ["confidential", "deals"]);
      assert.deepEqual((await member.api("GET", `/channels/${ch}`)).body.labels, ["confidential", "deals"]);
      // A channel's own admin adds a label but may not take one away (that could lift a policy).
      const own = (await member.api("POST", "/channels", { kind: "private", name: "mias-room" })).body;
      assert.equal((await member.api("PUT", `/channels/${own.id}/labels`, { labels: ["confidential"] })).status, 200);
      const lift = await member.api("PUT", `/channels/${own.id}/labels`, { labels: [] });
      assert.equal(lift.status, 403);
      assert.match(lift.body.message, /only org admins may remove a label \(confidential\)/);
      assert.deepEqual((await member.api("GET", `/channels/${own.id}`)).body.labels, ["confidential"]);
      const audit = await owner.api("GET", "/audit?action=channel.labels.set");
      assert.deepEqual(
        (audit.body.entries as Array<{ details: { channelId: string } }>).map((e) => e.details.channelId),
        [own.id, ch],
      );
    });

    it("refuses policies that do not parse, permit, fail the schema or lock every admin out; nothing written", async () => {
      const before = await countRows(s, "org_policies");
      const bad = [
        "forbid (principal, action, resource",
        `permit (principal, action, resource);`,
        `forbid (principal, action, resource) when { resource.labelz.contains("x") };`,
        `${CONFIDENTIAL}\n${CONFIDENTIAL}`,
      ];
      for (const text of bad) {
        const r = await owner.api("POST", "/org/policies", { name: "bad", text });
        assert.equal(r.status, 400, text);
        assert.equal(r.body.code, "policy_invalid");
        assert.ok(r.body.details.problems.length > 0);
        const v = await owner.api("POST", "/org/policies/validate", { text });
        assert.equal(v.body.valid, false);
      }
      const lockOut = `forbid (principal, action == Action::"org.manage_security", resource) when { principal.role == "admin" || principal.role == "owner" };`;
      const r = await owner.api("POST", "/org/policies", { name: "no admins", text: lockOut });
      assert.equal(r.status, 409);
      assert.equal(r.body.code, "policy_lockout");
      // Requiring MFA of admins locks out an org none of whose admins has a second factor.
      const mfa = `forbid (principal, action == Action::"org.manage_security", resource) unless { principal.mfa };`;
      assert.equal((await owner.api("POST", "/org/policies", { name: "mfa", text: mfa })).body.code, "policy_lockout");
      // A lock-out that only sparing the owner avoids is fine.
      const spare = `forbid (principal, action == Action::"org.manage_security", resource) when { principal.role == "admin" };`;
      const ok = await owner.api("POST", "/org/policies", { name: "owners only", text: spare, enabled: false });
      assert.equal(ok.status, 201);
      assert.equal(await countRows(s, "org_policies"), before + 1);
      // A disabled lock-out may not be enabled either.
      const disabled = await owner.api("POST", "/org/policies", { name: "later", text: lockOut, enabled: false });
      assert.equal(disabled.status, 201);
      assert.equal((await owner.api("PATCH", `/org/policies/${disabled.body.id}`, { enabled: true })).body.code, "policy_lockout");
      assert.equal((await owner.api("DELETE", `/org/policies/${disabled.body.id}`)).status, 204);
      assert.equal((await owner.api("DELETE", `/org/policies/${ok.body.id}`)).status, 204);
      assert.equal(await countRows(s, "org_policies"), before);
      assert.equal((await member.api("POST", "/org/policies", { name: "x", text: CONFIDENTIAL })).status, 403);
      // Every refusal is an audit entry of its own: 4 invalid, 2 lock-outs on create, 1 on enable.
      const refused = (await owner.api("GET", "/audit?action=policy.refused")).body.entries as Array<{ result: string; details: Record<string, unknown> }>;
      assert.equal(refused.filter((e) => e.details.code === "policy_invalid").length, 4);
      assert.equal(refused.filter((e) => e.details.code === "policy_lockout").length, 3);
      assert.ok(refused.every((e) => e.result === "failure" && typeof e.details.reason === "string"));
      assert.deepEqual(refused.find((e) => e.details.policyId === disabled.body.id)?.details.policies, ["later"]);
    });

    it("guests may not read channels labelled confidential: REST and WebSocket; members still read; dry-run lists the guest", async () => {
      const seq0 = await postText(owner, ch, "before the policy");
      const fileId = await uploadFile(s, owner, ch, new Uint8Array(1000).fill(7));
      // Dry-run of the draft: the guest is the one affected.
      const dry = await owner.api("POST", "/org/policies/dry-run", { action: "channel.read", channelId: ch, draft: { text: CONFIDENTIAL } });
      assert.equal(dry.status, 200);
      assert.deepEqual(dry.body.affected, [guest.user.id]);
      const g = dry.body.users.find((u: { userId: string }) => u.userId === guest.user.id);
      assert.equal(g.allowed, true);
      assert.equal(g.allowedWithDraft, false);
      assert.deepEqual(g.deniedBy, ["(draft)"]);
      const gs = await connectUser(s.url, guest.accessToken);
      const ms = await connectUser(s.url, member.accessToken);

      const created = await admin.api("POST", "/org/policies", { name: "confidential: no guests", description: "done-means 4", text: CONFIDENTIAL });
      assert.equal(created.status, 201);
      assert.equal(created.body.enabled, true);
      assert.match(created.body.textHash, /^[0-9a-f]{64}$/);

      const refused = await guest.api("GET", `/channels/${ch}/events?after=0`);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.code, "forbidden");
      assert.match(refused.body.message, /confidential: no guests/);
      assert.equal((await member.api("GET", `/channels/${ch}/events?after=0`)).status, 200);
      // Nor its files' ciphertext.
      const file = await fetchFile(s, guest, fileId);
      assert.equal(file.status, 403);
      assert.equal(file.error.code, "forbidden");
      assert.equal((await fetchFile(s, member, fileId)).status, 200);

      // Live: the member gets the new event, the already-connected guest nothing.
      await gatewayCaughtUp(s, owner.org.id);
      const seq1 = await postText(owner, ch, "after the policy");
      await ms.waitFor((f) => f.t === "event" && f.event.seq === seq1);
      await sleep(150);
      assert.equal(gs.of("event").filter((f) => f.event.channelId === ch && f.event.seq === seq1).length, 0);
      // Replay: a new connection of the guest replays nothing of the channel; the member's does.
      const gs2 = await connectUser(s.url, guest.accessToken);
      assert.equal(gs2.of("event").filter((f) => f.event.channelId === ch).length, 0);
      assert.equal(gs2.of("sync").filter((f) => f.channelId === ch).length, 0);
      const ms2 = await connectUser(s.url, member.accessToken);
      const replayed = ms2
        .of("sync")
        .filter((f) => f.channelId === ch)
        .flatMap((f) => f.events.map((e) => e.seq));
      assert.deepEqual(replayed.slice(0, 1), [seq0], "the member's replay has the channel");

      // Dry-run now: the enabled policy denies the guest.
      const now = await owner.api("POST", "/org/policies/dry-run", { action: "channel.read", channelId: ch });
      assert.deepEqual(now.body.affected, [guest.user.id]);
      assert.deepEqual(now.body.users.find((u: { userId: string }) => u.userId === member.user.id).allowed, true);

      // The audit entry names the policy and its text's hash.
      const audit = await owner.api("GET", "/audit?action=policy.created");
      assert.equal(audit.body.entries[0].details.policyId, created.body.id);
      assert.equal(audit.body.entries[0].details.textHash, created.body.textHash);

      // Disabled: the guest reads again, live frames flow again.
      assert.equal((await owner.api("PATCH", `/org/policies/${created.body.id}`, { enabled: false })).status, 200);
      assert.equal((await guest.api("GET", `/channels/${ch}/events?after=0`)).status, 200);
      await gatewayCaughtUp(s, owner.org.id);
      const seq2 = await postText(owner, ch, "policy off");
      await gs.waitFor((f) => f.t === "event" && f.event.seq === seq2);
      assert.equal(((await owner.api("GET", "/audit?action=policy.disabled")).body.entries as unknown[]).length, 1);
      assert.equal((await owner.api("PATCH", `/org/policies/${created.body.id}`, { enabled: true })).status, 200);
      for (const x of [gs, ms, gs2, ms2]) await x.close();
    });

    it("a channel created or archived while policies are enabled moves the org's access version (gateways learn its kind)", async () => {
      const version = async () =>
        Number((await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", owner.org.id).executeTakeFirstOrThrow()).access_version);
      const v0 = await version();
      const r = await owner.api("POST", "/channels", { kind: "public", name: "town-square-2" });
      assert.equal(r.status, 201);
      assert.equal(await version(), v0 + 1);
      await gatewayCaughtUp(s, owner.org.id);
      assert.equal((await owner.api("POST", `/channels/${r.body.id}/archive`)).status, 200);
      assert.equal(await version(), v0 + 2);
      // Another org, without policies: nothing moves.
      const before = Number(
        (await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", other.org.id).executeTakeFirstOrThrow()).access_version,
      );
      assert.equal((await other.api("POST", "/channels", { kind: "public", name: "elsewhere" })).status, 201);
      const afterV = Number(
        (await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", other.org.id).executeTakeFirstOrThrow()).access_version,
      );
      assert.equal(afterV, before);
    });

    it("another org sees and affects nothing of this org's policies, labels and roles", async () => {
      const mine = (await owner.api("GET", "/org/policies")).body.policies;
      assert.ok(mine.length >= 1);
      assert.match((await owner.api("GET", "/org/policies")).body.schema, /entity Channel/);
      assert.deepEqual((await other.api("GET", "/org/policies")).body.policies, []);
      assert.equal((await other.api("PATCH", `/org/policies/${mine[0].id}`, { enabled: false })).status, 404);
      assert.equal((await other.api("DELETE", `/org/policies/${mine[0].id}`)).status, 404);
      assert.equal((await other.api("POST", "/org/policies/dry-run", { action: "channel.read", channelId: ch })).status, 404);
      assert.equal((await other.api("PUT", `/users/${guest.user.id}/custom-roles`, { roleIds: [] })).status, 404);
      // Org B's own policy does not touch org A.
      const b = await other.api("POST", "/org/policies", {
        name: "b",
        text: `forbid (principal, action == Action::"channel.read", resource);`.replace("resource)", 'resource) when { principal.role == "member" }'),
      });
      assert.equal(b.status, 201);
      assert.equal((await member.api("GET", `/channels/${ch}/events?after=0`)).status, 200);
      assert.equal((await (await makeUser(s, other)).api("GET", "/org/policies")).status, 403);
    });

    it("custom roles: catalogue subsets on top of the built-in role, visible to Cedar, audited; owner-only permissions refused", async () => {
      const cat = await owner.api("GET", "/org/roles");
      assert.equal(cat.status, 200);
      assert.equal(cat.body.catalogue.find((c: { permission: string }) => c.permission === "org.manage_admins").grantable, false);
      assert.equal((await owner.api("POST", "/org/roles", { name: "boss", permissions: ["org.manage_admins"] })).status, 403);
      // Nor who can sign in: a custom org.manage_security could mint a SCIM token with an admin's authority.
      assert.equal(cat.body.catalogue.find((c: { permission: string }) => c.permission === "org.manage_security").grantable, false);
      assert.equal((await owner.api("POST", "/org/roles", { name: "secops", permissions: ["org.manage_security"] })).status, 403);
      const roleRefusals = (await owner.api("GET", "/audit?action=role.refused")).body.entries as Array<{ details: Record<string, unknown> }>;
      assert.deepEqual(
        roleRefusals.map((e) => e.details.permissions),
        [["org.manage_security"], ["org.manage_admins"]],
      );
      assert.equal((await owner.api("POST", "/org/roles", { name: "admin", permissions: [] })).status, 400);
      const auditor = await owner.api("POST", "/org/roles", { name: "auditor", description: "reads the log", permissions: ["org.read_audit"] });
      assert.equal(auditor.status, 201);
      assert.equal((await owner.api("POST", "/org/roles", { name: "auditor", permissions: [] })).status, 409);
      assert.equal((await member.api("GET", "/audit")).status, 403);
      assert.equal((await member.api("PUT", `/users/${member.user.id}/custom-roles`, { roleIds: [auditor.body.id] })).status, 403);
      assert.equal((await owner.api("PUT", `/users/${member.user.id}/custom-roles`, { roleIds: [auditor.body.id] })).status, 200);
      assert.equal((await member.api("GET", "/audit")).status, 200, "the custom role grants org.read_audit");
      // Cedar sees it: a policy on principal.customRoles takes it away again.
      const pol = await owner.api("POST", "/org/policies", {
        name: "auditors off-hours",
        text: `forbid (principal, action == Action::"org.read_audit", resource) when { principal.customRoles.contains("auditor") };`,
      });
      assert.equal(pol.status, 201);
      const denied = await member.api("GET", "/audit");
      assert.equal(denied.status, 403);
      assert.match(denied.body.message, /auditors off-hours/);
      assert.equal((await owner.api("GET", "/audit")).status, 200);
      assert.equal((await owner.api("DELETE", `/org/policies/${pol.body.id}`)).status, 204);
      const listed = (await owner.api("GET", "/org/roles")).body.roles;
      assert.deepEqual(listed[0].memberIds, [member.user.id]);
      assert.equal((await owner.api("DELETE", `/org/roles/${auditor.body.id}`)).status, 204);
      assert.equal((await member.api("GET", "/audit")).status, 403);
      const entries = (await owner.api("GET", "/audit?action=role.")).body.entries.map((e: { action: string }) => e.action);
      assert.deepEqual(entries.sort(), ["role.created", "role.deleted", "role.refused", "role.refused"]);
      assert.equal((await other.api("GET", "/org/roles")).body.roles.length, 0);
    });
  });
}
