/**
 * Large-add benchmark (issue 7, "Welcome size and add cost"): adding 999 members to a
 * 1-member group in ONE commit, with and without the ratchet tree in the Welcome, for the
 * default and X-Wing suites, raw ts-mls and @parley/crypto in the same process
 * (large-add-runs.ts lists the configurations). Per run: the add (wall and CPU), commit,
 * Welcome and GroupInfo bytes, the last joiner's join from the Welcome, a self-update
 * commit at 1,000 members and its processing by that joiner.
 *
 * The machine is shared and noisy, so configurations run in rounds, the order rotating
 * each round; cells are medians over rounds, and the per-round speed-up of "Parley now"
 * over each other configuration (its add time / Parley now's, same round) as well. Writes bench/results/large-add.json and
 * rows in bench/RESULTS.md ("Large adds" section). Not a test: never fails on figures.
 *
 *   node bench/src/crypto/large-add.ts [--members 999] [--rounds 3] [--suites default,xwing] [--no-record]
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SuiteName } from "@parley/crypto";
import { loadAverage, machine, median, round } from "../results.ts";
import { log } from "../report.ts";
import { addRun, configsFor, ADD_CONFIGS, type AddConfigName, type AddFigures } from "./large-add-runs.ts";
import { makeJoiners } from "./provider-commits.ts";
import { insertRows } from "./record.ts";

export interface LargeAddOptions {
  members: number;
  rounds: number;
  suites: SuiteName[];
}
export const DEFAULT_LARGE_ADD: LargeAddOptions = { members: 999, rounds: 3, suites: ["default", "xwing"] };

/** Large-add rows go right above this line of bench/RESULTS.md. */
export const LARGE_ADD_ROWS_END = "<!-- large-add rows end -->";
const NOW: AddConfigName = "Parley now (no tree)";
const METRICS = [
  "addMs",
  "addCpuMs",
  "commitBytes",
  "welcomeBytes",
  "groupInfoBytes",
  "joinMs",
  "updateMs",
  "updateCpuMs",
  "processMs",
  "processCpuMs",
] as const;

const load = loadAverage;

/** Per suite and configuration: every round's figures, their medians, and this config's add time over "Parley now"'s, per round. */
export interface SuiteResult {
  suite: SuiteName;
  configs: Record<string, { runs: AddFigures[]; median: Record<(typeof METRICS)[number], number>; speedupOfNow: number[] }>;
}

export async function runLargeAddBench(opts: LargeAddOptions = DEFAULT_LARGE_ADD, record = true) {
  const started = new Date();
  const loadAverageAtStart = load();
  log(
    `large add: ${opts.members} members in one commit, ${opts.rounds} rounds, suites ${opts.suites.join(", ")}; load average ${loadAverageAtStart.join(" ")}`,
  );
  const suites: SuiteResult[] = [];
  for (const suite of opts.suites) {
    log(`${suite}: making ${opts.members} joiners' KeyPackages`);
    const joiners = await makeJoiners(suite, opts.members);
    const names = configsFor(suite);
    const runs = Object.fromEntries(names.map((n) => [n, [] as AddFigures[]]));
    for (let r = 0; r < opts.rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]!);
      for (const n of order) {
        const f = await addRun(joiners, ADD_CONFIGS[n]);
        runs[n]!.push(f);
        log(
          `${suite} round ${r + 1} ${n.padEnd(40)} add ${round(f.addMs)} ms (cpu ${round(f.addCpuMs)}) | Welcome ${f.welcomeBytes} B | join ${round(f.joinMs)} ms | self-update ${round(f.updateMs)} ms | process it ${round(f.processMs)} ms`,
        );
      }
    }
    const configs: SuiteResult["configs"] = {};
    for (const n of names) {
      const rs = runs[n]!;
      configs[n] = {
        runs: rs.map((f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v, 1)])) as unknown as AddFigures),
        median: Object.fromEntries(METRICS.map((m) => [m, round(median(rs.map((f) => f[m])), 1)])) as SuiteResult["configs"][string]["median"],
        speedupOfNow: rs.map((f, i) => round(f.addMs / runs[NOW]![i]!.addMs, 2)),
      };
    }
    suites.push({ suite, configs });
  }
  const result = {
    kind: "parley-bench-large-add",
    startedAt: started.toISOString(),
    durationSec: Math.round((Date.now() - started.getTime()) / 1000),
    loadAverageAtStart,
    loadAverageAtEnd: load(),
    machine: machine(),
    options: opts,
    suites,
  };
  for (const s of suites) {
    for (const [n, c] of Object.entries(s.configs)) {
      const m = c.median;
      log(
        `${s.suite} ${n.padEnd(40)} median add ${m.addMs} ms (cpu ${m.addCpuMs}), Welcome ${m.welcomeBytes} B, join ${m.joinMs} ms, self-update ${m.updateMs} ms, process ${m.processMs} ms; speed-up of Parley now per round ${c.speedupOfNow.join(" ")}`,
      );
    }
  }
  if (record) recordLargeAdd(result);
  return result;
}

/** Benchmark results as written to bench/results/large-add.json. */
export type LargeAddResults = Awaited<ReturnType<typeof runLargeAddBench>>;

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

function recordLargeAdd(r: LargeAddResults): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.resolve(here, "..", "..", "results", "large-add.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  const m = r.machine as { cores: number; os: string; node: string };
  const rows = r.suites.flatMap((s) =>
    Object.entries(s.configs).map(([n, c]) => {
      const x = c.median;
      const ratio = n === NOW ? "—" : `${median(c.speedupOfNow)}x`;
      return `| ${r.startedAt.slice(0, 16).replace("T", " ")} | ${m.cores} cores ${m.os} | ${m.node} | ${s.suite} | ${n} | ${fmt(x.addMs)} (${fmt(x.addCpuMs)}) | ${ratio} | ${fmt(x.welcomeBytes)} | ${fmt(x.groupInfoBytes)} | ${fmt(x.joinMs)} | ${fmt(x.updateMs)} (${fmt(x.updateCpuMs)}) | ${fmt(x.processMs)} (${fmt(x.processCpuMs)}) | ${r.options.rounds} | ${r.loadAverageAtStart.join(" ")} / ${r.loadAverageAtEnd.join(" ")} |`;
    }),
  );
  if (insertRows(LARGE_ADD_ROWS_END, rows)) log(`large add: wrote ${path.relative(process.cwd(), file)} and ${rows.length} rows in bench/RESULTS.md`);
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const d = DEFAULT_LARGE_ADD;
  const opts: LargeAddOptions = {
    members: Number(arg("members") ?? d.members),
    rounds: Number(arg("rounds") ?? d.rounds),
    suites: (arg("suites")?.split(",") as SuiteName[] | undefined) ?? d.suites,
  };
  runLargeAddBench(opts, !process.argv.includes("--no-record")).catch((err: unknown) => {
    log(`large-add bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  });
}
