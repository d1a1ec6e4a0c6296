/**
 * `npm run bench`: Parley's gateway side by side with a bare `ws` broadcast
 * server, both driven by the same load client on 127.0.0.1, each server in its
 * own child process. Writes bench/results/fanout.json and appends one line to
 * bench/RESULTS.md. Not a test: it prints figures and never fails on them.
 *
 *   node bench/src/run-all.ts [--only fanout,idle,persist,e2e,provider,large-add] [--servers bare,parley] [--quick] [--no-record] [--with-1000]
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopAll, type ServerProcess } from "./processes.ts";
import type { BenchTarget } from "./target.ts";
import { startPrepared, type Prepared } from "./prepared.ts";
import { DEFAULT_FANOUT, runFanout, type FanoutResult } from "./fanout.ts";
import { DEFAULT_IDLE, runIdle, type IdleResult } from "./idle.ts";
import { DEFAULT_PERSIST, runPersist } from "./persist.ts";
import { createPgDatabase, type PgDatabase } from "./pg-database.ts";
import { writeResults, type BenchResults } from "./results.ts";
import { log } from "./report.ts";
import { runE2e } from "./e2e/run.ts";
import { DEFAULT_PROVIDER_BENCH, runProviderBench } from "./crypto/provider.ts";
import { DEFAULT_LARGE_ADD, runLargeAddBench } from "./crypto/large-add.ts";
import type { ServerKind } from "./server-child.ts";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const only = new Set((arg("only") ?? "fanout,idle,persist").split(","));
const servers = (arg("servers") ?? "bare,parley").split(",") as ServerKind[];
const quick = process.argv.includes("--quick");
/** Try-outs: print the results instead of recording them. */
const noRecord = process.argv.includes("--no-record");

/** Run `body` against freshly started servers; always stops them (by PID) and drops their data. */
async function withServers<T>(kinds: ServerKind[], users: number, body: (list: Prepared[]) => Promise<T>, databaseUrl?: string): Promise<T> {
  const list: Prepared[] = [];
  try {
    for (const kind of kinds) list.push(await startPrepared(kind, users, databaseUrl));
    return await body(list);
  } finally {
    for (const p of list) await p.cleanup();
  }
}

function withServer<T>(kind: ServerKind, users: number, body: (s: ServerProcess, t: BenchTarget) => Promise<T>, databaseUrl?: string): Promise<T> {
  return withServers([kind], users, ([p]) => body(p!.server, p!.target), databaseUrl);
}

async function attempt<T>(what: string, errors: Record<string, string>, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    errors[what] = msg;
    log(`${what} FAILED: ${msg}`);
    await stopAll();
    return undefined;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // Other work on the machine skews latency (not per-process CPU): record how busy it was.
  const loadAverageAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  log(`load average at start: ${loadAverageAtStart.join(" ")} (${os.cpus().length} cores)`);
  const errors: Record<string, string> = {};
  let fanout: Partial<Record<ServerKind, FanoutResult>> = {};
  const idle: Partial<Record<ServerKind, IdleResult>> = {};
  const persist: BenchResults["persist"] = {};
  const fanoutOpts = quick ? { ...DEFAULT_FANOUT, fixedMs: 3_000, reps: 2, rampSends: [80, 160, 320], rampMs: 3_000 } : DEFAULT_FANOUT;
  const idleOpts = quick ? { ...DEFAULT_IDLE, connections: 2_000 } : DEFAULT_IDLE;
  const persistOpts = quick ? { ...DEFAULT_PERSIST, durationMs: 4_000, warmupMs: 1_000 } : DEFAULT_PERSIST;

  if (only.has("fanout")) {
    log(`fan-out 1 -> ${fanoutOpts.receivers} on ${servers.join(" and ")} (40k/s windows alternate between them)`);
    // Receivers are sockets of 10 member users (argon2 makes one account ~100 ms).
    fanout = (await attempt(`fanout`, errors, () => withServers(servers, 10, (list) => runFanout(list, fanoutOpts)))) ?? {};
  }
  if (only.has("idle")) {
    for (const kind of servers) {
      log(`${idleOpts.connections} idle connections on ${kind}`);
      idle[kind] = await attempt(`idle.${kind}`, errors, () => withServer(kind, 10, (s, t) => runIdle(s, t, idleOpts)));
    }
  }
  if (only.has("persist") && servers.includes("parley")) {
    log("persisted sends/s on SQLite (synchronous=FULL)");
    // One server per dialect; WebSocket sends (the client's normal path) first, then HTTP POST.
    const both = async (s: ServerProcess, t: BenchTarget, label: string) => {
      const ws = await runPersist(s, t, label, persistOpts);
      const http = await runPersist(s, t, label, { ...persistOpts, via: "http" });
      return { ws, http };
    };
    const sqlite = await attempt("persist.sqlite", errors, () => withServer("parley", 0, (s, t) => both(s, t, "sqlite")));
    if (sqlite) {
      persist.sqlite = sqlite.ws;
      persist.sqliteHttp = sqlite.http;
    }
    log("persisted sends/s on PostgreSQL");
    let db: PgDatabase | undefined;
    const postgres = await attempt("persist.postgres", errors, async () => {
      db = await createPgDatabase(path.resolve(benchDir, ".."));
      return withServer("parley", 0, (s, t) => both(s, t, "postgres"), db.url);
    });
    if (postgres) {
      persist.postgres = postgres.ws;
      persist.postgresHttp = postgres.http;
    }
    await db?.drop().catch((err: unknown) => log(`dropping the bench database failed: ${String(err)}`));
  }

  // E2EE end-to-end latency (not in the default list): records its own bench/results/e2e.json and RESULTS.md section.
  if (only.has("e2e")) {
    await attempt("e2e", errors, () => runE2e(undefined, !noRecord));
  }
  // MLS crypto providers vs raw ts-mls, in this process (not in the default list): bench/results/provider.json
  // and a row in RESULTS.md's "Crypto provider" section; --with-1000 adds the 1,000-member commits.
  if (only.has("provider")) {
    await attempt("provider", errors, () => runProviderBench({ ...DEFAULT_PROVIDER_BENCH, with1000: process.argv.includes("--with-1000") }, !noRecord));
  }
  // Adding 999 members in one commit, with and without the tree in the Welcome (not in the default list):
  // bench/results/large-add.json and rows in RESULTS.md's "Large adds" section.
  if (only.has("large-add")) {
    await attempt("large-add", errors, () => runLargeAddBench(DEFAULT_LARGE_ADD, !noRecord));
  }
  // Those record their own results; the transport results below only when a transport bench ran.
  if ([...only].every((b) => b === "e2e" || b === "provider" || b === "large-add")) return;

  const results: BenchResults = {
    kind: "parley-bench",
    quick,
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
    startedAt: new Date(started).toISOString(),
    durationSec: Math.round((Date.now() - started) / 1000),
    fanout,
    idle,
    persist,
    errors,
  };
  if (noRecord) {
    log(JSON.stringify(results, null, 1));
    return;
  }
  const file = writeResults(benchDir, results);
  log(`wrote ${path.relative(process.cwd(), file)} and a line in bench/RESULTS.md (${results.durationSec} s)`);
}

main().catch(async (err: unknown) => {
  log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  await stopAll();
  process.exitCode = 1;
});
