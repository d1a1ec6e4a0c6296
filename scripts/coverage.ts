// The end of `./run test` (scripts/test.sh): node --test ran under c8 (.c8rc.json),
// which wrote coverage/coverage-summary.json; this prints line and branch coverage
// per package and fails, with one line, when a package is below its floor in
// coverage-floor.json. How to read and raise the floors: README, "Development".
//   node scripts/coverage.ts              table + floor check (exit 1 below a floor)
//   node scripts/coverage.ts --no-floor   table only (a partial run, or tests failed)
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkFloors, isTypeOnly, perPackage, table, type Floors, type Summary } from "./coverage/report.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const SUMMARY = `${root}coverage/coverage-summary.json`;
const PACKAGES = ["protocol", "crypto", "sdk", "bot", "server", "cli", "web"];

if (!existsSync(SUMMARY)) {
  console.error(`coverage: ${SUMMARY} is missing (c8 wrote no report)`);
  process.exit(1);
}
const summary = JSON.parse(readFileSync(SUMMARY, "utf8")) as Summary;
// Files that hold only types never load (their importers use `import type`): they have no code to cover.
let typeOnly = 0;
for (const [file, c] of Object.entries(summary)) {
  if (file.endsWith(".ts") && c.lines.covered === 0 && existsSync(file) && isTypeOnly(readFileSync(file, "utf8"))) {
    delete summary[file];
    typeOnly++;
  }
}
const floors = (JSON.parse(readFileSync(`${root}coverage-floor.json`, "utf8")) as { packages: Floors }).packages;
const rows = perPackage(summary, root, PACKAGES);

console.log("\ncoverage of packages/*/src by node --test and the processes it starts (not tests, testing helpers, bench;");
console.log(`not the vitest component tests nor the code run inside chromium; ${typeOnly} files of types only left out), floor from coverage-floor.json:`);
for (const line of table(rows, floors)) console.log(`  ${line}`);
if (process.argv.includes("--no-floor")) {
  console.log("coverage: floors not checked (a partial run, or tests failed)");
  process.exit(0);
}
const { below, canRise } = checkFloors(rows, floors);
if (canRise.length > 0) console.log(`coverage: these floors can rise in coverage-floor.json: ${canRise.join(", ")}`);
if (below.length > 0) {
  console.error(`coverage: below the floor in coverage-floor.json: ${below.join("; ")} (add tests; lower a floor only with a reason in the commit)`);
  process.exit(1);
}
