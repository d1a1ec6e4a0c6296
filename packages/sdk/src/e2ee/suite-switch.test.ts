/**
 * An org switches its MLS suite from "default" to "xwing" while devices exist:
 * real SDK clients against a real server. Identities survive the switch (one
 * Ed25519 key serves both suites), devices upload X-Wing KeyPackages, new
 * groups use X-Wing, old groups keep the default suite, and a restarted device
 * starts and reads both.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DIALECTS, startTestServer } from "@parley/server/testing/harness";
import { FileStore, openDeviceKeyStore } from "../node.ts";
import { ParleyClient, type ClientOptions } from "../client.ts";
import { FAST, collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

async function profile(dir: string): Promise<ClientOptions & { store: FileStore }> {
  return { ...FAST, store: await FileStore.open(dir, { debounceMs: 10 }), e2ee: { ...FAST.e2ee, keyStore: await openDeviceKeyStore(dir) } };
}

const xwingSupply = async (c: ParleyClient) => (await c.api.call("countKeyPackages")).suites.xwing.available;
const suiteOf = async (c: ParleyClient, channelId: string) => (await c.api.call("getGroupInfo", { params: { channelId } })).suite;

for (const dialect of DIALECTS) {
  test(
    `switching the org to X-Wing: existing devices keep working, new groups use X-Wing, old ones keep their suite, restarts are fine (${dialect})`,
    { timeout: 120_000 },
    async (t) => {
      const server = await startTestServer({ dialect });
      t.after(() => server.stop());
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-suite-"));
      t.after(() => fs.rmSync(root, { recursive: true, force: true }));
      const aliceDir = path.join(root, "alice");
      const org = await makeOrg(server.url, await profile(aliceDir));
      t.after(() => org.closeAll());
      const alice = org.owner;
      const bob = await org.user("bob");
      const errors: unknown[] = [];
      for (const c of [alice, bob]) c.on("error", (e) => errors.push(e));
      alice.connect();
      bob.connect();
      await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
      assert.equal(alice.e2ee!.config.suite, "default");

      // Before the switch: a default-suite channel.
      const old = await alice.createChannel({ kind: "private", name: "before", members: [bob.userId] });
      const oldBob = collect(bob, old.id);
      const oldAlice = collect(alice, old.id);
      await alice.sendMessage(old.id, "old 1 from alice");
      await until(() => oldBob.length >= 1, "bob reads the old channel");
      await bob.sendMessage(old.id, "old 2 from bob");
      await until(() => oldAlice.some((e) => !e.own), "alice reads bob in the old channel");
      assert.equal(await suiteOf(alice, old.id), "default");
      assert.equal(await xwingSupply(bob), 0, "no X-Wing KeyPackages before the switch");

      // The admin switches; both online devices are told and upload X-Wing KeyPackages (same identity, no re-registration).
      const bobKey = bob.e2ee!.identity.signaturePublicKey;
      const set = await alice.api.call("setE2eeConfig", { body: { suite: "xwing" } });
      assert.equal(set.suite, "xwing");
      await until(() => bob.e2ee!.config.suite === "xwing" && alice.e2ee!.config.suite === "xwing", "both devices see the new suite");
      const supplied = async () => (await xwingSupply(bob)) > 0 && (await xwingSupply(alice)) > 0;
      for (let end = Date.now() + 15_000; !(await supplied()); await new Promise((r) => setTimeout(r, 25))) {
        if (Date.now() > end) throw new Error(`timed out: X-Wing KeyPackages uploaded ${String(errors)}`);
      }
      assert.deepEqual(bob.e2ee!.identity.signaturePublicKey, bobKey, "the identity is kept");
      const bobBindings = (await alice.api.call("listBindings", { query: { userIds: [bob.userId] } })).bindings;
      assert.equal(bobBindings.length, 1, "one binding, unchanged");

      // A new private channel with both users: an X-Wing group; bob (joined before the switch) is added by Welcome.
      const fresh = await alice.createChannel({ kind: "private", name: "after", members: [bob.userId] });
      const freshBob = collect(bob, fresh.id);
      const freshAlice = collect(alice, fresh.id);
      await alice.sendMessage(fresh.id, "new 1 from alice");
      await until(() => freshBob.length >= 1, "bob reads the new channel");
      await bob.sendMessage(fresh.id, "new 2 from bob");
      await until(() => freshAlice.some((e) => !e.own), "alice reads bob in the new channel");
      assert.deepEqual(texts(freshBob.filter((e) => e.kind === "message")), ["new 1 from alice", "new 2 from bob"]);
      assert.equal(await suiteOf(alice, fresh.id), "xwing");
      const commits = (await alice.api.call("listEvents", { params: { channelId: fresh.id }, query: { after: 0, limit: 200 } })).events.filter(
        (e) => e.kind === "commit",
      );
      assert.deepEqual(
        commits.map((e) => e.senderDeviceId),
        [alice.session!.deviceId],
        "bob's device was added with an X-Wing KeyPackage, not by external join",
      );
      assert.deepEqual(new Set(bob.e2ee!.members(fresh.id)!.map((m) => m.userId)), new Set([alice.userId, bob.userId]));

      // The old channel keeps its suite and keeps working both ways.
      await bob.sendMessage(old.id, "old 3 from bob");
      await alice.sendMessage(old.id, "old 4 from alice");
      await until(() => oldBob.length >= 4 && oldAlice.filter((e) => !e.own).length >= 2, "the old channel still works");
      assert.deepEqual(texts(oldBob.filter((e) => e.kind === "message")), ["old 1 from alice", "old 2 from bob", "old 3 from bob", "old 4 from alice"]);
      assert.equal(await suiteOf(alice, old.id), "default");

      // Alice's device (identity created under "default") restarts on the same stores after the switch.
      await alice.close();
      await alice.store.close();
      const again = await ParleyClient.resume(await profile(aliceDir));
      // Hooks run in registration order, after the temp dir is removed: a final flush there may find it gone.
      t.after(async () => {
        await again.close().catch(() => undefined);
        await again.store.close().catch(() => undefined);
      });
      again.on("error", (e) => errors.push(e));
      assert.equal(again.e2ee!.config.suite, "xwing");
      assert.equal(again.e2ee!.identity.suite, "default", "the identity is the one created before the switch");
      again.connect();
      await again.waitUntilLive();
      await again.settled();
      for (const [id, want] of [
        [old.id, ["old 1 from alice", "old 2 from bob", "old 3 from bob", "old 4 from alice"]],
        [fresh.id, ["new 1 from alice", "new 2 from bob"]],
      ] as const) {
        const { events } = await again.history(id);
        assert.deepEqual(texts(events.filter((e) => e.kind === "message")), want, `history of ${id} after the restart`);
      }
      const oldAgain = collect(again, old.id);
      const freshAgain = collect(again, fresh.id);
      await bob.sendMessage(old.id, "old 5 from bob");
      await bob.sendMessage(fresh.id, "new 3 from bob");
      await until(() => oldAgain.length >= 1 && freshAgain.length >= 1, "the restarted device reads both channels");
      assert.equal(oldAgain[0]!.text, "old 5 from bob");
      assert.equal(freshAgain[0]!.text, "new 3 from bob");
      await again.sendMessage(fresh.id, "new 4 from restarted alice");
      await again.sendMessage(old.id, "old 6 from restarted alice");
      await until(
        () => freshBob.some((e) => e.text === "new 4 from restarted alice") && oldBob.some((e) => e.text === "old 6 from restarted alice"),
        "bob reads the restarted device",
      );
      // Same group leaves as before the restart: no re-join by external commit.
      assert.equal(again.e2ee!.epochOf(fresh.id), bob.e2ee!.epochOf(fresh.id));

      // A device that joined before the switch is added to another new X-Wing group (it refilled X-Wing KeyPackages).
      const third = await again.createChannel({ kind: "private", name: "third", members: [bob.userId] });
      const thirdBob = collect(bob, third.id);
      await again.sendMessage(third.id, "third 1");
      await until(() => thirdBob.length >= 1, "bob reads the third channel");
      assert.equal(thirdBob[0]!.text, "third 1");
      assert.equal(await suiteOf(bob, third.id), "xwing");

      // A device registered after the switch (identity under "xwing") joins the old default-suite group too.
      const bob2 = await org.device("bob");
      bob2.on("error", (e) => errors.push(e));
      assert.equal(bob2.e2ee!.identity.suite, "xwing");
      bob2.connect();
      await bob2.waitUntilLive();
      await bob2.settled();
      const oldBob2 = collect(bob2, old.id);
      const freshBob2 = collect(bob2, fresh.id);
      await again.sendMessage(old.id, "old 7 for both bob devices");
      await again.sendMessage(fresh.id, "new 5 for both bob devices");
      await until(() => oldBob2.length >= 1 && freshBob2.length >= 1, "bob's new device reads both channels");
      assert.equal(oldBob2[0]!.text, "old 7 for both bob devices");
      assert.equal(freshBob2[0]!.text, "new 5 for both bob devices");
      assert.deepEqual(errors, []);
    },
  );
}
