/**
 * Scale-out chaos (issue 12, done-means 1), bounded for the suite: three Parley processes on
 * one PostgreSQL database, with NATS between them and Redis for shared limits, behind a
 * round-robin balancer. Real SDK clients (MLS on) spread over the nodes keep sending and
 * rotating keys while, one after another: a node is killed with SIGKILL (and comes back), NATS
 * restarts, PostgreSQL restarts, Redis restarts, and one node is cut off from NATS for a while.
 * Afterwards every acknowledged message is decrypted exactly once, in seq order, by every
 * device that was in the group at its epoch, nothing is undecryptable, and every device ends in
 * the same epoch. The database, NATS and Redis are the test's own processes on 127.0.0.1.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { assertOneEpoch, assertShownOnceInOrder, watchChannel } from "./support/channel-watch.ts";
import { startCluster } from "./support/cluster.ts";
import { chatter, threeMembers } from "./support/members.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

test(
  "three nodes through kill -9, NATS, PostgreSQL and Redis restarts and a NATS partition: every acknowledged message reaches every member once, in order",
  { timeout: 420_000 },
  async (t) => {
    const cluster = await startCluster(t);
    const { pg, nats, redis, natsLinks, nodes, balancer } = cluster;

    const { alice, bob, carol, devices } = await threeMembers(t, balancer.url);
    const ch = await alice.createChannel({ kind: "private", name: "chaos", members: [bob.userId, carol.userId] });
    const w = watchChannel(ch.id, devices);
    for (const c of devices.keys()) c.connect();
    await Promise.all([...devices.keys()].map((c) => c.waitUntilLive()));
    assert.equal(balancer.upgrades.size, 3, "the three devices' WebSockets landed on three different nodes");
    await until(() => [bob, carol].every((c) => c.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id)), "everyone is in the group", 30_000);

    const chat = chatter(ch.id, [60, 160]);
    const { acked, talk } = chat;
    // Key rotations (MLS commits) all along, by each member in turn.
    const rotate = async () => {
      for (let i = 0; !chat.stopped(); i++) {
        await sleep(jitter(1500, 3000));
        const c = [alice, bob, carol][i % 3]!;
        await c.e2ee!.selfUpdate(ch.id).catch(() => undefined);
      }
    };
    const workers = [talk(alice, "alice"), talk(bob, "bob"), talk(carol, "carol"), rotate()];
    const phase = async (what: string, fault: () => Promise<void>, settleMs = 2500) => {
      const before = acked.size;
      await fault();
      await sleep(settleMs);
      t.diagnostic(`${what}: ${acked.size - before} messages acknowledged meanwhile`);
    };
    await sleep(1500);

    await phase("kill -9 of node 2 (back after 1 s)", async () => {
      await nodes[1]!.kill9();
      await sleep(1000);
      await cluster.start(1);
    });
    await phase("NATS restart", async () => {
      await nats.stop();
      await sleep(1000);
      await nats.start();
    });
    await phase("PostgreSQL restart", () => pg.restart());
    await phase("Redis restart", async () => {
      await redis.stop();
      await sleep(500);
      await redis.start();
    });
    await phase("node 3 cut off from NATS for 3 s", async () => {
      natsLinks[2]!.cut();
      await sleep(3000);
      natsLinks[2]!.heal();
    });
    chat.stop();
    await Promise.all(workers);

    t.diagnostic(`${acked.size} messages acknowledged; ${balancer.dropped} requests dropped by the balancer`);
    assert.ok(acked.size > 60, "the members kept talking through the faults");
    // Every member reads everything (all three were in the group from before the first message).
    await assertShownOnceInOrder(w, acked, () => 0, 90_000);
    // One epoch everywhere once the last rotation settled.
    await assertOneEpoch(devices, ch.id, 60_000);
  },
);
