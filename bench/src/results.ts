/**
 * Results: bench/results/fanout.json (the whole run, machine included) and one
 * Markdown table row appended to bench/RESULTS.md with the headline figures
 * and the Parley/bare ratios the targets are stated in.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FanoutResult } from "./fanout.ts";
import type { IdleResult } from "./idle.ts";
import type { PersistResult } from "./persist.ts";

export interface BenchResults {
  kind: "parley-bench";
  quick: boolean;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  startedAt: string;
  durationSec: number;
  fanout: { bare?: FanoutResult; parley?: FanoutResult };
  idle: { bare?: IdleResult; parley?: IdleResult };
  /** WebSocket `send` frames with acks; *Http: POST /channels/:id/events. */
  persist: { sqlite?: PersistResult; postgres?: PersistResult; sqliteHttp?: PersistResult; postgresHttp?: PersistResult };
  errors: Record<string, string>;
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `x` rounded to `d` decimals. */
export const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

/** The machine's load averages (1, 5, 15 min), to 2 decimals. */
export const loadAverage = () => os.loadavg().map((v) => round(v, 2));

export function machine(): Record<string, unknown> {
  let distro = os.type();
  try {
    distro = `Debian ${fs.readFileSync("/etc/debian_version", "utf8").trim()}`;
  } catch {
    /* not Debian */
  }
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: distro,
    kernel: os.release(),
    node: process.version,
  };
}

const ratio = (a?: number, b?: number) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : undefined);

function ratios(r: BenchResults): Record<string, number | undefined> {
  return {
    cpuPerDelivery: ratio(r.fanout.parley?.at40k.serverCpuUsPerDelivery, r.fanout.bare?.at40k.serverCpuUsPerDelivery),
    saturation: ratio(r.fanout.parley?.saturationDeliveriesPerSec, r.fanout.bare?.saturationDeliveriesPerSec),
    rssPerConnection: ratio(r.idle.parley?.rssPerConnectionBytes, r.idle.bare?.rssPerConnectionBytes),
  };
}

const HEADER = `# Benchmark results

\`npm run bench\` (bench/src/run-all.ts) appends one line here per run, newest last; the full figures of the
latest run are in \`bench/results/fanout.json\`. Benchmarks are not tests: nothing gates CI on them.

How it measures (all on 127.0.0.1):
- Each server under test (Parley via \`createServer()\` on SQLite, or bench/src/bare-server.ts, a minimal \`ws\`
  broadcast server with the same frame shapes) runs in its own child process, started by the bench and stopped
  by PID. CPU is that process's own \`process.cpuUsage()\` (user+system, all threads) over the measured window;
  RSS is its \`process.memoryUsage().rss\` after a forced full GC.
- Load clients are separate processes (3 receiver processes + 1 sender for fan-out, 4 for idle connections),
  each from its own 127.0.0.x source address. They share the machine's 2 cores with the server, so
  saturation figures are for the whole box (server + clients), not the server alone.
- Fan-out: 1 sender socket, 1,000 receiver sockets in one channel. Parley: the sender is the org owner; the
  receivers are 1,000 sockets of 10 member users (100 sockets per access token, each socket authenticated by
  its own hello) because argon2 makes each account ~100 ms. Latency = receive time minus the send time the
  sender wrote into the event's content bytes, sampled on every 5th receiver. "At 40k/s" paces 40 sends/s;
  the 40k/s windows (3 x 5 s per server) alternate between the servers (A B B A B A) so background
  load hits both alike; saturation then ramps 80k/160k/320k/640k deliveries/s offered per server and stops once
  less than 90% is delivered.
- CPU per delivery = server CPU µs in the 40k/s window / deliveries counted by the receivers in that window.
- Idle: 10,000 sockets (hello -> ready) of 10 users, spread over 4 client processes; RSS per connection =
  (RSS after - RSS before) / connections.
- Persisted sends: 4 sockets x 256 \`send\` frames in flight (acked after the commit), then 64 concurrent
  HTTP POSTs; SQLite with synchronous=FULL, PostgreSQL on a fresh database (scripts/pg.sh) dropped after.
- Other processes on the machine skew latency and throughput (not per-process CPU): each line notes the load
  average when the run started.

Targets (issue 2): CPU/delivery <= 1.3x bare, p99 <= 50 ms at 40k/s, RSS/connection <= 2x bare,
SQLite >= 10,000 persisted sends/s, PostgreSQL >= 5,000/s.

| date | machine | node | fan-out saturation deliveries/s bare / parley | p50 / p99 ms at 40k/s bare — parley | CPU µs per delivery bare / parley (ratio) | RSS KiB per idle conn bare / parley (ratio) | persisted sends/s SQLite / PG (ws; http) | notes |
|---|---|---|---|---|---|---|---|---|
`;

const n = (v?: number) => (v === undefined ? "—" : v.toLocaleString("en-US"));
const kib = (v?: number) => (v === undefined ? "—" : (v / 1024).toFixed(1));

function resultsLine(r: BenchResults): string {
  const m = machine();
  const q = ratios(r);
  const fb = r.fanout.bare,
    fp = r.fanout.parley;
  const lat = (f?: FanoutResult) => (f ? `${f.at40k.latency.p50Ms} / ${f.at40k.latency.p99Ms}` : "—");
  const notes = [r.quick ? "quick run" : "", `load avg ${r.loadAverageAtStart[0]} at start`, ...Object.keys(r.errors).map((k) => `${k} failed`)]
    .filter(Boolean)
    .join("; ");
  return `| ${r.startedAt.slice(0, 10)} | ${m.cores} cores ${m.os} | ${m.node} | ${n(fb?.saturationDeliveriesPerSec)} / ${n(fp?.saturationDeliveriesPerSec)} | ${lat(fb)} — ${lat(fp)} | ${fb?.at40k.serverCpuUsPerDelivery ?? "—"} / ${fp?.at40k.serverCpuUsPerDelivery ?? "—"} (${q.cpuPerDelivery ?? "—"}x) | ${kib(r.idle.bare?.rssPerConnectionBytes)} / ${kib(r.idle.parley?.rssPerConnectionBytes)} (${q.rssPerConnection ?? "—"}x) | ${n(r.persist.sqlite?.sendsPerSec)} / ${n(r.persist.postgres?.sendsPerSec)} (${n(r.persist.sqliteHttp?.sendsPerSec)} / ${n(r.persist.postgresHttp?.sendsPerSec)}) | ${notes || "—"} |\n`;
}

/** Write fanout.json and append the RESULTS.md line; returns the JSON path. */
export function writeResults(benchDir: string, r: BenchResults): string {
  const dir = path.join(benchDir, "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "fanout.json");
  fs.writeFileSync(file, `${JSON.stringify({ ...r, machine: machine(), ratios: ratios(r) }, null, 2)}\n`);
  const md = path.join(benchDir, "RESULTS.md");
  if (!fs.existsSync(md)) fs.writeFileSync(md, HEADER);
  fs.appendFileSync(md, resultsLine(r));
  return file;
}
