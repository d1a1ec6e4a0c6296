/**
 * The server as MLS external sender, over a real server on both dialects with
 * REAL groups: a kick makes the server post a Remove proposal; a member
 * commits it; the leaf is gone and the pending removal cleared. A revoked
 * device gets a proposal in every channel it was in; a commit or an external
 * join that would keep a leaf being removed is refused (the new epoch would be
 * sealed to that device), and a removal whose proposal was never issued is
 * issued when a commit is refused for it.
 */
import test from "node:test";
import assert from "node:assert/strict";
import {
  commitPendingProposals,
  epoch,
  epochAuthenticator,
  generateServerSigningKey,
  groupInfoMembers,
  hasPendingProposals,
  isActive,
  joinExternal,
  selfUpdate,
} from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, loginUser, makeUser, type TestUser } from "../../testing/factories.ts";
import { addProposal, forgeBundle, removeProposal } from "../../../../crypto/src/testing/forge.ts";
import {
  addUsers,
  b64,
  bundleBody,
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

async function groupInfo(u: TestUser, channelId: string) {
  const r = await u.api("GET", `/channels/${channelId}/group-info`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as { epoch: number; groupInfo: string; pendingRemovals: Array<{ deviceId: string; leafIndex: number; proposalSeq: number | null }> };
}

const devicesIn = async (u: TestUser, channelId: string) =>
  groupInfoMembers(bytes((await groupInfo(u, channelId)).groupInfo)).map((l) => (l.identity.kind === "device" ? l.identity.deviceId : "?"));

/** Owner creates the channel with everyone, inits the group and adds every other client's device. */
async function channelWith(
  owner: MlsClient,
  others: MlsClient[],
  kind: "public" | "private",
  name: string,
  init: Parameters<typeof initChannel>[2] = {},
): Promise<string> {
  const ch = await owner.user.api("POST", "/channels", { kind, name, members: others.map((o) => o.user.user.id) });
  const channelId: string = ch.body.id;
  assert.equal((await initChannel(owner, channelId, init)).status, 200);
  const { res } = await addUsers(
    owner,
    channelId,
    others.map((o) => o.user.user.id),
  );
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
      assert.deepEqual(
        pending.map((r) => [r.deviceId, r.proposalSeq]),
        [[carol.tokens.deviceId, proposal.seq]],
      );

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
      assert.deepEqual(
        (await groupInfo(owner, channelId)).pendingRemovals.map((r) => [r.deviceId, r.proposalSeq]),
        [[bob.tokens.deviceId, p2.seq]],
      );
      await commitProposals(a, channelId);
      assert.deepEqual(await devicesIn(owner, channelId), [owner.tokens.deviceId]);
    } finally {
      await server.stop();
    }
  });

  test(
    `a revoked device is proposed for removal in every group; a commit or external join that keeps it is refused (${dialect})`,
    { timeout: 120_000 },
    async () => {
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

        // In y, carol commits WITHOUT having seen the proposal: refused (the next epoch would be
        // sealed to bob's revoked device too), and nothing is written.
        const before = await groupInfo(owner, y);
        const skip = await selfUpdate(groupOf(c, y));
        const refusedRes = await postBundle(c, y, skip);
        assert.equal(refusedRes.status, 409, JSON.stringify(refusedRes.body));
        assert.equal(refusedRes.body.code, "pending_removals");
        assert.deepEqual(
          refusedRes.body.details.leafIndexes,
          before.pendingRemovals.map((r) => r.leafIndex),
        );
        assert.deepEqual(await groupInfo(owner, y), before);
        // A new device of carol may not join x by external commit while the removal waits.
        const carol2 = await mlsClient(asTestUser(server, await loginUser(server, owner.org.slug, carol.user.username, carol.password), carol.password));
        const join = await joinExternal(carol2.identity, bytes((await groupInfo(carol2.user, x)).groupInfo));
        const joinRes = await carol2.user.api(
          "POST",
          `/channels/${x}/commits`,
          bundleBody({ commit: join.commit, groupInfo: join.groupInfo, epoch: join.epoch, added: [], removed: [] }),
        );
        assert.equal(joinRes.status, 409, JSON.stringify(joinRes.body));
        assert.equal(joinRes.body.code, "pending_removals");
        await commitProposals(c, y);
        await commitProposals(a, x);
        for (const ch of [x, y]) {
          assert.ok(!(await devicesIn(owner, ch)).includes(bob.tokens.deviceId), `bob's revoked device left ${ch}`);
          assert.deepEqual((await groupInfo(owner, ch)).pendingRemovals, []);
        }
        await sync(a, y);
        await sync(c, x);
        assert.deepEqual(epochAuthenticator(groupOf(a, y)), epochAuthenticator(groupOf(c, y)));
        assert.equal(epoch(groupOf(c, x)), 2n);
        assert.equal(epoch(groupOf(c, y)), 2n);
        const rows = await server.deps.db.selectFrom("mls_pending_removals").selectAll().execute();
        assert.deepEqual(rows, []);
      } finally {
        await server.stop();
      }
    },
  );
}

