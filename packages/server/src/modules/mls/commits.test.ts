/**
 * Commit bundles over a real server on both dialects, with REAL MLS groups
 * from @parley/crypto: init, add + Welcome + join + decrypt, concurrent
 * commits (first wins, loser gets stale_epoch), and bad bundles rejected with
 * a clear code and no state change.
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import {
  addMembers,
  MLS_ENGINE,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  discardPending,
  encrypt,
  epoch,
  epochAuthenticator,
  exportGroupState,
  generateKeyPackages,
  groupInfoOf,
  importGroupState,
  joinExternal,
  processMessage,
  selfUpdate,
} from "@parley/crypto";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import {
  addUsers,
  b64,
  bundleBody,
  bytes,
  flipSignatureByte,
  groupOf,
  initChannel,
  joinFromStream,
  mlsClient,
  postBundle,
  sync,
} from "../../testing/mls-clients.ts";

/** Everything a rejected bundle must leave alone. */
async function snapshot(server: TestServer, channelId: string) {
  const db = server.deps.db;
  const count = async (t: "events" | "mls_leaves" | "mls_welcomes" | "mls_pending_removals" | "user_stream" | "channel_members") =>
    Number(
      (
        await db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const ch = await db.selectFrom("channels").select(["epoch", "last_seq"]).where("id", "=", channelId).executeTakeFirstOrThrow();
  const g = await db.selectFrom("mls_groups").select("group_info").where("channel_id", "=", channelId).executeTakeFirst();
  return {
    epoch: Number(ch.epoch),
    lastSeq: Number(ch.last_seq),
    groupInfo: g ? crypto.createHash("sha256").update(g.group_info).digest("hex") : null,
    events: await count("events"),
    leaves: await count("mls_leaves"),
    welcomes: await count("mls_welcomes"),
    pending: await count("mls_pending_removals"),
    stream: await count("user_stream"),
    members: await count("channel_members"),
  };
}

async function expectRefused(server: TestServer, channelId: string, who: TestUser, body: object, status: number, code: string, reason?: string) {
  const before = await snapshot(server, channelId);
  const r = await who.api("POST", `/channels/${channelId}/commits`, body);
  assert.equal(r.status, status, `expected ${status} ${code}/${reason}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.code, code);
  if (reason) assert.equal(r.body.details?.reason, reason, JSON.stringify(r.body));
  assert.deepEqual(await snapshot(server, channelId), before, `${code}/${reason} changed state`);
  return r;
}

for (const dialect of DIALECTS) {
  test(`init, add, welcome, join, decrypt; concurrent commits; bad bundles (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const bob = await makeUser(server, owner);
      const carol = await makeUser(server, owner);
      const dave = await makeUser(server, owner);
      const ch = await owner.api("POST", "/channels", { kind: "private", name: "secret", members: [bob.user.id, dave.user.id] });
      const channelId: string = ch.body.id;
      const [a, b, c] = await Promise.all([mlsClient(owner), mlsClient(bob), mlsClient(carol)]);
      const d = await mlsClient(dave, { register: false }); // not in the device directory

      // No group yet: group-info says so; then the first init bundle wins.
      const none = await bob.api("GET", `/channels/${channelId}/group-info`);
      assert.deepEqual(none.body, { epoch: 0, generation: 0, engine: null, suite: null, groupInfo: null, pendingRemovals: [] });
      // A group that does not list the server as external sender (it could never remove anyone) is refused.
      const noServer = await createGroup(a.identity, channelId);
      await expectRefused(
        server,
        channelId,
        owner,
        { engine: MLS_ENGINE, epoch: 0, groupInfo: b64(await groupInfoOf(noServer)) },
        400,
        "bad_request",
        "external_sender_missing",
      );
      const otherKey = await createGroup(a.identity, channelId, { externalSenders: [{ signaturePublicKey: new Uint8Array(32).fill(7), orgId: owner.org.id }] });
      await expectRefused(
        server,
        channelId,
        owner,
        { engine: MLS_ENGINE, epoch: 0, groupInfo: b64(await groupInfoOf(otherKey)) },
        400,
        "bad_request",
        "external_sender_missing",
      );
      assert.equal((await initChannel(a, channelId)).status, 200);
      const second = await initChannel(b, channelId);
      assert.equal(second.status, 409);
      assert.equal(second.body.code, "stale_epoch");
      assert.deepEqual(second.body.details, { epoch: 0 });

      // Add bob's device: commit in the timeline, Welcome on bob's stream, bob joins and reads.
      const { res } = await addUsers(a, channelId, [bob.user.id]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.epoch, 1);
      assert.equal(res.body.event.kind, "commit");
      assert.equal(res.body.event.epoch, 0);
      assert.ok(res.body.welcomeId);
      const timeline = await owner.api("GET", `/channels/${channelId}/events?after=0`);
      assert.deepEqual(
        timeline.body.events.map((e: { kind: string; seq: number }) => [e.kind, e.seq]),
        [["commit", 1]],
      );
      const gb = await joinFromStream(b, channelId);
      assert.equal(epoch(gb), 1n);
      assert.deepEqual(epochAuthenticator(gb), epochAuthenticator(groupOf(a, channelId)));
      const sent = await owner.api("POST", `/channels/${channelId}/events`, {
        clientId: "mls-hello-1",
        kind: "message",
        epoch: 1,
        content: b64(await encrypt(groupOf(a, channelId), new TextEncoder().encode("hello bob"))),
      });
      assert.equal(sent.status, 200);
      a.cursors.set(channelId, sent.body.event.seq); // own message: nothing to decrypt
      const got = await sync(b, channelId);
      assert.equal(got.length, 1);
      const p = got[0]!.processed;
      assert.ok(p.kind === "application" && new TextDecoder().decode(p.plaintext) === "hello bob");
      // Only the users a Welcome adds may fetch it; clients may not post handshakes as events.
      assert.equal((await carol.api("GET", `/channels/${channelId}/welcomes/${res.body.welcomeId}`)).status, 404);
      const asEvent = await owner.api("POST", `/channels/${channelId}/events`, { clientId: "fake-commit-1", kind: "commit", content: b64(new Uint8Array(8)) });
      assert.equal(asEvent.status, 400);
      assert.equal(asEvent.body.code, "bad_request");

      // Two members commit at epoch 1 at once: exactly one wins, the loser changes nothing.
      const ua = await selfUpdate(groupOf(a, channelId));
      const ub = await selfUpdate(gb);
      const before = await snapshot(server, channelId);
      const [ra, rb] = await Promise.all([
        owner.api("POST", `/channels/${channelId}/commits`, bundleBody(ua)),
        bob.api("POST", `/channels/${channelId}/commits`, bundleBody(ub)),
      ]);
      assert.deepEqual([ra.status, rb.status].sort(), [200, 409], `${JSON.stringify(ra.body)} ${JSON.stringify(rb.body)}`);
      const [win, lose, winner, loser] = ra.status === 200 ? [ra, rb, a, b] : [rb, ra, b, a];
      assert.equal(lose.body.code, "stale_epoch");
      assert.deepEqual(lose.body.details, { epoch: 2 });
      const after = await snapshot(server, channelId);
      assert.equal(after.epoch, before.epoch + 1);
      assert.equal(after.lastSeq, before.lastSeq + 1, "one commit event, no gap");
      const commits = (await owner.api("GET", `/channels/${channelId}/events?after=0`)).body.events.filter((e: { kind: string }) => e.kind === "commit");
      assert.equal(commits.length, 2);
      assert.equal(commits[1].id, win.body.event.id);
      // Winner confirms; loser discards, re-syncs and ends in the same epoch.
      confirmPending(groupOf(winner, channelId));
      winner.cursors.set(channelId, win.body.event.seq);
      discardPending(groupOf(loser, channelId));
      await sync(loser, channelId);
      assert.equal(epoch(groupOf(loser, channelId)), 2n);
      assert.deepEqual(epochAuthenticator(groupOf(a, channelId)), epochAuthenticator(groupOf(b, channelId)));

      // ---- bad bundles: each 4xx with a clear code, nothing changed ----
      const ga = groupOf(a, channelId);
      // A commit from a non-member (carol is in the org, not in this private channel): 404 like a missing channel.
      const selfUp = await selfUpdate(ga);
      await expectRefused(server, channelId, carol, bundleBody(selfUp), 404, "not_found");
      // Posting someone else's commit: the sender leaf is not the caller's device.
      await expectRefused(server, channelId, bob, bundleBody(selfUp), 403, "forbidden", "not_your_leaf");
      discardPending(ga);
      // Adding a device that is not in the directory (dave's device never registered).
      const [dkp] = await generateKeyPackages(d.identity, 1);
      const addD = await addMembers(ga, [dkp!.keyPackage]);
      await expectRefused(server, channelId, owner, bundleBody(addD), 400, "bad_request", "no_binding");
      discardPending(ga);
      // Adding a device of a user who is not a channel member (carol).
      const claimC = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [carol.user.id] });
      const addC = await addMembers(ga, [bytes(claimC.body.keyPackages[0].keyPackage)]);
      await expectRefused(server, channelId, owner, bundleBody(addC), 403, "forbidden", "not_a_member");
      discardPending(ga);
      // A forged credential: dave's ids, but a key the directory never bound to dave's device... register dave first so only the key differs.
      const dReal = await mlsClient(dave);
      const forged = await createDeviceIdentity({ orgId: owner.org.id, userId: dave.user.id, deviceId: dave.tokens.deviceId, suite: "default" });
      const [fkp] = await generateKeyPackages(forged, 1);
      const addF = await addMembers(ga, [fkp!.keyPackage]);
      await expectRefused(server, channelId, owner, bundleBody(addF), 400, "bad_request", "binding_mismatch");
      discardPending(ga);
      // A commit for another group (wrong group id).
      const cfg = (await owner.api("GET", "/e2ee/config")).body;
      const other = await createGroup(a.identity, "not-this-channel", {
        externalSenders: [{ signaturePublicKey: bytes(cfg.externalSender.signaturePublicKey), orgId: owner.org.id }],
      });
      const wrong = await selfUpdate(other);
      await expectRefused(server, channelId, owner, { ...bundleBody(wrong), epoch: 2 }, 400, "bad_request", "wrong_group");
      // Tampered commit bytes (truncated) and a GroupInfo that does not match the commit.
      const good = await selfUpdate(ga);
      const body = bundleBody(good);
      await expectRefused(
        server,
        channelId,
        owner,
        { ...body, commit: b64(good.commit.subarray(0, good.commit.length - 40)) },
        400,
        "bad_request",
        "malformed",
      );
      // The server cannot check membership tags: the signature is what must stop a forged commit.
      await expectRefused(server, channelId, owner, { ...body, commit: b64(flipSignatureByte(good.commit, "commit")) }, 400, "bad_request", "bad_signature");
      await expectRefused(
        server,
        channelId,
        owner,
        { ...body, groupInfo: b64(flipSignatureByte(good.groupInfo, "groupInfo")) },
        400,
        "bad_request",
        "group_info_signature",
      );
      // Bob processes Alice's (not yet accepted) commit on a copy of his group and signs the next
      // epoch's GroupInfo himself: a valid signature, but not the committer's.
      const bobCopy = await importGroupState(b.identity, exportGroupState(groupOf(b, channelId)));
      await processMessage(bobCopy, good.commit);
      await expectRefused(server, channelId, owner, { ...body, groupInfo: b64(await groupInfoOf(bobCopy)) }, 400, "bad_request", "group_info_mismatch");
      const [dkp2] = await generateKeyPackages(dReal.identity, 1);
      const withDave = await addMembers(ga, [dkp2!.keyPackage]);
      await expectRefused(server, channelId, owner, { ...body, groupInfo: b64(withDave.groupInfo) }, 400, "bad_request", "group_info_mismatch");
      // A Welcome that is not for the added devices.
      await expectRefused(server, channelId, owner, { ...bundleBody(withDave), welcome: undefined }, 400, "bad_request", "welcome_mismatch");
      // Stale epoch.
      await expectRefused(server, channelId, owner, { ...bundleBody(withDave), epoch: 1 }, 409, "stale_epoch");
      // The valid one still goes through afterwards: nothing was corrupted.
      assert.equal((await postBundle(a, channelId, withDave)).status, 200);
      await joinFromStream(dReal, channelId);
      await sync(b, channelId);
      assert.deepEqual(epochAuthenticator(groupOf(dReal, channelId)), epochAuthenticator(groupOf(b, channelId)));
      assert.equal(c.groups.size, 0);
    } finally {
      await server.stop();
    }
  });

  test(`external join of a public channel; GroupInfo for org members only; cross-org 404 (${dialect})`, { timeout: 60_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const eve = await makeUser(server, owner);
      const guest = await makeUser(server, owner, { role: "guest" });
      const ch = await owner.api("POST", "/channels", { kind: "public", name: "town-square" });
      const channelId: string = ch.body.id;
      const a = await mlsClient(owner);
      const e = await mlsClient(eve);
      assert.equal((await initChannel(a, channelId)).status, 200);
      // A non-member may read a public channel's GroupInfo and join by external commit (the route joins the channel).
      const gi = await eve.api("GET", `/channels/${channelId}/group-info`);
      assert.equal(gi.status, 200);
      assert.equal(gi.body.suite, "default");
      assert.equal((await guest.api("GET", `/channels/${channelId}/group-info`)).status, 403);
      const join = await joinExternal(e.identity, bytes(gi.body.groupInfo));
      const r = await eve.api("POST", `/channels/${channelId}/commits`, { epoch: 0, commit: b64(join.commit), groupInfo: b64(join.groupInfo) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      e.groups.set(channelId, join.group);
      e.cursors.set(channelId, r.body.event.seq);
      const members = await owner.api("GET", `/channels/${channelId}/members`);
      assert.ok(
        members.body.members.some((m: { userId: string }) => m.userId === eve.user.id),
        "the external join made eve a member",
      );
      await sync(a, channelId);
      assert.deepEqual(epochAuthenticator(groupOf(a, channelId)), epochAuthenticator(join.group));
      // Eve's device lost its state: it rejoins by external commit replacing its own leaf (a resync), which is counted.
      const gi2 = await eve.api("GET", `/channels/${channelId}/group-info`);
      const rejoin = await joinExternal(e.identity, bytes(gi2.body.groupInfo), { resync: true });
      const rr = await eve.api("POST", `/channels/${channelId}/commits`, {
        engine: MLS_ENGINE,
        epoch: 1,
        commit: b64(rejoin.commit),
        groupInfo: b64(rejoin.groupInfo),
      });
      assert.equal(rr.status, 200, JSON.stringify(rr.body));
      e.groups.set(channelId, rejoin.group);
      await sync(a, channelId);
      assert.deepEqual(epochAuthenticator(groupOf(a, channelId)), epochAuthenticator(rejoin.group));
      assert.match(await server.deps.metrics.registry.getSingleMetricAsString("parley_mls_resyncs_total"), /parley_mls_resyncs_total 1/);

      // Another org's owner: every MLS route 404s, nothing written.
      const other = await makeOrg(server);
      const before = await snapshot(server, channelId);
      const up = await selfUpdate(groupOf(a, channelId));
      for (const [method, path, body] of [
        ["GET", `/channels/${channelId}/group-info`, undefined],
        ["POST", `/channels/${channelId}/commits`, bundleBody(up)],
        ["GET", `/channels/${channelId}/welcomes/wel_x`, undefined],
      ] as const) {
        const res = await other.api(method, path, body);
        assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      }
      assert.deepEqual(await snapshot(server, channelId), before);
    } finally {
      await server.stop();
    }
  });
}
