// Line and branch coverage per package from c8's json-summary report, and the
// check against coverage-floor.json (docs: README "Development", docs/architecture.md §5).
import { stripTypeScriptTypes } from "node:module";
import path from "node:path";

/** One file's (or the total's) figures in c8's coverage-summary.json. */
interface Counts { total: number; covered: number }
export type Summary = Record<string, { lines: Counts; branches: Counts }>;

/** A package's figures, in per cent with one decimal (100 when there is nothing to cover). */
export interface PackageCoverage { name: string; files: number; lines: Counts & { pct: number }; branches: Counts & { pct: number } }

/** Minimum line and branch per cent of each package; `coverage-floor.json` holds them. */
export type Floors = Record<string, { lines: number; branches: number }>;

const pct = (c: Counts) => (c.total === 0 ? 100 : Math.floor((c.covered / c.total) * 1000) / 10);

/** Sums the files of `packages/<name>/` per package, in the order of `names`; other files are ignored. */
export function perPackage(summary: Summary, root: string, names: readonly string[]): PackageCoverage[] {
  const sums = new Map(names.map((n) => [n, { files: 0, lines: { total: 0, covered: 0 }, branches: { total: 0, covered: 0 } }]));
  for (const [file, c] of Object.entries(summary)) {
    if (file === "total") continue;
    const rel = path.relative(root, file).split(path.sep);
    const sum = rel[0] === "packages" && rel[1] !== undefined ? sums.get(rel[1]) : undefined;
    if (!sum) continue;
    sum.files++;
    sum.lines.total += c.lines.total; sum.lines.covered += c.lines.covered;
    sum.branches.total += c.branches.total; sum.branches.covered += c.branches.covered;
  }
  return names.map((name) => {
    const s = sums.get(name)!;
    return { name, files: s.files, lines: { ...s.lines, pct: pct(s.lines) }, branches: { ...s.branches, pct: pct(s.branches) } };
  });
}

/** The table `./run test` prints: one row per package, its floor beside each figure. */
export function table(rows: PackageCoverage[], floors: Floors): string[] {
  const cell = (c: Counts & { pct: number }, floor: number | undefined) =>
    `${c.pct.toFixed(1).padStart(5)} %${floor === undefined ? "        " : ` (≥ ${String(floor).padStart(2)})`} ${`${c.covered}/${c.total}`.padStart(12)}`;
  const out = [`${"package".padEnd(9)} ${"files".padStart(5)}  ${"lines".padEnd(28)}  branches`];
  for (const r of rows) out.push(`${r.name.padEnd(9)} ${String(r.files).padStart(5)}  ${cell(r.lines, floors[r.name]?.lines)}  ${cell(r.branches, floors[r.name]?.branches)}`);
  return out;
}

/** What fell below its floor (`crypto lines 88.3 % < 90`), and which floors the figures have passed by `slack` points or more. */
export function checkFloors(rows: PackageCoverage[], floors: Floors, slack = 2): { below: string[]; canRise: string[] } {
  const below: string[] = [];
  const canRise: string[] = [];
  for (const r of rows) {
    const floor = floors[r.name];
    if (!floor) { below.push(`${r.name} has no floor`); continue; }
    for (const metric of ["lines", "branches"] as const) {
      const figure = r[metric].pct;
      if (figure < floor[metric]) below.push(`${r.name} ${metric} ${figure.toFixed(1)} % < ${floor[metric]}`);
      else if (figure - floor[metric] >= slack) canRise.push(`${r.name} ${metric} ${floor[metric]} -> ${Math.floor(figure) - 1}`);
    }
  }
  for (const name of Object.keys(floors)) if (!rows.some((r) => r.name === name)) below.push(`${name} has a floor but no files`);
  return { below, canRise };
}

/**
 * Whether a .ts file holds only types: Node strips it to nothing, so no test can load it
 * (its importers use `import type`) and c8 would count every line of it as uncovered.
 */
export function isTypeOnly(source: string): boolean {
  // stripTypeScriptTypes is experimental in Node 24: keep its one-time warning out of the table.
  const emit = process.emitWarning;
  process.emitWarning = () => undefined;
  try {
    const code = stripTypeScriptTypes(source).replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    return /^(\s|;|export\s*\{\s*\})*$/.test(code);
  } finally {
    process.emitWarning = emit;
  }
}
