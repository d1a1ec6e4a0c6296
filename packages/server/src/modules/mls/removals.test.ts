/**
 * The server as MLS external sender, over a real server on both dialects with
 * REAL groups: a kick makes the server post a Remove proposal; a member
 * commits it; the leaf is gone and the pending removal cleared. A revoked
 * device gets a proposal in every channel it was in; a commit that ignores a
 * proposal makes the server re-issue it for the new epoch.
 */
import test from "node:test";
import assert from "node:assert/strict";
import {
  commitPendingProposals, epoch, epochAuthenticator, generateServerSigningKey, groupInfoMembers, hasPendingProposals, isActive, selfUpdate,
} from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { addUsers, bytes, groupOf, initChannel, joinFromStream, mlsClient, postBundle, sync, waitForProposal, type MlsClient } from "../../testing/mls-clients.ts";

async function groupInfo(u: TestUser, channelId: string) {
  const r = await u.api("GET", `/channels/${channelId}/group-info`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { epoch: number; groupInfo: string; pendingRemovals: Array<{ deviceId: string; leafIndex: number; proposalSeq: number | null }> };
}

const devicesIn = async (u: TestUser, channelId: string) => groupInfoMembers(bytes((await groupInfo(u, channelId)).groupInfo)).map((l) => (l.identity.kind === "device" ? l.identity.deviceId : "?"));

/** Owner creates the channel with everyone, inits the group and adds every other client's device. */
async function channelWith(owner: MlsClient, others: MlsClient[], kind: "public" | "private", name: string, init: Parameters<typeof initChannel>[2] = {}): Promise<string> {
  const ch = await owner.user.api("POST", "/channels", { kind, name, members: others.map((o) => o.user.user.id) });
  const channelId: string = ch.body.id;
  assert.equal((await initChannel(owner, channelId, init)).status, 200);
  const { res } = await addUsers(owner, channelId, others.map((o) => o.user.user.id));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  for (const o of others) await joinFromStream(o, channelId);
  return channelId;
}

/** Process the timeline; if server proposals are pending, commit them. */
async function commitProposals(c: MlsClient, channelId: string) {
  await sync(c, channelId);
  const g = groupOf(c, channelId);
  assert.ok(hasPendingProposals(g), "the server's proposal reached the member");
  const r = await postBundle(c, channelId, await commitPendingProposals(g));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r;
}

for (const dialect of DIALECTS) {
  test(`kick -> server proposal -> member commits it -> leaf gone, removal cleared (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const bob = await makeUser(server, owner);
      const carol = await makeUser(server, owner);
      const [a, b, c] = await Promise.all([mlsClient(owner), mlsClient(bob), mlsClient(carol)]);
      // Another external sender listed first: the server's proposals must name its real index (1).
      const channelId = await channelWith(a, [b, c], "private", "ops", { otherSendersFirst: [generateServerSigningKey().publicKey] });
      assert.equal((await owner.api("DELETE", `/channels/${channelId}/members/${carol.user.id}`)).status, 204);
      const proposal = await waitForProposal(owner, channelId, 1);
      assert.equal(proposal.senderId, "server");
      assert.equal(proposal.senderDeviceId, "server");
      const pending = (await groupInfo(bob, channelId)).pendingRemovals;
      assert.deepEqual(pending.map((r) => [r.deviceId, r.proposalSeq]), [[carol.tokens.deviceId, proposal.seq]]);

      // Bob (not the kicker) commits the server's proposal.
      await commitProposals(b, channelId);
      const after = await groupInfo(bob, channelId);
      assert.equal(after.epoch, 2);
      assert.deepEqual(after.pendingRemovals, []);
      assert.ok(!(await devicesIn(bob, channelId)).includes(carol.tokens.deviceId), "carol's leaf is gone");
      // The others follow; carol's group learns it was removed.
      await sync(a, channelId);
      assert.deepEqual(epochAuthenticator(groupOf(a, channelId)), epochAuthenticator(groupOf(b, channelId)));
      const cr = await carol.api("GET", `/channels/${channelId}/events?after=0`);
      assert.equal(cr.status, 404, "carol is no longer a member");
      assert.equal(isActive(groupOf(a, channelId)), true);
      // Deactivating a user proposes the removal of all their devices too.
      assert.equal((await owner.api("POST", `/users/${bob.user.id}/deactivate`)).status, 200);
      const p2 = await waitForProposal(owner, channelId, 2);
      assert.deepEqual((await groupInfo(owner, channelId)).pendingRemovals.map((r) => [r.deviceId, r.proposalSeq]), [[bob.tokens.deviceId, p2.seq]]);
      await commitProposals(a, channelId);
      assert.deepEqual(await devicesIn(owner, channelId), [owner.tokens.deviceId]);
    } finally {
      await server.stop();
    }
  });

  test(`a revoked device is proposed for removal in every group; ignoring it re-issues (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const bob = await makeUser(server, owner);
      const carol = await makeUser(server, owner);
      const [a, b, c] = await Promise.all([mlsClient(owner), mlsClient(bob), mlsClient(carol)]);
      const x = await channelWith(a, [b, c], "public", "x");
      const y = await channelWith(a, [b, c], "private", "y");
      // An admin revokes bob's device: one proposal in each channel.
      assert.equal((await owner.api("DELETE", `/users/${bob.user.id}/devices/${bob.tokens.deviceId}`)).status, 204);
      const px = await waitForProposal(owner, x, 1);
      const py = await waitForProposal(owner, y, 1);
      assert.ok(px && py);

      // In y, carol commits WITHOUT having seen the proposal: accepted, and the server re-issues it for epoch 2.
      const skip = await selfUpdate(groupOf(c, y));
      assert.equal((await postBundle(c, y, skip)).status, 200);
      c.cursors.set(y, 0);
      const again = await waitForProposal(owner, y, 2);
      assert.ok(again.seq > py.seq);
      assert.equal((await groupInfo(owner, y)).pendingRemovals[0]?.proposalSeq, again.seq);
      await commitProposals(a, y);
      await commitProposals(a, x);
      for (const ch of [x, y]) {
        assert.ok(!(await devicesIn(owner, ch)).includes(bob.tokens.deviceId), `bob's revoked device left ${ch}`);
        assert.deepEqual((await groupInfo(owner, ch)).pendingRemovals, []);
      }
      await sync(c, x);
      await sync(c, y);
      assert.deepEqual(epochAuthenticator(groupOf(a, y)), epochAuthenticator(groupOf(c, y)));
      assert.equal(epoch(groupOf(c, x)), 2n);
      assert.equal(epoch(groupOf(c, y)), 3n);
      const rows = await server.deps.db.selectFrom("mls_pending_removals").selectAll().execute();
      assert.deepEqual(rows, []);
    } finally {
      await server.stop();
    }
  });
}
