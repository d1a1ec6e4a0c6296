/**
 * "No message left unreadable" (issue 7, defect 1): real SDK clients chat through a
 * fault-injecting proxy while the server is killed with SIGKILL and restarted on the
 * same database, the network drops, and the device directory route fails while a member
 * is added. Faults land during adds, an external join by a user's new device and key
 * rotations. Afterwards every acknowledged message must be decrypted by every device that
 * was in the channel's group at the message's epoch (from the first epoch its join opened),
 * and no event may be reported undecryptable. On SQLite and on PostgreSQL.
 */
import test from "node:test";
import assert from "node:assert/strict";
import type { ParleyClient } from "../packages/sdk/src/client.ts";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { assertShownOnceInOrder, joinedAt, watchChannel } from "./support/channel-watch.ts";
import { chatter, threeMembers } from "./support/members.ts";
import { createTestDatabase, DIALECTS, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { freePort, startChildServer, type ChildServer } from "./support/child.ts";
import { startFaultProxy } from "./support/fault-proxy.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

for (const dialect of DIALECTS) {
  test(
    `every acknowledged message is decrypted by every member through kill -9, network drops and directory failures (${dialect})`,
    { timeout: 300_000 },
    async (t) => {
      const db = await createTestDatabase(dialect);
      t.after(() => db.drop());
      const port = await freePort();
      const start = () =>
        startChildServer({ dataDir: db.dataDir, databaseUrl: db.url, port, setupToken: TEST_SETUP_TOKEN, env: { PARLEY_CHECK_MLS_FRAMING: "true" } });
      let child: ChildServer = await start();
      t.after(() => child.kill9());
      const kill9AndRestart = async (downMs: number) => {
        await child.kill9();
        await sleep(downMs);
        child = await start();
      };
      const proxy = await startFaultProxy(port);
      t.after(() => proxy.close());
      const { org, opts, alice, bob, carol, devices } = await threeMembers(t, proxy.url);
      const ch = await alice.createChannel({ kind: "private", name: "faults", members: [bob.userId] });
      const w = watchChannel(ch.id, devices);
      const { errors } = w;
      const watch = (c: ParleyClient) => {
        w.watch(c);
        c.connect();
      };
      for (const c of devices.keys()) c.connect();
      await Promise.all([...devices.keys()].map((c) => c.waitUntilLive()));
      await until(() => bob.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "bob is in the group");

      // Members talk all along; a send counts once the server acknowledged it.
      const chat = chatter(ch.id, [40, 120]);
      const { acked, talk } = chat;
      const talkers = [talk(alice, "alice"), talk(bob, "bob")];
      await sleep(800);

      // 1. The device directory does not answer for 3 s while alice adds carol: bob cannot check carol's leaf.
      proxy.dropPaths(/\/e2ee\/bindings$/, 3000);
      await alice.addMembers(ch.id, [carol.userId]);
      talkers.push(talk(carol, "carol"));
      await sleep(3500);

      // 2. The server dies while bob's new device joins by external commit.
      const bob2 = await org.device("bob", opts);
      devices.set(bob2, "bob2");
      watch(bob2);
      await sleep(jitter(150, 450));
      await kill9AndRestart(jitter(300, 900));
      await bob2.waitUntilLive();

      // 3. The network drops for 2 s.
      await sleep(1000);
      proxy.outage(2000);
      await sleep(2500);

      // 4. Two more kills at arbitrary moments, one while carol rotates her keys.
      const rotation = carol.e2ee!.selfUpdate(ch.id).catch(() => undefined);
      await sleep(jitter(0, 200));
      await kill9AndRestart(jitter(300, 900));
      await rotation;
      await sleep(jitter(500, 1500));
      await kill9AndRestart(jitter(300, 900));
      await sleep(1500);
      chat.stop();
      await Promise.all(talkers);

      // bob2's join by external commit may still be under way on a loaded machine (it retries after the kills): wait for it,
      // so the check below is about what every member reads, not about how fast a join recovers.
      const joinWait = Date.now();
      await until(
        () => bob2.e2ee!.epochOf(ch.id) !== undefined,
        `bob2 joins the group (errors: ${errors
          .filter((e) => e.startsWith("bob2"))
          .slice(-6)
          .join(" | ")})`,
        60_000,
      );
      t.diagnostic(`bob2 was in the group ${Date.now() - joinWait} ms after the talk ended`);

      t.diagnostic(`${acked.size} messages acknowledged, ${proxy.dropped} requests dropped by the proxy`);
      assert.ok(acked.size > 30, "the members kept talking");
      // Who had to read what: from the epoch the device's first join opened.
      await assertShownOnceInOrder(w, acked, await joinedAt(w, alice), 60_000);
    },
  );
}
