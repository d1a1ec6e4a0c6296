/**
 * POST /channels/:channelId/encryption/reset on both dialects: who may reset and when,
 * what a reset writes (a new generation, a "reset" event, no old group state), and that
 * anything built for the old group is then refused with encryption_reset.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { encrypt, selfUpdate } from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeUser } from "../../testing/factories.ts";
import { addUsers, b64, bundleBody, groupOf, initChannel, joinFromStream, mlsClient } from "../../testing/mls-clients.ts";

for (const dialect of DIALECTS) {
  test(`reset encryption: who may, the cooldown, what it writes, and the old group refused (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect, config: { checkMlsFraming: true } });
    try {
      const owner = await bootstrapOrg(server);
      const bob = await makeUser(server, owner);
      const ch = (await owner.api("POST", "/channels", { kind: "private", name: "ops", members: [bob.user.id] })).body.id as string;
      const [a, b] = [await mlsClient(owner), await mlsClient(bob)];
      assert.equal((await initChannel(a, ch)).status, 200);
      assert.equal((await addUsers(a, ch, [bob.user.id])).res.status, 200);
      await joinFromStream(b, ch);
      const reset = (u: typeof owner, reason: string) => u.api("POST", `/channels/${ch}/encryption/reset`, { reason });
      const events = () => countRows(server, "events");
      const before = await events();

      assert.equal((await reset(owner, "because")).status, 400, "bad reason");
      assert.equal((await reset(bob, "admin")).status, 403, "bob is no channel admin");
      const same = await reset(bob, "engine_upgrade");
      assert.equal(same.status, 400);
      assert.equal(same.body.details.reason, "same_engine");
      assert.equal(await events(), before, "nothing written");

      const oldCommit = await selfUpdate(groupOf(b, ch));
      const oldMessage = await encrypt(groupOf(b, ch), new TextEncoder().encode("for the old group"));
      const first = await reset(bob, "unrecoverable");
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.generation, 1);
      assert.deepEqual([first.body.event.kind, first.body.event.generation, first.body.event.senderId], ["reset", 1, bob.user.id]);
      assert.equal(await countRows(server, "mls_groups"), 0);
      assert.equal(await countRows(server, "mls_leaves"), 0);
      const info = await owner.api("GET", `/channels/${ch}/group-info`);
      assert.deepEqual([info.body.generation, info.body.epoch, info.body.groupInfo, info.body.engine], [1, 0, null, null]);

      // A member's device may not ask again straight away; a channel admin may.
      const again = await reset(bob, "unrecoverable");
      assert.equal(again.status, 429);
      assert.ok(Number(again.headers.get("retry-after")) > 0);
      assert.equal((await reset(owner, "admin")).body.generation, 2);

      // What was built for the old group is refused: the commit and the message.
      const commit = await bob.api("POST", `/channels/${ch}/commits`, bundleBody(oldCommit));
      assert.equal(commit.status, 409, JSON.stringify(commit.body));
      assert.equal(commit.body.code, "encryption_reset");
      const send = await bob.api("POST", `/channels/${ch}/events`, { clientId: "old-group-send-1", kind: "message", content: b64(oldMessage), epoch: 1 });
      assert.equal(send.status, 409, JSON.stringify(send.body));
      assert.deepEqual([send.body.code, send.body.details.generation], ["encryption_reset", 2]);

      // The new generation starts from an init bundle, as a new channel's group does.
      a.groups.delete(ch);
      const init = await initChannel(a, ch);
      assert.equal(init.status, 409, "an init for generation 0's group id is refused");
      assert.equal(init.body.code, "encryption_reset");
      const metrics = await server.deps.metrics.registry.getSingleMetricAsString("parley_mls_resets_total");
      assert.match(metrics, /reason="unrecoverable"} 1/);
      assert.match(metrics, /reason="admin"} 1/);
      assert.match(await server.deps.metrics.registry.getSingleMetricAsString("parley_mls_commit_rejections_total"), /reason="encryption_reset"} [1-9]/);

      assert.equal((await owner.api("POST", `/channels/${ch}/archive`)).status, 200);
      assert.equal((await reset(owner, "admin")).body.code, "channel_archived");
    } finally {
      await server.stop();
    }
  });
}
