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
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Event } from "@parley/protocol";
import type { ParleyClient } from "../packages/sdk/src/client.ts";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { chatter, threeMembers } from "./support/members.ts";
import { TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { startTestNats } from "@parley/server/testing/nats";
import { startTestRedis } from "@parley/server/testing/redis";
import { startTcpProxy, type TcpProxy } from "@parley/server/testing/tcp-proxy";
import { freePort, startChildServer, type ChildServer } from "./support/child.ts";
import { startFaultProxy } from "./support/fault-proxy.ts";
import { startOwnPostgres } from "./support/own-postgres.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

test(
  "three nodes through kill -9, NATS, PostgreSQL and Redis restarts and a NATS partition: every acknowledged message reaches every member once, in order",
  { timeout: 420_000 },
  async (t) => {
    const pg = await startOwnPostgres();
    t.after(() => pg.stop());
    const nats = await startTestNats();
    t.after(() => nats.cleanup());
    const redis = await startTestRedis();
    t.after(() => redis.stop());
    // Each node reaches NATS through its own pass-through, so one node can be cut off alone.
    const natsLinks: TcpProxy[] = [];
    for (let i = 0; i < 3; i++) natsLinks.push(await startTcpProxy(nats.port));
    t.after(async () => {
      for (const l of natsLinks) await l.close();
    });
    // One data directory: the nodes share the KMS key file (and, without S3, the blobs).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-chaos-"));
    t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const ports = [await freePort(), await freePort(), await freePort()];
    const start = (i: number) =>
      startChildServer({
        dataDir,
        databaseUrl: pg.url,
        port: ports[i]!,
        setupToken: TEST_SETUP_TOKEN,
        env: {
          PARLEY_CHECK_MLS_FRAMING: "true",
          PARLEY_NATS_URL: `nats://127.0.0.1:${natsLinks[i]!.port}`,
          PARLEY_REDIS_URL: redis.url,
        },
      });
    const nodes: ChildServer[] = [];
    for (let i = 0; i < 3; i++) nodes.push(await start(i));
    t.after(async () => {
      for (const n of nodes) await n.kill9();
    });
    const balancer = await startFaultProxy(ports);
    t.after(() => balancer.close());

    const { alice, bob, carol, devices } = await threeMembers(t, balancer.url);
    const ch = await alice.createChannel({ kind: "private", name: "chaos", members: [bob.userId, carol.userId] });
    const undecryptable: string[] = [];
    const errors: string[] = [];
    const received = new Map<ParleyClient, Event[]>();
    const texts = new Map<ParleyClient, string[]>();
    for (const c of devices.keys()) {
      received.set(c, []);
      texts.set(c, []);
      c.on("event", (e) => {
        if (e.channelId !== ch.id || e.kind !== "message" || !e.text) return;
        received.get(c)!.push(e as unknown as Event);
        texts.get(c)!.push(e.text);
      });
      c.on("undecryptable", (n) => undecryptable.push(`${devices.get(c)}: seq ${n.seq} ${n.reason} ${n.message}`));
      c.on("error", (err) => errors.push(`${devices.get(c)}: ${(err as Error).message}`));
      c.connect();
    }
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
      nodes[1] = await start(1);
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
    // Every member read everything (all three were in the group from before the first message).
    for (const c of devices.keys()) {
      const missing = () => [...acked.keys()].filter((text) => !texts.get(c)!.includes(text));
      await until(
        () => missing().length === 0,
        `${devices.get(c)} reads every acknowledged message (missing ${missing().length}: ${missing().slice(0, 5).join(", ")}; errors: ${errors.slice(-5).join(" | ")})`,
        90_000,
      );
    }
    for (const c of devices.keys()) {
      const name = devices.get(c)!;
      const got = texts.get(c)!;
      assert.equal(new Set(got).size, got.length, `${name} was shown a message twice`);
      const seqs = received.get(c)!.map((e) => e.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((x, y) => x - y),
        `${name} was shown messages out of seq order`,
      );
    }
    assert.deepEqual(undecryptable, []);
    // One epoch everywhere once the last rotation settled.
    await until(
      () => new Set([alice, bob, carol].map((c) => c.e2ee!.epochOf(ch.id))).size === 1,
      `every device ends in one epoch (${[alice, bob, carol].map((c) => c.e2ee!.epochOf(ch.id)).join(", ")})`,
      60_000,
    );
  },
);
