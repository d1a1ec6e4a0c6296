/**
 * Org policies over the WebSocket follow the user's current identity: a connection resolves its
 * principal at `hello`, so when an admin changes a user's built-in role, or SCIM changes their
 * groups, the gateway closes their connections with 1012 (the SDK reconnects at once) and the
 * new connection is decided with the new role and groups — live frames and replay. Custom
 * roles are read from the org's cached state, so their change applies without a reconnect.
 * A connection whose attributes are not loaded yet while policies apply receives nothing.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../testing/factories.ts";
import { GROUP_SCHEMA, patchOp, scimClient, type ScimClient } from "../testing/scim.ts";
import { cachedAccessVersion, loadOrgAccess } from "../modules/access/org-access.ts";
import { connectUser, postText, type TestSocket } from "./test-client.ts";
import { policyAllowsRead } from "./channel-policy.ts";
import type { Conn } from "./connection.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CONFIDENTIAL = `forbid (principal, action == Action::"channel.read", resource)
when { principal.role == "guest" && resource.labels.contains("confidential") };`;
const CONTRACTORS = `forbid (principal, action == Action::"channel.read", resource)
when { principal.groups.contains("Contractors") && resource.labels.contains("confidential") };`;
const OUTSIDERS = `forbid (principal, action == Action::"channel.read", resource)
when { principal.customRoles.contains("outsider") && resource.labels.contains("confidential") };`;

/** Until this server's gateway has reloaded the org's access state after the last change. */
async function gatewayCaughtUp(s: TestServer, orgId: string): Promise<void> {
  const row = await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", orgId).executeTakeFirstOrThrow();
  for (let i = 0; i < 500 && (cachedAccessVersion(s.deps, orgId) ?? 0) < Number(row.access_version); i++) await sleep(10);
  assert.ok((cachedAccessVersion(s.deps, orgId) ?? 0) >= Number(row.access_version), "the gateway reloaded the org's access state");
}

/** The socket closes with 1012 "identity_changed" (within 5 s). */
async function renewed(sock: TestSocket): Promise<void> {
  const closed = await Promise.race([sock.closed, sleep(5000).then(() => null)]);
  assert.ok(closed, "the connection was closed");
  assert.deepEqual(closed, { code: CLOSE_CODES.serviceRestart, reason: "identity_changed" });
}

/** Seqs of a channel's events this socket received, replayed or live. */
function seqsOf(sock: TestSocket, channelId: string): number[] {
  return [
    ...sock
      .of("sync")
      .filter((f) => f.channelId === channelId)
      .flatMap((f) => f.events.map((e) => e.seq)),
    ...sock
      .of("event")
      .filter((f) => f.event.channelId === channelId)
      .map((f) => f.event.seq),
  ];
}