for (const dialect of DIALECTS) {
  test(
    `a removal recorded but never proposed (the node died before its after-commit work) is proposed when a commit is refused for it (${dialect})`,
    { timeout: 120_000 },
    async () => {
      const server = await startTestServer({ dialect });
      try {
        const owner = await bootstrapOrg(server);
        const bob = await makeUser(server, owner);
        const [a, b] = await Promise.all([mlsClient(owner), mlsClient(bob)]);
        const ch = await channelWith(a, [b], "private", "z");
        // What recordPendingRemovals writes in the revoking transaction, without the proposal that follows it.
        await server.deps.db
          .insertInto("mls_pending_removals")
          .values({
            channel_id: ch,
            device_id: bob.tokens.deviceId,
            org_id: owner.org.id,
            user_id: bob.user.id,
            leaf_index: 1,
            reason: "device_revoked",
            proposed_epoch: null,
            proposal_seq: null,
            proposal_ref: null,
            created_at: Date.now(),
          })
          .execute();
        const r = await postBundle(a, ch, await selfUpdate(groupOf(a, ch)));
        assert.equal(r.status, 409);
        assert.equal(r.body.code, "pending_removals");
        await waitForProposal(owner, ch, 1);
        await commitProposals(a, ch);
        assert.deepEqual(await devicesIn(owner, ch), [owner.tokens.deviceId]);
      } finally {
        await server.stop();
      }
    },
  );
}

for (const dialect of DIALECTS) {
  test(`a commit that removes and adds at once is refused, nothing written (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const [bob, carol, dave] = [await makeUser(server, owner), await makeUser(server, owner), await makeUser(server, owner)];
      const [a, b, c, d] = await Promise.all([mlsClient(owner), mlsClient(bob), mlsClient(carol), mlsClient(dave)]);
      const ch = await channelWith(a, [b, c], "private", "w");
      assert.equal((await owner.api("DELETE", `/channels/${ch}/members/${carol.user.id}`)).status, 204);
      await waitForProposal(owner, ch, 1);
      assert.equal((await owner.api("POST", `/channels/${ch}/members`, { userIds: [dave.user.id] })).status, 200);
      const claim = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [dave.user.id] });
      const carolLeaf = (await groupInfo(owner, ch)).pendingRemovals[0]!.leafIndex;
      // Built past the clients' commit rule: carol's leaf goes and dave takes its slot in one commit.
      const forged = await forgeBundle(groupOf(a, ch), { proposals: [removeProposal(carolLeaf), addProposal(bytes(claim.body.keyPackages[0].keyPackage))] });
      const before = await groupInfo(owner, ch);
      const r = await owner.api("POST", `/channels/${ch}/commits`, {
        epoch: 1,
        commit: b64(forged.commit),
        welcome: b64(forged.welcome!),
        groupInfo: b64(forged.groupInfo),
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.details.reason, "mixed_commit");
      assert.deepEqual(await groupInfo(owner, ch), before);
      assert.equal(d.groups.size, 0);
    } finally {
      await server.stop();
    }
  });
}
