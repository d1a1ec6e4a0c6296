/**
 * Crypto-provider benchmark (issue 7): application messages at 2 members (one
 * encrypts, the other decrypts, bytes encoded and decoded) per second on one core, in
 * four configurations measured in the same process, in interleaved rounds (the order
 * rotates each round) so background load hits all of them alike:
 *   raw ts-mls + ts-mls's default provider   (the baseline)
 *   @parley/crypto + "reference" provider    (the same default provider, through the wrapper)
 *   @parley/crypto + "platform" provider     (node:crypto, what Parley uses on Node)
 *   raw ts-mls + the node:crypto provider    (the wrapper's overhead on the fast provider)
 * Each figure is the median over rounds, as wall-clock msgs/s and as msgs per CPU
 * second of this process (all threads: the default provider's WebCrypto jobs run on the
 * libuv pool), the latter being less sensitive to other processes on the machine.
 * `--with-1000` adds commit costs at 1,000 members per provider (provider-commits.ts);
 * `--xwing` adds the X-Wing suite to those. Writes bench/results/provider.json and a row
 * in bench/RESULTS.md (section "Crypto provider"); not a test, never fails on figures.
 *
 *   node bench/src/crypto/provider.ts [--messages 2000] [--rounds 5] [--with-1000 [--commit-rounds 2] [--xwing]] [--no-record]
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CryptoProviderName, SuiteName } from "@parley/crypto";
import { nodeCryptoProvider } from "../../../packages/crypto/src/provider-node.ts";
import { loadAverage, machine, median, round } from "../results.ts";
import { log } from "../report.ts";
import { commitRun, makeJoiners, type CommitRun } from "./provider-commits.ts";
import { rawThroughput, wrapperThroughput } from "./throughput.ts";
import { benchDir, insertRows } from "./record.ts";

export interface ProviderOptions {
  messages: number;
  rounds: number;
  with1000: boolean;
  commitRounds: number;
  xwing: boolean;
}
export const DEFAULT_PROVIDER_BENCH: ProviderOptions = { messages: 2000, rounds: 5, with1000: false, commitRounds: 2, xwing: false };

const CONFIGS = {
  "raw ts-mls, default provider": (n: number) => rawThroughput(n),
  "@parley/crypto, reference provider": (n: number) => wrapperThroughput(n, "reference"),
  "@parley/crypto, node provider": (n: number) => wrapperThroughput(n, "platform"),
  "raw ts-mls, node provider": (n: number) => rawThroughput(n, nodeCryptoProvider),
} as const;
type ConfigName = keyof typeof CONFIGS;
const BASELINE: ConfigName = "raw ts-mls, default provider";
const TARGET: ConfigName = "@parley/crypto, node provider";

const load = loadAverage;

/** One measurement: wall-clock msgs/s and msgs per CPU second of this process. */
async function measure(name: ConfigName, messages: number): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await CONFIGS[name](messages);
  const wallS = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(cpu0);
  // Setup (two identities, a 2-member group) is inside both clocks; at 2,000 messages it is < 1 %.
  return { wall: messages / wallS, cpu: messages / ((c.user + c.system) / 1e6) };
}

