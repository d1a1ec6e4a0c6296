/**
 * A rolling restart loses nothing (ARCHITECTURE §8, docs/operations.md "Sizing, topology,
 * alerts"): three Parley processes on one PostgreSQL database with NATS and Redis behind a
 * round-robin balancer, real SDK clients (MLS on) spread over them and sending all along. Each
 * node in turn is restarted the way an operator rolls an upgrade: SIGTERM (it drains: refuses new
 * work, closes its sockets with 1012, finishes what is in flight, exits 0 within its grace), started
 * again on the same port, and the next one only once its /readyz answers 200. During the roll a
 * member rotates its keys, a member is added, another rotates. Afterwards: every send was
 * acknowledged (those queued in the SDK while a client reconnected too), every acknowledged message
 * is shown exactly once and in seq order to every member, each drained node's clients reconnected to
 * another node, and every device ends in one epoch.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES } from "@parley/protocol";
import type { ParleyClient } from "../packages/sdk/src/client.ts";
import { isParleyError } from "../packages/sdk/src/errors.ts";
import { until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { assertOneEpoch, assertShownOnceInOrder, joinedAt, watchChannel } from "./support/channel-watch.ts";
import { reportingNode, startCluster, waitReady } from "./support/cluster.ts";
import { chatter, threeMembers } from "./support/members.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** PARLEY_SHUTDOWN_GRACE_MS of the nodes: how long a drain may wait for its sockets to go. */
const GRACE_MS = 5000;

