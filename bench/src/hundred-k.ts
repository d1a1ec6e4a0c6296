/**
 * 100,000 concurrent authenticated connections of distinct users in one org (issue 12, "Speed"):
 * several Parley processes on one PostgreSQL database and one NATS server, several load-client
 * processes each connecting from its own 127.0.0.x source address. Measures the time until every
 * connection got `synced` (a full hello), RSS per connection (all nodes, after GC), the CPU of the
 * nodes, clients, NATS and PostgreSQL during the connect and chat phases, then the delivery
 * latency (p50/p99, send time in the content -> receive time on every member's socket) and
 * delivered/expected counts while --chat-percent of the users send in their channels.
 *
 *   node bench/src/hundred-k.ts [--users 100000] [--nodes 6] [--client-procs 8] [--chat-percent 1]
 *     [--chat-seconds 30] [--channel-size 100] [--send-interval 10] [--concurrency 32] [--settle-seconds 10]
 *
 * Every user is in one channel of --channel-size consecutive users (members on every node) and
 * --chat-percent of each channel's members send one message every --send-interval seconds. Each
 * process holds fewer sockets than its open-file limit less 1,500 (ulimit -n 20,000: 100k needs
 * >= 6 nodes and >= 6 client processes).
 * PostgreSQL: scripts/pg.sh's server (or PARLEY_BENCH_PG_URL, else PARLEY_TEST_PG_URL), a fresh database dropped after.
 * Every process started is stopped by PID at the end, on failure and on Ctrl-C.
 * Writes bench/results/hundred-k.json; gates nothing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { freePort } from "@parley/server/testing/ports";
import { startTestNats, type TestNats } from "@parley/server/testing/nats";
import { createPgDatabase, type PgDatabase } from "./pg-database.ts";
import { parleyConfig } from "./prepared.ts";
import { onUnexpectedExit, startServerProcess, startWorker, stopAll, type ServerProcess, type WorkerProcess } from "./processes.ts";
import { loadAverage, machine, round } from "./results.ts";
import { log, sleep } from "./report.ts";
import { makePlan, type Plan } from "./hundred-k/plan.ts";
import { seedHundredK } from "./hundred-k/seed.ts";
import { connectAll, type ConnectOutcome } from "./hundred-k/connect.ts";
import { chat, type ChatOutcome } from "./hundred-k/chat.ts";
import { cpuTracker, machineCpuMs } from "./hundred-k/cpu.ts";
import type { UsageReply } from "./server-child.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name}: a positive number, not ${process.argv[i + 1]}`);
  return v;
};
const O = {
  users: arg("users", 100_000),
  nodes: arg("nodes", 6),
  clientProcs: arg("client-procs", 8),
  chatPercent: arg("chat-percent", 1),
  chatSeconds: arg("chat-seconds", 30),
  channelSize: arg("channel-size", 100),
  sendIntervalSec: arg("send-interval", 10),
  /** Hellos in flight per client process. */
  concurrency: arg("concurrency", 32),
  settleSeconds: arg("settle-seconds", 10),
};
/** Sockets one process may hold: its open-file limit (children inherit ours) less room for files, PostgreSQL and NATS. */
const MAX_SOCKETS_PER_PROCESS = (() => {
  const limit = execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim();
  return (limit === "unlimited" ? 1_000_000 : Number(limit)) - 1_500;
})();
/** The idle CPU reading: holds one presence heartbeat (every 10 s); the 30 s pings fall in it one time in three. */
const IDLE_WINDOW_MS = 10_000;

const mb = (b: number) => round(b / 1048576, 1);

/** Everything to stop, newest first; run once (end, failure or signal). */
const cleanups: Array<() => Promise<unknown> | unknown> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await stopAll();
  })();
  return cleaning;
}

export interface Snapshot {
  at: number;
  nodes: UsageReply[];
  clientsCpuUs: number;
  clientsRss: number;
  natsMs: number;
  postgresMs: number;
  machine: { busy: number; total: number };
}

