/**
 * Done-means of SCIM (issue 10): a deprovision through SCIM removes the user's devices from
 * the MLS groups. Over a real server on both dialects with REAL groups: a user provisioned
 * by SCIM signs in on two devices and is in a public and a private channel's group; the
 * identity provider sets active=false (and, for another user, DELETEs): every session ends,
 * and the server's Remove proposals for every one of their devices appear in every
 * channel's timeline; a member commits them and the leaves are gone.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { commitPendingProposals, groupInfoMembers, hasPendingProposals } from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, loginUser, type TestUser } from "../../testing/factories.ts";
import {
  addUsers,
  bytes,
  groupOf,
  initChannel,
  joinFromStream,
  mlsClient,
  postBundle,
  sync,
  waitForProposal,
  type MlsClient,
} from "../../testing/mls-clients.ts";
import { patchOp, scimClient, USER_SCHEMA } from "../../testing/scim.ts";

const PASSWORD = "a long enough passphrase";

async function groupInfo(u: TestUser, channelId: string) {
  const r = await u.api("GET", `/channels/${channelId}/group-info`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { epoch: number; groupInfo: string; pendingRemovals: Array<{ deviceId: string; proposalSeq: number | null }> };
}

const devicesIn = async (u: TestUser, channelId: string) =>
  groupInfoMembers(bytes((await groupInfo(u, channelId)).groupInfo)).map((l) => (l.identity.kind === "device" ? l.identity.deviceId : "?"));

/** The owner makes the channel with `users`, inits its group and adds every device of theirs; each device joins. */
async function channelWith(owner: MlsClient, devices: MlsClient[], users: string[], kind: "public" | "private", name: string): Promise<string> {
  const ch = await owner.user.api("POST", "/channels", { kind, name, members: users });
  assert.equal(ch.status, 201, JSON.stringify(ch.body));
  const channelId: string = ch.body.id;
  assert.equal((await initChannel(owner, channelId)).status, 200);
  const { res } = await addUsers(owner, channelId, users);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  for (const d of devices) await joinFromStream(d, channelId);
  return channelId;
}

for (const dialect of DIALECTS) {
  test(`SCIM deprovisioning ends sessions and the server proposes removing every device from every group (${dialect})`, { timeout: 180_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server, { orgSlug: "bank" });
      const idp = await scimClient(server, owner);
      const dana = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "dana@bank.example", password: PASSWORD, displayName: "Dana" });
      assert.equal(dana.status, 201, JSON.stringify(dana.body));
      const erin = await idp.req("POST", "/Users", { schemas: [USER_SCHEMA], userName: "erin@bank.example", password: PASSWORD, displayName: "Erin" });
      const signIn = async (username: string, device: string) =>
        asTestUser(server, await loginUser(server, "bank", username, PASSWORD, { deviceName: device }), PASSWORD);
      const [laptop, phone, erinLaptop] = await Promise.all([signIn("dana", "laptop"), signIn("dana", "phone"), signIn("erin", "laptop")]);
      const [o, d1, d2, e1] = await Promise.all([mlsClient(owner), mlsClient(laptop), mlsClient(phone), mlsClient(erinLaptop)]);
      const users = [dana.body.id as string, erin.body.id as string];
      const pub = await channelWith(o, [d1, d2, e1], users, "public", "town-square");
      const priv = await channelWith(o, [d1, d2, e1], users, "private", "treasury");
      const danaDevices = [laptop.tokens.deviceId, phone.tokens.deviceId].sort();
      for (const ch of [pub, priv]) assert.deepEqual((await devicesIn(owner, ch)).filter((d) => danaDevices.includes(d)).sort(), danaDevices);

      // The identity provider deprovisions dana (Okta's form).
      const off = await idp.req("PATCH", `/Users/${dana.body.id}`, patchOp({ op: "replace", value: { active: false } }));
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.active, false);
      // Every session of hers has ended.
      for (const device of [laptop, phone]) assert.equal((await device.api("GET", "/me")).status, 401);
      assert.equal((await call(server, "POST", "/auth/login", { org: "bank", username: "dana", password: PASSWORD })).status, 401, "nor sign in again");
      // In every channel, the server's Remove proposals for each of her devices are in the timeline.
      for (const ch of [pub, priv]) {
        const proposal = await waitForProposal(owner, ch, 1);
        assert.equal(proposal.senderId, "server");
        const events = (await owner.api("GET", `/channels/${ch}/events?after=0&limit=200`)).body.events as Array<{
          kind: string;
          senderId: string;
          seq: number;
        }>;
        const proposals = events.filter((e) => e.kind === "proposal" && e.senderId === "server");
        const pending = (await groupInfo(owner, ch)).pendingRemovals;
        assert.deepEqual(pending.map((r) => r.deviceId).sort(), danaDevices, "both devices pending removal");
        assert.ok(
          pending.every((r) => r.proposalSeq !== null && proposals.some((p) => p.seq === r.proposalSeq)),
          "each proposed in the timeline",
        );
        // A member commits them: dana's leaves are gone from the group.
        await sync(o, ch);
        assert.ok(hasPendingProposals(groupOf(o, ch)));
        const r = await postBundle(o, ch, await commitPendingProposals(groupOf(o, ch)));
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const left = await devicesIn(owner, ch);
        assert.ok(
          danaDevices.every((d) => !left.includes(d)),
          "dana's devices left the group",
        );
        assert.ok(left.includes(erinLaptop.tokens.deviceId));
        assert.deepEqual((await groupInfo(owner, ch)).pendingRemovals, []);
      }
      const audit = await server.deps.db.selectFrom("audit_log").select(["action", "actor_kind"]).where("target_id", "=", dana.body.id).execute();
      assert.ok(audit.some((e) => e.action === "user.deactivated" && e.actor_kind === "scim"));

      // A SCIM DELETE deprovisions the same way (erin, one device).
      assert.equal((await idp.req("DELETE", `/Users/${erin.body.id}`)).status, 204);
      assert.equal((await erinLaptop.api("GET", "/me")).status, 401);
      for (const ch of [pub, priv]) {
        await waitForProposal(owner, ch, 2);
        assert.deepEqual(
          (await groupInfo(owner, ch)).pendingRemovals.map((r) => r.deviceId),
          [erinLaptop.tokens.deviceId],
        );
      }
    } finally {
      await server.stop();
    }
  });
}