for (const dialect of DIALECTS) {
  describe(`policies follow a connected user's identity (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let mia: TestUser;
    let carl: TestUser;
    let otto: TestUser;
    let deals: string;
    let general: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      mia = await makeUser(s, owner, { username: "mia" });
      carl = await makeUser(s, owner, { username: "carl" });
      otto = await makeUser(s, owner, { username: "otto" });
      const members = [mia.user.id, carl.user.id, otto.user.id];
      const d = await owner.api("POST", "/channels", { kind: "private", name: "deals", members });
      assert.equal(d.status, 201);
      deals = d.body.id;
      const g = await owner.api("POST", "/channels", { kind: "private", name: "lunch", members });
      assert.equal(g.status, 201);
      general = g.body.id;
      assert.equal((await owner.api("PUT", `/channels/${deals}/labels`, { labels: ["confidential"] })).status, 200);
      for (const [name, text] of [
        ["confidential: no guests", CONFIDENTIAL],
        ["confidential: no contractors", CONTRACTORS],
        ["confidential: no outsiders", OUTSIDERS],
      ]) {
        assert.equal((await owner.api("POST", "/org/policies", { name, text })).status, 201);
      }
      await gatewayCaughtUp(s, owner.org.id);
    });
    after(() => s.stop());

    it("a member demoted to guest stops receiving the labelled channel (live and replay); promoted back, it flows again", async () => {
      const d1 = await postText(owner, deals, "before");
      const g1 = await postText(owner, general, "before");
      const ms = await connectUser(s.url, mia.accessToken, { channels: { [deals]: d1 - 1, [general]: g1 } });
      assert.deepEqual(seqsOf(ms, deals), [d1], "a member reads the labelled channel");

      // Demoted while connected: the connection is renewed before anything else is delivered.
      assert.equal((await owner.api("PUT", `/users/${mia.user.id}/role`, { role: "guest" })).status, 200);
      await renewed(ms);
      const d2 = await postText(owner, deals, "while a guest");
      const g2 = await postText(owner, general, "while a guest");
      assert.deepEqual(seqsOf(ms, deals), [d1], "the old connection got nothing more");
      assert.equal((await mia.api("GET", `/channels/${deals}/events?after=0`)).status, 403);

      // Reconnected (same token): replay skips the labelled channel, live frames of it do not come.
      const gs = await connectUser(s.url, mia.accessToken, { channels: { [deals]: d1, [general]: g1 } });
      assert.deepEqual(seqsOf(gs, deals), []);
      assert.deepEqual(seqsOf(gs, general), [g2]);
      const d3 = await postText(owner, deals, "still a guest");
      const g3 = await postText(owner, general, "still a guest");
      // Fan-out keeps the bus order: had d3 been sent, it would have come before g3.
      await gs.waitFor((f) => f.t === "event" && f.event.seq === g3 && f.event.channelId === general);
      assert.deepEqual(seqsOf(gs, deals), []);

      // Promoted back: renewed again; replay brings what it missed, live frames flow.
      assert.equal((await owner.api("PUT", `/users/${mia.user.id}/role`, { role: "member" })).status, 200);
      await renewed(gs);
      const ms2 = await connectUser(s.url, mia.accessToken, { channels: { [deals]: d1, [general]: g3 } });
      assert.deepEqual(seqsOf(ms2, deals), [d2, d3]);
      const d4 = await postText(owner, deals, "a member again");
      await ms2.waitFor((f) => f.t === "event" && f.event.seq === d4 && f.event.channelId === deals);

      // Setting the role it already has renews nothing.
      assert.equal((await owner.api("PUT", `/users/${mia.user.id}/role`, { role: "member" })).status, 200);
      const d5 = await postText(owner, deals, "same role");
      await ms2.waitFor((f) => f.t === "event" && f.event.seq === d5 && f.event.channelId === deals);
      assert.equal(ms2.ws.readyState, ms2.ws.OPEN);
      await ms2.close();
    });

    it("SCIM adding a user to a forbidden group (or renaming a group to it) takes effect on their open connection", async () => {
      const idp: ScimClient = await scimClient(s, owner);
      const d1 = await postText(owner, deals, "for carl");
      const cs = await connectUser(s.url, carl.accessToken, { channels: { [deals]: d1 - 1 } });
      assert.deepEqual(seqsOf(cs, deals), [d1]);
      // Another member connected meanwhile: a group change of carl's leaves otto's connection alone.
      const os = await connectUser(s.url, otto.accessToken, { channels: { [deals]: d1 } });

      const created = await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Contractors", members: [{ value: carl.user.id }] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await renewed(cs);
      const d2 = await postText(owner, deals, "contractors may not read");
      const g2 = await postText(owner, general, "lunch");
      assert.equal((await carl.api("GET", `/channels/${deals}/events?after=0`)).status, 403);
      const cs2 = await connectUser(s.url, carl.accessToken, { channels: { [deals]: d1, [general]: g2 - 1 } });
      assert.deepEqual(seqsOf(cs2, deals), []);
      assert.deepEqual(seqsOf(cs2, general), [g2]);
      const d3 = await postText(owner, deals, "still not");
      const g3 = await postText(owner, general, "still lunch");
      await cs2.waitFor((f) => f.t === "event" && f.event.seq === g3 && f.event.channelId === general);
      assert.deepEqual(seqsOf(cs2, deals), []);
      await os.waitFor((f) => f.t === "event" && f.event.seq === d3 && f.event.channelId === deals);
      assert.equal(os.ws.readyState, os.ws.OPEN, "otto's connection was not renewed");

      // Out of the group: renewed, and the channel's missed events replay.
      const out = await idp.req("PATCH", `/Groups/${created.body.id}`, patchOp({ op: "remove", path: `members[value eq "${carl.user.id}"]` }));
      assert.equal(out.status, 200, JSON.stringify(out.body));
      await renewed(cs2);
      const cs3 = await connectUser(s.url, carl.accessToken, { channels: { [deals]: d1 } });
      assert.deepEqual(seqsOf(cs3, deals), [d2, d3]);

      // A group renamed to "Contractors" changes principal.groups of its members: renewed too.
      assert.equal((await idp.req("DELETE", `/Groups/${created.body.id}`)).status, 204);
      const vendors = await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Vendors", members: [{ value: carl.user.id }] });
      assert.equal(vendors.status, 201);
      await renewed(cs3);
      const cs4 = await connectUser(s.url, carl.accessToken, { channels: { [deals]: d3 } });
      const d4 = await postText(owner, deals, "vendors may read");
      await cs4.waitFor((f) => f.t === "event" && f.event.seq === d4 && f.event.channelId === deals);
      const renamed = await idp.req("PATCH", `/Groups/${vendors.body.id}`, patchOp({ op: "replace", path: "displayName", value: "Contractors" }));
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await renewed(cs4);
      const d5 = await postText(owner, deals, "renamed");
      const cs5 = await connectUser(s.url, carl.accessToken, { channels: { [deals]: d4 } });
      assert.deepEqual(seqsOf(cs5, deals), []);
      assert.ok(d5 > d4);
      for (const x of [cs5, os]) await x.close();
    });

    it("a custom role a policy names applies to an open connection once the gateway reloads (no reconnect)", async () => {
      const role = await owner.api("POST", "/org/roles", { name: "outsider", permissions: [] });
      assert.equal(role.status, 201);
      await gatewayCaughtUp(s, owner.org.id);
      const d1 = await postText(owner, deals, "for otto");
      const os = await connectUser(s.url, otto.accessToken, { channels: { [deals]: d1 - 1 } });
      assert.deepEqual(seqsOf(os, deals), [d1]);
      assert.equal((await owner.api("PUT", `/users/${otto.user.id}/custom-roles`, { roleIds: [role.body.id] })).status, 200);
      await gatewayCaughtUp(s, owner.org.id);
      const d2 = await postText(owner, deals, "outsiders may not read");
      const g2 = await postText(owner, general, "lunch");
      await os.waitFor((f) => f.t === "event" && f.event.seq === g2 && f.event.channelId === general);
      assert.deepEqual(seqsOf(os, deals), [d1]);
      assert.ok(d2 > d1);
      assert.equal((await owner.api("PUT", `/users/${otto.user.id}/custom-roles`, { roleIds: [] })).status, 200);
      await gatewayCaughtUp(s, owner.org.id);
      const d3 = await postText(owner, deals, "welcome back");
      await os.waitFor((f) => f.t === "event" && f.event.seq === d3 && f.event.channelId === deals);
      await os.close();
    });

    it("while policies apply, a connection whose attributes are not loaded yet is refused every channel (not guessed)", async () => {
      const row = await s.deps.db.selectFrom("orgs").select("access_version").where("id", "=", owner.org.id).executeTakeFirstOrThrow();
      const state = await loadOrgAccess(s.deps.db, s.deps, owner.org.id, Number(row.access_version));
      const holder = { current: state };
      const connOf = (attrs: { groups: string[] } | null) =>
        ({
          principal: {
            kind: "device",
            orgId: owner.org.id,
            userId: carl.user.id,
            deviceId: "dev_x",
            sessionId: "ses_x",
            role: "member",
            access: { org: holder, attrs: attrs && { mfa: true, deviceApproved: true, ip: "127.0.0.1", ...attrs } },
          },
        }) as unknown as Conn;
      assert.equal(policyAllowsRead(connOf(null), deals), false, "unknown attributes: refused (a group forbid must not fail open)");
      assert.equal(policyAllowsRead(connOf(null), general), false);
      assert.equal(policyAllowsRead(connOf({ groups: [] }), deals), true);
      assert.equal(policyAllowsRead(connOf({ groups: ["Contractors"] }), deals), false);
      assert.equal(policyAllowsRead(connOf({ groups: ["Contractors"] }), general), true);
      // Without policies nothing is read: the fast path allows whatever the attributes.
      const none = { current: { ...state, policies: [], policySetId: null } };
      const plain = { principal: { ...connOf(null).principal!, access: { org: none, attrs: null } } } as unknown as Conn;
      assert.equal(policyAllowsRead(plain, deals), true);
    });
  });
}
