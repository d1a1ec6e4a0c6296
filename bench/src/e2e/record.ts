/**
 * Results of the e2e latency bench: bench/results/e2e.json (the whole run,
 * machine included) and one table row in the "E2EE end-to-end latency" section
 * of bench/RESULTS.md, inserted before that section's end marker. Other
 * helpers edit RESULTS.md too, so the edit runs under
 * `flock /tmp/parley-results.lock` (this file re-run as a child with --insert-row).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { machine } from "../results.ts";
import { log } from "../report.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, "..", "..");
const RESULTS_MD = path.join(benchDir, "RESULTS.md");
const LOCK = "/tmp/parley-results.lock";
/** The section's rows go right above this line. */
export const ROWS_END = "<!-- e2e rows end -->";

type Latency = { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
export interface PhaseResult {
  label: string;
  messages: number;
  burst: boolean;
  ratePerSec: number | undefined;
  complete: boolean;
  /** send() call -> decrypted message event at a receiver, all receivers pooled. */
  latency: Latency;
  /** send() call -> the promise resolves (server ack, committed). */
  sendAck: Latency;
  issuedMs: number;
  allAckedMs: number;
  maxPaceLagMs: number;
  sendFailures: number;
  firstSendError: string | undefined;
  deliveries: number;
  expectedDeliveries: number;
  undecryptableSoFar: number;
  serverCpuUsPerMessage: number;
  clientErrors: string[] | undefined;
}
export interface ConfigResult {
  name: string;
  codec: string;
  members: number;
  receiversMeasured: number;
  steady: PhaseResult;
  burst: PhaseResult;
}
export interface E2eResults {
  kind: "parley-bench-e2e";
  startedAt: string;
  durationSec: number;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  machine?: Record<string, unknown>;
  layout: string;
  options: Record<string, unknown>;
  configs: ConfigResult[];
  ratios: Record<string, number | undefined>;
}

const ratio = (a?: number, b?: number) => (a !== undefined && b ? Math.round((a / b) * 100) / 100 : undefined);

export function recordE2e(r: E2eResults, started: number, record: boolean): E2eResults {
  r.durationSec = Math.round((Date.now() - started) / 1000);
  r.loadAverageAtEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  r.machine = machine();
  const by = (n: string) => r.configs.find((c) => c.name === n);
  const plain = by("plain");
  for (const n of ["e2ee-2", "e2ee-10"]) {
    const c = by(n);
    r.ratios[`${n}/plain steady p50`] = ratio(c?.steady.latency.p50Ms, plain?.steady.latency.p50Ms);
    r.ratios[`${n}/plain steady p99`] = ratio(c?.steady.latency.p99Ms, plain?.steady.latency.p99Ms);
    r.ratios[`${n}/plain burst p50`] = ratio(c?.burst.latency.p50Ms, plain?.burst.latency.p50Ms);
    r.ratios[`${n}/plain burst p99`] = ratio(c?.burst.latency.p99Ms, plain?.burst.latency.p99Ms);
  }
  if (!record) {
    log(JSON.stringify(r, null, 1));
    return r;
  }
  const file = path.join(benchDir, "results", "e2e.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  const cell = (c?: ConfigResult, p: "steady" | "burst" = "steady") => (c ? `${c[p].latency.p50Ms} / ${c[p].latency.p99Ms}` : "—");
  const m = r.machine as { cores: number; os: string; node: string };
  const row = `| ${r.startedAt.slice(0, 10)} | ${m.cores} cores ${m.os} | ${m.node} | ${cell(plain)} | ${cell(by("e2ee-2"))} | ${cell(by("e2ee-10"))} | ${cell(plain, "burst")} | ${cell(by("e2ee-2"), "burst")} | ${cell(by("e2ee-10"), "burst")} | ${r.ratios["e2ee-2/plain steady p50"]}x / ${r.ratios["e2ee-2/plain steady p99"]}x | ${r.ratios["e2ee-10/plain steady p50"]}x / ${r.ratios["e2ee-10/plain steady p99"]}x | load avg ${r.loadAverageAtStart[0]} at start${r.configs.every((c) => c.steady.complete && c.burst.complete) ? "" : "; INCOMPLETE delivery, see e2e.json"} |`;
  try {
    execFileSync("flock", [LOCK, process.execPath, fileURLToPath(import.meta.url), "--insert-row", row], { stdio: "inherit", timeout: 60_000 });
    log(`e2e: wrote ${path.relative(process.cwd(), file)} and a row in bench/RESULTS.md`);
  } catch (err) {
    log(`e2e: wrote ${path.relative(process.cwd(), file)}; RESULTS.md row NOT added (${String(err)}): ${row}`);
  }
  return r;
}

/** Child mode (under flock): insert `row` above the section's end marker; refuse when the section is missing. */
function insertRow(row: string): void {
  const text = fs.readFileSync(RESULTS_MD, "utf8");
  const i = text.indexOf(ROWS_END);
  if (i < 0) throw new Error(`bench/RESULTS.md has no "${ROWS_END}" marker (the E2EE end-to-end latency section)`);
  fs.writeFileSync(RESULTS_MD, `${text.slice(0, i)}${row}\n${text.slice(i)}`);
}

if (process.argv[2] === "--insert-row" && path.resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  insertRow(process.argv[3] ?? "");
}