test(
  "a rolling restart of three nodes under load: every acknowledged and every queued message reaches every member once, in order",
  { timeout: 150_000 },
  async (t) => {
    const cluster = await startCluster(t, { PARLEY_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    const { nodes, balancer } = cluster;

    // Which node each device is connected to, from the `ready` frames the gateway sent it.
    const readies: { name: string; node: string }[] = [];
    const nodeOf = (name: string) => readies.findLast((r) => r.name === name)?.node;
    const where = (name: string) => {
      const i = nodes.findIndex((n) => n.nodeId === nodeOf(name));
      return i < 0 ? "a stopped node" : `node ${i + 1}`;
    };
    const reporting = (name: string) => ({ WebSocket: reportingNode((node) => readies.push({ name, node })) });
    const { org, opts, alice, bob, carol, devices } = await threeMembers(t, balancer.url, reporting);
    const dave = await org.user("dave", { ...opts, ...reporting("dave") });
    devices.set(dave, "dave");
    const ch = await alice.createChannel({ kind: "private", name: "roll", members: [bob.userId, carol.userId] });
    const w = watchChannel(ch.id, devices);
    const chat = chatter(ch.id, [100, 250]);
    t.after(() => chat.stop());

    // Per device: sockets the server closed with 1012, times it went live, and the sends the SDK had to queue.
    const restarts = new Map<ParleyClient, number>();
    const lives = new Map<ParleyClient, number>();
    const queued = new Set<string>();
    for (const [c, name] of devices) {
      restarts.set(c, 0);
      lives.set(c, 0);
      c.on("connection", (change) => {
        if (change.state === "live") lives.set(c, lives.get(c)! + 1);
        if (change.state !== "offline" || change.closeCode !== CLOSE_CODES.serviceRestart) return;
        restarts.set(c, restarts.get(c)! + 1);
        // What was in flight when the socket closed, and one send made while the device is offline.
        for (const [text, who] of chat.outstanding) if (who === c) queued.add(text);
        if (c !== dave) {
          const text = `${name} queued ${restarts.get(c)}`;
          queued.add(text);
          void chat.send(c, text);
        }
      });
      c.connect();
    }
    await Promise.all([...devices.keys()].map((c) => c.waitUntilLive()));
    const initial = [alice, bob, carol].map((c) => nodeOf(devices.get(c)!));
    assert.equal(new Set(initial).size, 3, `alice, bob and carol are on three different nodes (${initial.join(", ")})`);
    await until(() => [bob, carol].every((c) => c.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id)), "everyone is in the group", 30_000);

    const talkers = [chat.stream(alice, "alice"), chat.stream(bob, "bob"), chat.stream(carol, "carol")];
    await sleep(500);

    /** SIGTERM node i with `during` under way, check the drain, start it again and wait until it is ready. */
    const roll = async (i: number, during: () => Promise<void>) => {
      const old = nodes[i]!;
      const label = `node ${i + 1}`;
      const on = [...devices].filter(([, name]) => nodeOf(name) === old.nodeId);
      assert.ok(on.length > 0, `${label} serves none of the devices before its restart`);
      const restartsBefore = new Map(on.map(([c]) => [c, restarts.get(c)!]));
      const ackedBefore = chat.acked.size;
      const sigtermAt = Date.now();
      const exited = old.terminate();
      const mls = during();
      mls.catch(() => undefined); // awaited (and its failure reported) once the node is back
      const exit = await exited;
      const drainMs = Date.now() - sigtermAt;
      assert.deepEqual(exit, { code: 0, signal: null }, `${label} did not exit cleanly after SIGTERM:\n${old.logs().slice(-3000)}`);
      assert.ok(drainMs < GRACE_MS + 3000, `${label} took ${drainMs} ms to drain (grace ${GRACE_MS} ms)`);
      // Its devices were told to reconnect and are live again on the other nodes (it is down now).
      const moved = () => on.every(([c, name]) => restarts.get(c)! > restartsBefore.get(c)! && c.state === "live" && nodeOf(name) !== old.nodeId);
      await until(moved, `${label}'s devices reconnect to another node`, 20_000).catch(() =>
        assert.fail(
          `${label}'s devices did not all reconnect elsewhere: ${on.map(([c, name]) => `${name} ${c.state} on ${where(name)}, ${restarts.get(c)! - restartsBefore.get(c)!} closes with 1012`).join("; ")}`,
        ),
      );
      await cluster.start(i);
      await waitReady(nodes[i]!.url);
      await mls;
      t.diagnostic(
        `${label}: drained in ${drainMs} ms, ${on.map(([, name]) => name).join(" and ")} moved to ${on.map(([, name]) => where(name)).join(" and ")}, ${chat.acked.size - ackedBefore} messages acknowledged meanwhile`,
      );
      await sleep(500);
    };

    // One MLS commit per node restart: a key rotation, an add (commit + Welcome), a key rotation.
    await roll(0, () => alice.e2ee!.selfUpdate(ch.id));
    await roll(1, async () => {
      // Unlike sends, an admin call is not queued by the SDK: one that met the node going away fails
      // with a retryable error and the app asks again, as here (adding a member twice is harmless).
      for (let attempt = 1; ; attempt++) {
        const added = await alice.addMembers(ch.id, [dave.userId]).then(
          () => true,
          (err: unknown) => {
            if (attempt < 5 && isParleyError(err) && err.isRetryable()) return false;
            throw err;
          },
        );
        if (added) break;
        await sleep(200);
      }
      await until(() => dave.e2ee!.epochOf(ch.id) !== undefined, "dave joins the group from his Welcome", 30_000);
      talkers.push(chat.stream(dave, "dave"));
    });
    await roll(2, () => carol.e2ee!.selfUpdate(ch.id));
    await sleep(500);
    chat.stop();
    await Promise.all(talkers);

    // Every send was acknowledged in the end: the SDK kept what it could not send and sent it after reconnecting.
    await until(() => chat.outstanding.size === 0, "every send settles", 30_000).catch(() =>
      assert.fail(`sends still unacknowledged after the roll: ${[...chat.outstanding.keys()].slice(0, 8).join(", ")}`),
    );
    await chat.settled();
    assert.deepEqual([...chat.failed], [], "sends failed for good during the roll");
    assert.ok(queued.size >= 3, `the roll made the SDK queue sends (${queued.size})`);
    assert.deepEqual(
      [...queued].filter((text) => !chat.acked.has(text)),
      [],
      "sends queued while a device reconnected were not acknowledged",
    );
    t.diagnostic(
      `${chat.acked.size} messages acknowledged, ${queued.size} of them queued across a reconnect; ${[...devices].map(([c, name]) => `${name}: ${restarts.get(c)} closes with 1012, ${lives.get(c)! - 1} reconnects`).join("; ")}`,
    );
    assert.ok(chat.acked.size > 60, "the members kept talking through the roll");

    // Every member is shown everything from the epoch it joined at (dave: the one alice's add opened).
    await assertShownOnceInOrder(w, chat.acked, await joinedAt(w, alice), 30_000);
    await assertOneEpoch(devices, ch.id, 30_000);
  },
);
