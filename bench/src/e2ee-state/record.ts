/**
 * Results of the state-persistence bench: bench/results/e2ee-state.json (the whole
 * run) and one row per channel size in the "E2EE state persistence" section of
 * bench/RESULTS.md, above its end marker. Other helpers edit RESULTS.md too, so the
 * edit runs under `flock /tmp/parley-results.lock` (this file re-run as a child with
 * --insert-row), like bench/src/crypto/record.ts.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { log } from "../report.ts";
import type { RoundResult } from "./scenario.ts";
import type { WriteStats } from "./instrument.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, "..", "..");
const RESULTS_MD = path.join(benchDir, "RESULTS.md");
const LOCK = "/tmp/parley-results.lock";
/** The section's Node rows go right above this line. */
export const STATE_ROWS_END = "<!-- e2ee state rows end -->";
/** The section's browser rows go right above this line. */
export const STATE_BROWSER_ROWS_END = "<!-- e2ee state browser rows end -->";

type Summary = { send: number; receive: number; sendCpu?: number; receiveCpu?: number };
type PhaseWrites = Record<"keyStorePuts" | "keyStoreKiB" | "keyStoreMs" | "storeFlushes" | "storeFlushMs", number>;

/** One run of bench/src/e2ee-state/run.ts. */
export interface StateResults {
  kind: "e2ee-state";
  startedAt: string;
  machine: Record<string, unknown>;
  /** The commit whose SDK is the "today" configuration. */
  baseline: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd: number[];
  sizes: Array<{
    members: number;
    messages: number;
    rounds: number;
    /** Per mode: messages/s, median over rounds (wall clock; per CPU second of the process). */
    summary: Record<string, Summary>;
    /** Per mode and phase: key-store writes (count, KiB, ms) and local-store flushes (count, ms) per message. */
    writes: Record<string, Record<"send" | "receive", PhaseWrites>>;
    results: Array<RoundResult & { writes: Record<"send" | "receive", WriteStats> }>;
  }>;
}

const fmt = (x: number | undefined) => (x === undefined ? "—" : Math.round(x).toLocaleString("en-US"));

export function recordState(r: StateResults): void {
  const file = path.join(benchDir, "results", "e2ee-state.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + "\n");
  const m = r.machine as { cores: number; os: string; node: string };
  const rows = r.sizes.map((s) => {
    const cell = (mode: string, ph: "send" | "receive") => {
      const v = s.summary[mode];
      return v ? `${fmt(v[ph])} (${fmt(ph === "send" ? v.sendCpu : v.receiveCpu)})` : "—";
    };
    const writes = (mode: string) => {
      const w = s.writes[mode];
      return w ? `${w.send.keyStorePuts} / ${w.receive.keyStorePuts} (${w.send.keyStoreKiB} / ${w.receive.keyStoreKiB} KiB)` : "—";
    };
    const modes = ["today", "per message", "batched"];
    return (
      `| ${r.startedAt.slice(0, 16).replace("T", " ")} | ${m.cores} cores ${m.os} | ${m.node} | ${s.members} | ` +
      `${modes.map((x) => cell(x, "send")).join(" | ")} | ${modes.map((x) => cell(x, "receive")).join(" | ")} | ` +
      `${modes.map(writes).join("; ")} | ${s.rounds} x ${s.messages} | ${r.loadAverageAtStart.join(" ")} / ${r.loadAverageAtEnd.join(" ")} |`
    );
  });
  insertRows(rows, file, STATE_ROWS_END);
}

/** A round with the writes of its two phases. */
export type RoundWithWrites = RoundResult & { writes: Record<"send" | "receive", WriteStats> };

/** Key-store writes (count, KiB, ms) and local-store flushes (count, ms) per message, per mode and phase (median over rounds). */
export function perMessageWrites(results: RoundWithWrites[]): StateResults["sizes"][number]["writes"] {
  const out: StateResults["sizes"][number]["writes"] = {};
  for (const mode of new Set(results.map((r) => r.mode))) {
    const rs = results.filter((r) => r.mode === mode);
    const per = (phase: "send" | "receive", f: (w: WriteStats) => number) => {
      const xs = rs.map((r) => f(r.writes[phase]) / r.messages).sort((a, b) => a - b);
      return Math.round(xs[xs.length >> 1]! * 1000) / 1000;
    };
    const phase = (ph: "send" | "receive") => ({
      keyStorePuts: per(ph, (w) => w.keyStorePuts),
      keyStoreKiB: per(ph, (w) => w.keyStoreBytes / 1024),
      keyStoreMs: per(ph, (w) => w.keyStoreMs),
      storeFlushes: per(ph, (w) => w.storeFlushes),
      storeFlushMs: per(ph, (w) => w.storeFlushMs),
    });
    out[mode] = { send: phase("send"), receive: phase("receive") };
  }
  return out;
}

/** Insert rows above `marker` (under the lock, in a child), logging instead of failing. */
export function insertRows(rows: string[], file: string, marker: string): void {
  try {
    for (const row of rows)
      execFileSync("flock", [LOCK, process.execPath, fileURLToPath(import.meta.url), "--insert-row", marker, row], { stdio: "inherit", timeout: 60_000 });
    log(`e2ee-state: wrote ${path.relative(process.cwd(), file)} and ${rows.length} row(s) in bench/RESULTS.md`);
  } catch (err) {
    log(`e2ee-state: wrote ${path.relative(process.cwd(), file)}; RESULTS.md rows NOT added (${String(err)}):\n${rows.join("\n")}`);
  }
}

/** Child mode (under flock): insert `row` above `marker`; refuse when the section is missing. */
function insertRow(marker: string, row: string): void {
  const text = fs.readFileSync(RESULTS_MD, "utf8");
  const i = text.indexOf(marker);
  if (i < 0) throw new Error(`bench/RESULTS.md has no "${marker}" marker (the "E2EE state persistence" section)`);
  fs.writeFileSync(RESULTS_MD, `${text.slice(0, i)}${row}\n${text.slice(i)}`);
}

if (process.argv[2] === "--insert-row" && path.resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  insertRow(process.argv[3] ?? "", process.argv[4] ?? "");
}
