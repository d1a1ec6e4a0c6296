/**
 * The write funnel against the code before it (issue 8: persisted sends/s through
 * runCommand, the bus outbox and timeline.appendEvents within 5 % of the old path, in the
 * same run). The baseline is another commit's server, extracted with `git archive` into a
 * temporary directory that shares this checkout's installed packages; both servers run in
 * their own processes on their own databases, and the same load client alternates windows
 * between them (SQLite synchronous=FULL, then PostgreSQL). Prints figures; gates nothing.
 *
 *   node bench/src/funnel.ts [--baseline REV] [--rounds N] [--window-ms MS]
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopAll } from "./processes.ts";
import { DEFAULT_PERSIST, runPersist, type PersistResult } from "./persist.ts";
import { startPrepared, type Prepared } from "./prepared.ts";
import { createPgDatabase, type PgDatabase } from "./pg-database.ts";
import { loadAverage, median, round } from "./results.ts";
import { arg, log } from "./report.ts";
import { extractBaseline } from "./baseline.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The last commit before issue 8's pipeline work. */
const BASELINE = arg("baseline", "0ceb52b");
const ROUNDS = Number(arg("rounds", "4"));
const WINDOW_MS = Number(arg("window-ms", "5000"));

interface Side {
  label: string;
  prepared: Prepared;
  rates: number[];
  cpu: number[];
}

async function compare(dialect: "sqlite" | "postgres", baselineEntry: string): Promise<{ baseline: number; current: number; ratio: number; cpuRatio: number }> {
  const dbs: PgDatabase[] = [];
  const dbUrl = async () => {
    if (dialect === "sqlite") return undefined;
    const d = await createPgDatabase(ROOT);
    dbs.push(d);
    return d.url;
  };
  const sides: Side[] = [];
  try {
    sides.push({ label: `baseline ${BASELINE}`, prepared: await startPrepared("parley", 0, await dbUrl(), baselineEntry), rates: [], cpu: [] });
    sides.push({ label: "current", prepared: await startPrepared("parley", 0, await dbUrl()), rates: [], cpu: [] });
    const opts = { ...DEFAULT_PERSIST, durationMs: WINDOW_MS, warmupMs: 1_000 };
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so a drift in machine load hits both alike.
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const r: PersistResult = await runPersist(side.prepared.server, side.prepared.target, `${dialect} ${side.label}`, opts);
        if (r.errors > 0) throw new Error(`${side.label}: ${r.errors} send errors (${r.firstError ?? "?"})`);
        side.rates.push(r.sendsPerSec);
        side.cpu.push(r.serverCpuPercent / Math.max(1, r.sendsPerSec));
      }
    }
    const [base, cur] = sides as [Side, Side];
    const b = median(base.rates);
    const c = median(cur.rates);
    for (const s of sides) log(`${dialect} ${s.label}: ${s.rates.map((x) => Math.round(x)).join(", ")} sends/s`);
    return { baseline: Math.round(b), current: Math.round(c), ratio: round(c / b, 3), cpuRatio: round(median(cur.cpu) / median(base.cpu), 3) };
  } finally {
    for (const s of sides) await s.prepared.cleanup();
    for (const d of dbs) await d.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  log(
    `funnel bench: baseline ${BASELINE} vs current ${execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]).toString().trim()}; ${ROUNDS} rounds of ${WINDOW_MS} ms per side; load average ${loadAverage().join(" ")}`,
  );
  const base = extractBaseline(ROOT, BASELINE);
  try {
    const out: Record<string, unknown> = {};
    for (const dialect of ["sqlite", "postgres"] as const) {
      log(`persisted sends/s over WebSocket on ${dialect}`);
      const r = await compare(dialect, base.entry);
      out[dialect] = r;
      log(
        `${dialect}: baseline ${r.baseline.toLocaleString("en")}/s, current ${r.current.toLocaleString("en")}/s = ${r.ratio}x (target >= 0.95x); server CPU per send ${r.cpuRatio}x`,
      );
    }
    console.log(JSON.stringify({ date: new Date().toISOString(), baseline: BASELINE, loadAverageAtEnd: loadAverage(), ...out }));
  } finally {
    fs.rmSync(base.dir, { recursive: true, force: true });
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
