// The coverage report of `./run test` (scripts/coverage/): files summed per
// package, figures rounded down, and a package below its floor named in one line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkFloors, isTypeOnly, perPackage, table, type Summary } from "../scripts/coverage/report.ts";

const root = "/repo/";
const file = (lines: [number, number], branches: [number, number]) => ({
  lines: { total: lines[0], covered: lines[1] },
  branches: { total: branches[0], covered: branches[1] },
});
const summary: Summary = {
  total: file([1000, 1000], [1000, 1000]),
  "/repo/packages/crypto/src/a.ts": file([100, 99], [10, 9]),
  "/repo/packages/crypto/src/b/c.ts": file([200, 200], [10, 10]),
  "/repo/packages/sdk/src/x.ts": file([3, 2], [0, 0]),
  "/repo/bench/src/y.ts": file([50, 0], [5, 0]),
};

test("files are summed per package, rounded down to one decimal; a package without branches has 100 %", () => {
  const [crypto, sdk, web] = perPackage(summary, root, ["crypto", "sdk", "web"]);
  assert.deepEqual(crypto, { name: "crypto", files: 2, lines: { total: 300, covered: 299, pct: 99.6 }, branches: { total: 20, covered: 19, pct: 95 } });
  assert.equal(sdk!.lines.pct, 66.6);
  assert.equal(sdk!.branches.pct, 100);
  assert.equal(web!.files, 0, "bench and other packages do not count");
});

test("a figure below its floor is named; floors two points or more below the figure can rise", () => {
  const rows = perPackage(summary, root, ["crypto", "sdk"]);
  const { below, canRise } = checkFloors(rows, { crypto: { lines: 99.6, branches: 90 }, sdk: { lines: 70, branches: 100 } });
  assert.deepEqual(below, ["sdk lines 66.6 % < 70"]);
  assert.deepEqual(canRise, ["crypto branches 90 -> 94"]);
});

test("a package without a floor, or a floor without files, fails the check", () => {
  const rows = perPackage(summary, root, ["crypto"]);
  assert.deepEqual(checkFloors(rows, { sdk: { lines: 0, branches: 0 } }).below, ["crypto has no floor", "sdk has a floor but no files"]);
});

test("the table has a row per package with its floors", () => {
  const lines = table(perPackage(summary, root, ["crypto"]), { crypto: { lines: 95, branches: 90 } });
  assert.equal(lines.length, 2);
  assert.match(lines[1]!, /^crypto\s+2\s+99\.6 % \(≥ 95\)\s+299\/300\s+95\.0 % \(≥ 90\)\s+19\/20$/);
});

test("a file of types only (interfaces, type aliases, type re-exports) is told from one with code", () => {
  assert.equal(
    isTypeOnly(
      '/** A row. */\nimport type { X } from "./x.ts";\nexport interface Row { id: string }\nexport type Id = Row["id"]; // why\nexport type { X } from "./x.ts";\n',
    ),
    true,
  );
  assert.equal(isTypeOnly("export type Id = string;\nexport const ZERO = 0;\n"), false);
  assert.equal(isTypeOnly('import { x } from "./x.ts";\n'), false, "a value import runs the module it names");
});