export interface PhaseCpu {
  wallMs: number;
  nodesMs: number[];
  nodesTotalMs: number;
  clientsMs: number;
  natsMs: number;
  /** PostgreSQL backends of the run's database (approximate: see cpu.ts). */
  postgresMs: number;
  /** Whole machine, all cores, other users included. */
  machineBusyPercent: number;
}

function phaseCpu(a: Snapshot, b: Snapshot): PhaseCpu {
  const nodesMs = b.nodes.map((u, i) => round((u.cpuUserUs + u.cpuSystemUs - a.nodes[i]!.cpuUserUs - a.nodes[i]!.cpuSystemUs) / 1000));
  return {
    wallMs: Math.round(b.at - a.at),
    nodesMs,
    nodesTotalMs: nodesMs.reduce((x, y) => x + y, 0),
    clientsMs: round((b.clientsCpuUs - a.clientsCpuUs) / 1000),
    natsMs: round(b.natsMs),
    postgresMs: round(b.postgresMs),
    machineBusyPercent: round(((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * 100, 1),
  };
}

async function run(): Promise<void> {
  const perNode = Math.ceil(O.users / O.nodes);
  const perClient = Math.ceil(O.users / O.clientProcs);
  if (perNode > MAX_SOCKETS_PER_PROCESS) throw new Error(`${perNode} sockets per node: use --nodes ${Math.ceil(O.users / MAX_SOCKETS_PER_PROCESS)} or more`);
  if (perClient > MAX_SOCKETS_PER_PROCESS)
    throw new Error(`${perClient} sockets per client process: use --client-procs ${Math.ceil(O.users / MAX_SOCKETS_PER_PROCESS)} or more`);
  log(`at most ${MAX_SOCKETS_PER_PROCESS} sockets per process (ulimit -n); ${perNode} per node, ${perClient} per client process`);
  if (O.clientProcs > 250) throw new Error("--client-procs: at most 250 (one 127.0.0.x source address each)");
  const loadAtStart = loadAverage();
  log(`hundred-k: ${JSON.stringify(O)}; load average ${loadAtStart.join(" ")}`);
  const plan: Plan = makePlan(O);

  const db: PgDatabase = await createPgDatabase(ROOT);
  cleanups.push(() => db.drop());
  const nats: TestNats = await startTestNats();
  cleanups.push(() => nats.cleanup());
  // One data directory for all nodes: they share the signing-key file (like test/chaos.test.ts).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-100k-"));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  log(`PostgreSQL database ${new URL(db.url).pathname.slice(1)}, NATS pid ${nats.pid()} at ${nats.url}, data ${dataDir}`);

  const config = async () => ({ ...parleyConfig(await freePort(), dataDir, db.url), natsUrl: nats.url });
  const seeded = await seedHundredK(await config(), O.users, plan);
  log(`seed: ${O.users} members, ${plan.channels.length} channels, tokens in ${seeded.ms.total} ms (${JSON.stringify(seeded.ms)})`);

  const nodes: ServerProcess[] = [];
  cleanups.push(() => Promise.all(nodes.map((n) => n.stop())));
  // Started together (the seed ran the migrations). If one fails, stopAll() stops those that started.
  const configs = await Promise.all(Array.from({ length: O.nodes }, config));
  nodes.push(...(await Promise.all(configs.map((c) => startServerProcess("parley", c)))));
  log(`nodes: ${nodes.map((n, i) => `${i + 1}: pid ${n.pid} at ${n.url}`).join(", ")}`);
  const workers: WorkerProcess[] = plan.clients.map(() => startWorker());
  // Stopped before the nodes (cleanups run newest first): their sockets close first.
  cleanups.push(() => Promise.all(workers.map((w) => w.stop())));
  log(`client processes: ${workers.map((w, i) => `pid ${w.pid} from 127.0.0.${2 + i}`).join(", ")}`);

  const nats$ = cpuTracker(() => [nats.pid()].filter((p): p is number => p !== undefined));
  const pg$ = cpuTracker(() => db.backendPids());
  const snapshot = async (gc: boolean): Promise<Snapshot> => {
    const [nodeUsage, clientUsage] = await Promise.all([
      Promise.all(nodes.map((n) => n.usage(gc))),
      Promise.all(workers.map((w) => w.call<{ cpuUs: number; rss: number }>({ cmd: "usage" }, "worker-usage", 30_000))),
    ]);
    return {
      at: performance.now(),
      nodes: nodeUsage,
      clientsCpuUs: clientUsage.reduce((a, u) => a + u.cpuUs, 0),
      clientsRss: clientUsage.reduce((a, u) => a + u.rss, 0),
      natsMs: nats$.lap(),
      postgresMs: pg$.lap(),
      machine: machineCpuMs(),
    };
  };
  const samplers = () => {
    nats$.sample();
    pg$.sample();
  };

  await sleep(2_000);
  const before = await snapshot(true);
  log(`before connecting: nodes' RSS ${before.nodes.map((u) => mb(u.rss)).join(" + ")} MB`);

  const connect: ConnectOutcome = await connectAll({ plan, nodes, workers, tokens: seeded.tokens, concurrency: O.concurrency, onTick: samplers });
  const connected = await snapshot(false);
  const connectCpu = phaseCpu(before, connected);
  const perHello = (ms: number) => round(ms / Math.max(1, connect.connected), 3);
  const cpuPerHelloMs = {
    nodes: perHello(connectCpu.nodesTotalMs),
    clients: perHello(connectCpu.clientsMs),
    nats: perHello(connectCpu.natsMs),
    postgres: perHello(connectCpu.postgresMs),
    all: perHello(connectCpu.nodesTotalMs + connectCpu.clientsMs + connectCpu.natsMs + connectCpu.postgresMs),
  };
  log(
    `connect: ${connect.connected}/${O.users} synced in ${connect.allSyncedMs} ms (${connect.connectionsPerSec}/s); CPU ms: nodes ${connectCpu.nodesTotalMs}, ` +
      `clients ${connectCpu.clientsMs}, NATS ${connectCpu.natsMs}, PostgreSQL ${connectCpu.postgresMs} (per hello ${JSON.stringify(cpuPerHelloMs)}); ` +
      `machine ${connectCpu.machineBusyPercent}% busy`,
  );

  // Let the nodes settle (V8 gives back pages of the hello burst only after some idle GCs), then read RSS after GC.
  let settled = await snapshot(true);
  for (let waited = 0; waited < O.settleSeconds * 1000; waited += 2_500) {
    await sleep(2_500);
    settled = await snapshot(true);
    log(
      `idle ${(waited + 2_500) / 1000} s: nodes' RSS ${settled.nodes.map((u) => mb(u.rss)).join(" + ")} MB, connections ${settled.nodes.map((u) => u.connections).join(" + ")}`,
    );
  }
  const memory = memoryFigures(before, settled, connect.connected);
  log(
    `memory: nodes' RSS ${mb(memory.nodesRssBeforeBytes)} -> ${mb(memory.nodesRssAfterBytes)} MB = ${round(memory.rssPerConnectionBytes / 1024, 1)} KiB/connection ` +
      `(heap ${round(memory.heapPerConnectionBytes / 1024, 1)} KiB); clients' RSS ${mb(memory.clientsRssBytes)} MB`,
  );

  // What the nodes cost with every connection open and nobody talking (pings, presence heartbeats), without GC readings in between.
  await sleep(3_000); // the last GC reading's concurrent sweeping is not idle cost
  const idleStart = await snapshot(false);
  await sleep(IDLE_WINDOW_MS);
  const chatStart = await snapshot(false);
  const idleCpu = phaseCpu(idleStart, chatStart);
  log(
    `idle ${IDLE_WINDOW_MS / 1000} s: CPU ms: nodes ${idleCpu.nodesTotalMs}, clients ${idleCpu.clientsMs}, NATS ${idleCpu.natsMs}, PostgreSQL ${idleCpu.postgresMs}`,
  );
  const chatted: ChatOutcome = await chat({
    plan,
    workers,
    channelIds: seeded.channelIds,
    failedUsers: connect.failedUsers,
    intervalMs: O.sendIntervalSec * 1000,
    durationMs: O.chatSeconds * 1000,
    onTick: samplers,
  });
  const chatEnd = await snapshot(false);
  const chatCpu = phaseCpu(chatStart, chatEnd);
  const afterChat = await snapshot(true);
  log(
    `chat: ${chatted.acked} sends acked (${chatted.sendsPerSec}/s), ${chatted.delivered}/${chatted.expected} delivered, p50 ${chatted.latency.p50Ms} ms, ` +
      `p99 ${chatted.latency.p99Ms} ms, max ${chatted.latency.maxMs} ms; CPU ms: nodes ${chatCpu.nodesTotalMs} ` +
      `(${chatted.delivered ? round((chatCpu.nodesTotalMs * 1000) / chatted.delivered, 2) : 0} µs per delivery), clients ${chatCpu.clientsMs}, ` +
      `NATS ${chatCpu.natsMs}, PostgreSQL ${chatCpu.postgresMs}; machine ${chatCpu.machineBusyPercent}% busy`,
  );

  const out = {
    date: new Date().toISOString(),
    machine: machine(),
    command: `node ${path.relative(ROOT, process.argv[1]!)} ${process.argv.slice(2).join(" ")}`.trim(),
    options: O,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    seedMs: seeded.ms,
    connect: {
      ...connect,
      failedUsers: undefined,
      failed: connect.failedUsers.size,
      cpu: connectCpu,
      cpuPerHelloMs,
    },
    memory,
    idleCpu,
    chat: {
      ...chatted,
      cpu: chatCpu,
      nodeCpuPerDeliveryUs: chatted.delivered ? round((chatCpu.nodesTotalMs * 1000) / chatted.delivered, 2) : 0,
      // Less what the nodes spend idle in as long (pings, presence heartbeats): the cost of the chat itself.
      nodeCpuAboveIdlePerDeliveryUs: chatted.delivered
        ? round(((chatCpu.nodesTotalMs - (idleCpu.nodesTotalMs * chatCpu.wallMs) / idleCpu.wallMs) * 1000) / chatted.delivered, 2)
        : 0,
      nodeCpuPerSendMs: chatted.acked ? round(chatCpu.nodesTotalMs / chatted.acked, 3) : 0,
    },
    nodesRssAfterChatBytes: afterChat.nodes.map((u) => u.rss),
  };
  fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  const file = path.join(ROOT, "bench/results/hundred-k.json");
  fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out));
  log(`wrote ${path.relative(ROOT, file)}`);
}

