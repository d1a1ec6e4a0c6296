/**
 * GET /channels/:id/welcomes/:welcomeId on both dialects, with REAL MLS groups: the
 * Welcome carries no ratchet tree (issue 7), so the route returns the GroupInfo of the
 * Welcome's epoch with it — still that one after later commits moved the channel's
 * stored GroupInfo on — and a device joins from the pair and follows the later commits.
 * Recipients only; another org's user, a non-recipient and malformed ids get nothing.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { encrypt, epoch, epochAuthenticator, isE2eeError, joinFromWelcome, selfUpdate } from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser } from "../../testing/factories.ts";
import { addUsers, b64, bytes, groupOf, initChannel, mlsClient, postBundle, sync } from "../../testing/mls-clients.ts";

for (const dialect of DIALECTS) {
  test(`a Welcome comes with the GroupInfo of its epoch, after later commits too (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const bob = await makeUser(server, owner);
      const carol = await makeUser(server, owner);
      const stranger = await makeOrg(server);
      const ch = await owner.api("POST", "/channels", { kind: "private", name: "w", members: [bob.user.id, carol.user.id] });
      const channelId: string = ch.body.id;
      const [a, b] = await Promise.all([mlsClient(owner), mlsClient(bob)]);
      assert.equal((await initChannel(a, channelId)).status, 200);
      const { bundle, res } = await addUsers(a, channelId, [bob.user.id]);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const welcomeId: string = res.body.welcomeId;
      // Three more commits before bob's device fetches its Welcome.
      for (let i = 0; i < 3; i++) assert.equal((await postBundle(a, channelId, await selfUpdate(groupOf(a, channelId)))).status, 200);
      const current = await bob.api("GET", `/channels/${channelId}/group-info`);
      assert.equal(current.body.epoch, 4);

      const w = await bob.api("GET", `/channels/${channelId}/welcomes/${welcomeId}`);
      assert.equal(w.status, 200, JSON.stringify(w.body));
      assert.equal(w.body.epoch, 1);
      assert.equal(w.body.welcome, b64(bundle.welcome!));
      assert.equal(w.body.groupInfo, b64(bundle.groupInfo), "the GroupInfo the add posted, not the channel's current one");
      assert.ok(bytes(w.body.welcome).length < bytes(w.body.groupInfo).length, "the tree is in the GroupInfo, not in the Welcome");

      // The channel's current GroupInfo is the wrong tree for this Welcome: refused.
      await assert.rejects(
        joinFromWelcome(b.identity, bytes(w.body.welcome), {}, { groupInfo: bytes(current.body.groupInfo) }),
        (e: unknown) => isE2eeError(e, "invalid_message") && /epoch 4; the Welcome joins epoch 1/.test(e.message),
      );
      const gb = await joinFromWelcome(b.identity, bytes(w.body.welcome), {}, { groupInfo: bytes(w.body.groupInfo) });
      b.groups.set(channelId, gb);
      assert.equal(epoch(gb), 1n);
      await sync(b, channelId); // the three self-updates
      assert.equal(epoch(gb), 4n);
      assert.deepEqual(epochAuthenticator(gb), epochAuthenticator(groupOf(a, channelId)));
      const sent = await owner.api("POST", `/channels/${channelId}/events`, {
        clientId: "welcome-hello",
        kind: "message",
        epoch: 4,
        content: b64(await encrypt(groupOf(a, channelId), new TextEncoder().encode("hi bob"))),
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const got = await sync(b, channelId);
      assert.ok(got.at(-1)!.processed.kind === "application");

      // Only its recipients, only in its org; malformed ids are a 400.
      for (const who of [carol, stranger]) {
        const r = await who.api("GET", `/channels/${channelId}/welcomes/${welcomeId}`);
        assert.equal(r.status, 404, JSON.stringify(r.body));
        assert.equal(r.body.groupInfo, undefined);
      }
      assert.equal((await bob.api("GET", `/channels/${channelId}/welcomes/wel_unknown`)).status, 404);
      const bad = await bob.api("GET", `/channels/${channelId}/welcomes/${"x".repeat(65)}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "validation_failed");

      // A Welcome stored before API v3 has no GroupInfo beside it (it carries the tree).
      await server.deps.db.updateTable("mls_welcomes").set({ group_info: null }).where("id", "=", welcomeId).execute();
      const old = await bob.api("GET", `/channels/${channelId}/welcomes/${welcomeId}`);
      assert.equal(old.status, 200);
      assert.equal(old.body.groupInfo, null);
    } finally {
      await server.close();
    }
  });
}