export async function runProviderBench(opts: ProviderOptions = DEFAULT_PROVIDER_BENCH, record = true) {
  const started = new Date();
  const loadAverageAtStart = load();
  const names = Object.keys(CONFIGS) as ConfigName[];
  log(`crypto provider: ${opts.rounds} rounds x ${names.length} configurations x ${opts.messages} messages; load average ${loadAverageAtStart.join(" ")}`);
  for (const n of names) await CONFIGS[n](Math.min(200, opts.messages)); // warm-up: JIT, HPKE modules, key caches
  const runs: Record<string, { wall: number[]; cpu: number[] }> = Object.fromEntries(names.map((n) => [n, { wall: [], cpu: [] }]));
  const ratios: { wall: number[]; cpu: number[] } = { wall: [], cpu: [] };
  for (let r = 0; r < opts.rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    const got: Partial<Record<ConfigName, { wall: number; cpu: number }>> = {};
    for (const n of order) {
      got[n] = await measure(n, opts.messages);
      runs[n]!.wall.push(round(got[n].wall));
      runs[n]!.cpu.push(round(got[n].cpu));
    }
    ratios.wall.push(round(got[TARGET]!.wall / got[BASELINE]!.wall, 2));
    ratios.cpu.push(round(got[TARGET]!.cpu / got[BASELINE]!.cpu, 2));
    log(`round ${r + 1}: ${order.map((n) => `${n} ${round(got[n]!.wall)}/s (${round(got[n]!.cpu)}/cpu-s)`).join("; ")}`);
  }
  const throughput = Object.fromEntries(names.map((n) => [n, { wallMedian: median(runs[n]!.wall), cpuMedian: median(runs[n]!.cpu), ...runs[n]! }]));
  const speedup = { wallMedian: median(ratios.wall), cpuMedian: median(ratios.cpu), ...ratios };
  for (const n of names) log(`${n.padEnd(36)} median ${throughput[n]!.wallMedian}/s wall, ${throughput[n]!.cpuMedian}/cpu-s`);
  log(`speed-up (${TARGET} / ${BASELINE}, per round): median ${speedup.wallMedian}x wall, ${speedup.cpuMedian}x cpu`);

  const commits: CommitRun[] = [];
  if (opts.with1000) {
    const suites: SuiteName[] = opts.xwing ? ["default", "xwing"] : ["default"];
    for (const suite of suites) {
      log(`${suite}: making 999 joiners' KeyPackages`);
      const joiners = await makeJoiners(suite, 999);
      for (let r = 0; r < opts.commitRounds; r++) {
        const order: CryptoProviderName[] = r % 2 ? ["platform", "reference"] : ["reference", "platform"];
        for (const p of order) {
          const c = await commitRun(joiners, p);
          commits.push(c);
          log(
            `${suite} ${p.padEnd(9)} ${c.members} members: add ${round(c.addMs)} ms (cpu ${round(c.addCpuMs)}) | join ${round(c.joinMs)} ms | self-update ${round(c.updateMs)} ms (cpu ${round(c.updateCpuMs)}, ${c.updateCommitBytes} B) | process it ${round(c.processUpdateMs)} ms (cpu ${round(c.processUpdateCpuMs)})`,
          );
        }
      }
    }
  }
  const result = {
    kind: "parley-bench-crypto-provider",
    startedAt: started.toISOString(),
    durationSec: Math.round((Date.now() - started.getTime()) / 1000),
    loadAverageAtStart,
    loadAverageAtEnd: load(),
    machine: machine(),
    options: opts,
    throughput,
    speedup,
    commits,
  };
  if (record) recordRow(result);
  return result;
}

/** Benchmark results as written to bench/results/provider.json. */
export type ProviderResults = Awaited<ReturnType<typeof runProviderBench>>;

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const d = DEFAULT_PROVIDER_BENCH;
  const opts: ProviderOptions = {
    messages: arg("messages") ?? d.messages,
    rounds: arg("rounds") ?? d.rounds,
    with1000: process.argv.includes("--with-1000"),
    commitRounds: arg("commit-rounds") ?? d.commitRounds,
    xwing: process.argv.includes("--xwing"),
  };
  const record = !process.argv.includes("--no-record");
  runProviderBench(opts, record)
    .then((r) => record || log(JSON.stringify(r, null, 1)))
    .catch((err: unknown) => {
      log(`provider bench failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exitCode = 1;
    });
}

/** The section's rows go right above this line. */
export const PROVIDER_ROWS_END = "<!-- provider rows end -->";

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

export function recordRow(r: ProviderResults): void {
  const file = path.join(benchDir, "results", "provider.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  const t = r.throughput;
  const cell = (n: string) => (t[n] ? `${fmt(t[n].wallMedian)} (${fmt(t[n].cpuMedian)})` : "—");
  const m = r.machine as { cores: number; os: string; node: string };
  const row = `| ${r.startedAt.slice(0, 16).replace("T", " ")} | ${m.cores} cores ${m.os} | ${m.node} | ${cell("raw ts-mls, default provider")} | ${cell("@parley/crypto, reference provider")} | ${cell("@parley/crypto, node provider")} | ${cell("raw ts-mls, node provider")} | ${r.speedup.wallMedian}x (${r.speedup.cpuMedian}x) | ${r.options.rounds} x ${r.options.messages} | ${r.loadAverageAtStart.join(" ")} / ${r.loadAverageAtEnd.join(" ")} |`;
  if (insertRows(PROVIDER_ROWS_END, [row])) log(`provider: wrote ${path.relative(process.cwd(), file)} and a row in bench/RESULTS.md`);
  else log(`provider: wrote ${path.relative(process.cwd(), file)}; RESULTS.md row NOT added: ${row}`);
}