function memoryFigures(before: Snapshot, after: Snapshot, connections: number) {
  const sum = (s: Snapshot, k: "rss" | "heapUsed") => s.nodes.reduce((a, u) => a + u[k], 0);
  const per = (x: number) => (connections ? Math.round(x / connections) : 0);
  return {
    nodes: after.nodes.map((u, i) => ({
      connections: u.connections,
      rssBeforeBytes: before.nodes[i]!.rss,
      rssAfterBytes: u.rss,
      rssPerConnectionBytes: u.connections ? Math.round((u.rss - before.nodes[i]!.rss) / u.connections) : 0,
    })),
    nodesRssBeforeBytes: sum(before, "rss"),
    nodesRssAfterBytes: sum(after, "rss"),
    rssPerConnectionBytes: per(sum(after, "rss") - sum(before, "rss")),
    heapPerConnectionBytes: per(sum(after, "heapUsed") - sum(before, "heapUsed")),
    clientsRssBytes: after.clientsRss,
    clientsRssPerConnectionBytes: per(after.clientsRss - before.clientsRss),
  };
}

async function main(): Promise<void> {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log(`${sig}: stopping every process this run started`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  const crashed = new Promise<never>((_, reject) => onUnexpectedExit((what) => reject(new Error(what))));
  try {
    await Promise.race([run(), crashed]);
  } finally {
    log("stopping clients, nodes, NATS; dropping the database");
    await cleanup();
  }
}

main().then(
  () => log("done"),
  (err: unknown) => {
    console.error(err);
    // Everything is stopped by now; what run() still awaits must not keep this process alive.
    process.exit(1);
  },
);
