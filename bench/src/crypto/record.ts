/**
 * Results of the crypto-provider bench: bench/results/provider.json (the whole run,
 * machine included) and one table row in the "Crypto provider" section of
 * bench/RESULTS.md, inserted above that section's end marker (large-add.ts uses the same
 * insertion for its own section). Other helpers edit
 * RESULTS.md too, so the edit runs under `flock /tmp/parley-results.lock` (this file
 * re-run as a child with --insert-row), like bench/src/e2e/record.ts.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { log } from "../report.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
/** bench/ */
export const benchDir = path.resolve(here, "..", "..");
const RESULTS_MD = path.join(benchDir, "RESULTS.md");
const LOCK = "/tmp/parley-results.lock";
/**
 * Inserts table rows above `marker` in bench/RESULTS.md, under the shared lock (this file
 * re-run as a child). False (and a log line) when that failed.
 */
export function insertRows(marker: string, rows: string[]): boolean {
  try {
    execFileSync("flock", [LOCK, process.execPath, fileURLToPath(import.meta.url), "--insert-row", marker, rows.join("\n")], {
      stdio: "inherit",
      timeout: 60_000,
    });
    return true;
  } catch (err) {
    log(`RESULTS.md rows NOT added above ${marker} (${String(err)})`);
    return false;
  }
}

/** Child mode (under flock): insert `rows` above `marker`; refuse when the section is missing. */
function insertRow(marker: string, rows: string): void {
  const text = fs.readFileSync(RESULTS_MD, "utf8");
  const i = text.indexOf(marker);
  if (i < 0) throw new Error(`bench/RESULTS.md has no "${marker}" marker`);
  fs.writeFileSync(RESULTS_MD, `${text.slice(0, i)}${rows}\n${text.slice(i)}`);
}

if (process.argv[2] === "--insert-row" && path.resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  insertRow(process.argv[3] ?? "", process.argv[4] ?? "");
}
