/**
 * Three nodes vs one (issue 12): fan-out 1 -> RECEIVERS in one channel on PostgreSQL, first
 * through a single Parley process (in-process bus, the single-node default), then through three
 * processes on one database and one NATS server, the receivers spread evenly over the three
 * nodes and the sender on node 0. Both clusters are started up front and measured in
 * alternating windows (bench/src/fanout.ts): deliveries/s and p50/p99 at a fixed offered rate,
 * then a ramp to saturation; server CPU is the sum over a cluster's processes. The three-node
 * run also gives delivery latency per receiver node: node 0 is same-node delivery, nodes 1 and 2
 * cross-node (through NATS).
 *
 *   node bench/src/cross-node.ts [--receivers 1000] [--rate 20000] [--ramp 40,80,160,320]
 *
 * Everything listens on 127.0.0.1; PostgreSQL from scripts/pg.sh (or PARLEY_BENCH_PG_URL),
 * Debian's nats-server. Writes bench/results/cross-node.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@parley/server/testing/ports";
import { startTestNats, type TestNats } from "@parley/server/testing/nats";
import { DEFAULT_FANOUT, runFanout } from "./fanout.ts";
import { createPgDatabase, type PgDatabase } from "./pg-database.ts";
import { parleyConfig } from "./prepared.ts";
import { prepareParley } from "./parley-setup.ts";
import { startServerProcess, stopAll, type ServerProcess } from "./processes.ts";
import type { ServerKind, UsageReply } from "./server-child.ts";
import type { BenchTarget } from "./target.ts";
import { loadAverage, machine } from "./results.ts";
import { arg, log } from "./report.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RECEIVERS = Number(arg("receivers", "1000"));
const RATE = Number(arg("rate", "20000"));
const RAMP = arg("ramp", "40,80,160,320").split(",").map(Number).filter(Boolean);

interface Cluster {
  label: string;
  nodes: ServerProcess[];
  dataDir: string;
  db: PgDatabase;
}

/** A cluster as one server to the fan-out bench: CPU and memory summed over its processes. */
function asOne(c: Cluster): ServerProcess {
  return {
    kind: c.label as ServerKind,
    pid: c.nodes[0]!.pid,
    url: c.nodes[0]!.url,
    async usage(gc = false) {
      const all = await Promise.all(c.nodes.map((n) => n.usage(gc)));
      const sum = (k: keyof UsageReply) => all.reduce((a, u) => a + (u[k] as number), 0);
      return {
        ...all[0]!,
        cpuUserUs: sum("cpuUserUs"),
        cpuSystemUs: sum("cpuSystemUs"),
        rss: sum("rss"),
        heapUsed: sum("heapUsed"),
        heapTotal: sum("heapTotal"),
        external: sum("external"),
        arrayBuffers: sum("arrayBuffers"),
        connections: sum("connections"),
      };
    },
    async stop() {
      for (const n of c.nodes) await n.stop();
    },
  };
}

async function startCluster(label: string, count: number, nats: TestNats | null): Promise<Cluster> {
  const db = await createPgDatabase(ROOT);
  // One data directory for the cluster's nodes: they share the key file (and the files' blobs), like nodes on shared storage.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-xnode-"));
  const c: Cluster = { label, nodes: [], dataDir, db };
  for (let i = 0; i < count; i++) {
    const config = { ...parleyConfig(await freePort(), dataDir, db.url), ...(nats ? { natsUrl: nats.url } : {}) };
    const node = await startServerProcess("parley", config);
    c.nodes.push(node);
    log(`${label}: node ${i} pid ${node.pid} at ${node.url}`);
  }
  return c;
}

async function stopCluster(c: Cluster): Promise<void> {
  for (const n of c.nodes) await n.stop().catch(() => undefined);
  await c.db.drop().catch(() => undefined);
  fs.rmSync(c.dataDir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const loadAtStart = loadAverage();
  log(`cross-node: 1 node vs 3 nodes, fan-out 1 -> ${RECEIVERS} at ${RATE}/s offered, ramp ${RAMP.join(",")} sends/s; load average ${loadAtStart.join(" ")}`);
  const clusters: Cluster[] = [];
  let nats: TestNats | null = null;
  try {
    nats = await startTestNats();
    log(`nats-server at ${nats.url}`);
    clusters.push(await startCluster("one-node", 1, null));
    clusters.push(await startCluster("three-nodes", 3, nats));
    const servers: Array<{ server: ServerProcess; target: BenchTarget }> = [];
    for (const c of clusters) {
      // Org, users and channel through node 0's HTTP API; every node serves the same database.
      const t = await prepareParley(c.nodes[0]!.url, 10);
      servers.push({ server: asOne(c), target: { ...t, receiverUrls: c.nodes.map((n) => n.url) } });
    }
    const r = await runFanout(servers, { ...DEFAULT_FANOUT, receivers: RECEIVERS, workers: 3, fixedRate: RATE, rampSends: RAMP });
    const summary = Object.fromEntries(
      Object.entries(r).map(([k, v]) => [
        k,
        {
          deliveriesPerSec: v.at40k.deliveriesPerSec,
          p50Ms: v.at40k.latency.p50Ms,
          p99Ms: v.at40k.latency.p99Ms,
          cpuUsPerDelivery: v.at40k.serverCpuUsPerDelivery,
          saturationDeliveriesPerSec: v.saturationDeliveriesPerSec,
          latencyByReceiverNode: v.at40k.latencyByReceiverNode,
        },
      ]),
    );
    for (const [k, v] of Object.entries(summary)) log(`${k}: ${JSON.stringify(v)}`);
    const out = { date: new Date().toISOString(), machine: machine(), loadAverageAtStart: loadAtStart, receivers: RECEIVERS, rate: RATE, summary, detail: r };
    fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    fs.writeFileSync(path.join(ROOT, "bench/results/cross-node.json"), JSON.stringify(out, null, 2) + "\n");
  } finally {
    for (const c of clusters) await stopCluster(c);
    await nats?.cleanup();
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
