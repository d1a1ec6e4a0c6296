// The licence check (scripts/licences/): a fixture repository with a GPL
// dependency fails with a line naming the package and the path that brought it
// in, a permissive one passes, and the real tree passes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLicences } from "../scripts/licences/check.ts";
import { LICENCE_EXCEPTIONS, type LicenceException } from "../scripts/licences/exceptions.ts";
import { classifyExpression, SHIPPED_WORKSPACES, type ShippedWorkspace } from "../scripts/licences/policy.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "parley-licences-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

type Pkg = { license?: unknown; licenses?: unknown; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; licenseFile?: string };

const MIT_TEXT = "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software ...";
const GPL_TEXT = "                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007\n...";

let fixtures = 0;
/**
 * A repository with workspaces `packages/app` (Node) and `packages/web`
 * (bundled), each depending on `deps`, and `modules` installed at the root.
 */
function fixture(deps: { app?: Record<string, string>; web?: Record<string, string> }, modules: Record<string, Pkg>): string {
  const root = join(tmp, `repo-${++fixtures}`);
  const write = (dir: string, manifest: object, licenseFile?: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest));
    if (licenseFile !== undefined) writeFileSync(join(dir, "LICENSE"), licenseFile);
  };
  write(root, { name: "fixture", license: "Apache-2.0", workspaces: ["packages/app", "packages/web"] });
  cpSync(join(repo, "LICENSE"), join(root, "LICENSE"));
  write(join(root, "packages/app"), { name: "@fx/app", version: "1.0.0", license: "Apache-2.0", dependencies: deps.app ?? {} });
  write(join(root, "packages/web"), { name: "@fx/web", version: "1.0.0", license: "Apache-2.0", dependencies: { "@fx/app": "1.0.0", ...deps.web } });
  mkdirSync(join(root, "node_modules/@fx"), { recursive: true });
  symlinkSync("../../packages/app", join(root, "node_modules/@fx/app"));
  for (const [name, { licenseFile, ...manifest }] of Object.entries(modules)) {
    write(join(root, "node_modules", name), { name, version: "1.0.0", ...manifest }, licenseFile);
  }
  return root;
}

const WORKSPACES: ShippedWorkspace[] = [{ dir: "packages/app" }, { dir: "packages/web", bundled: true }];
const check = (root: string, exceptions: LicenceException[] = []) => checkLicences({ root, workspaces: WORKSPACES, exceptions }).problems;

describe("licence check", () => {
  test("an MIT dependency, its ISC dependency and a devDependency under GPL pass", () => {
    const root = fixture(
      { app: { "mit-lib": "1.0.0" } },
      {
        "mit-lib": { license: "MIT", dependencies: { "isc-lib": "1.0.0" }, devDependencies: { "gpl-tool": "1.0.0" } },
        "isc-lib": { license: "ISC" },
        "gpl-tool": { license: "GPL-3.0-only" },
      },
    );
    assert.deepEqual(check(root), []);
  });

  test("a GPL package deep in the closure fails with one line naming it, its path and what to do", () => {
    const root = fixture(
      { app: { "mit-lib": "1.0.0" } },
      {
        "mit-lib": { license: "MIT", dependencies: { "gpl-lib": "1.0.0" } },
        "gpl-lib": { license: "GPL-3.0-or-later" },
      },
    );
    const problems = check(root);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^licences: gpl-lib@1\.0\.0 \(GPL-3\.0-or-later\) via @fx\/app > mit-lib > gpl-lib \(also in @fx\/web\): copyleft/);
    assert.match(problems[0]!, /remove or replace it .* scripts\/licences\/exceptions\.ts/);
  });

  test("no licence field: the LICENSE file decides (MIT passes, GPL fails, nothing is unknown)", () => {
    const root = fixture(
      { app: { "file-mit": "1.0.0", "file-gpl": "1.0.0", nothing: "1.0.0" } },
      {
        "file-mit": { licenseFile: MIT_TEXT },
        "file-gpl": { licenseFile: GPL_TEXT },
        nothing: {},
      },
    );
    const problems = check(root).join("\n");
    assert.doesNotMatch(problems, /file-mit/);
    assert.match(problems, /file-gpl@1\.0\.0 \(GPL \(from LICENSE\)\) via @fx\/app > file-gpl/);
    assert.match(problems, /nothing@1\.0\.0 \(no licence declared, no licence file recognised\) via .*licence not recognised/);
  });

  test("SPDX expressions: OR takes the acceptable side, AND needs both, legacy fields are read", () => {
    const root = fixture(
      { app: { dual: "1.0.0", both: "1.0.0", legacy: "1.0.0", old: "1.0.0", see: "1.0.0" } },
      {
        dual: { license: "(MIT OR GPL-3.0-only)" },
        both: { license: "MIT AND GPL-2.0-only" },
        legacy: { licenses: [{ type: "MIT" }, { type: "Apache-2.0" }] },
        old: { license: { type: "BSD-3-Clause" } },
        see: { license: "SEE LICENSE IN LICENSE", licenseFile: MIT_TEXT },
      },
    );
    const problems = check(root);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^licences: both@1\.0\.0 \(MIT AND GPL-2\.0-only\)/);
  });

  test("MPL-2.0 ships from node_modules but not inside the bundled web app", () => {
    const root = fixture(
      { app: { "mpl-lib": "1.0.0" }, web: { "mpl-web": "1.0.0" } },
      {
        "mpl-lib": { license: "MPL-2.0" },
        "mpl-web": { license: "MPL-2.0" },
      },
    );
    const problems = check(root);
    // mpl-lib reaches the web app through @fx/app too, so both fail there.
    assert.deepEqual(problems.map((p) => /licences: (\S+)@/.exec(p)?.[1]).sort(), ["mpl-lib", "mpl-web"]);
    assert.match(
      problems.find((p) => p.includes("mpl-web"))!,
      /via @fx\/web > mpl-web: file-level copyleft inside the minified web bundle/,
    );
    const nodeOnly = fixture({ app: { "mpl-lib": "1.0.0" } }, { "mpl-lib": { license: "MPL-2.0" } });
    assert.deepEqual(checkLicences({ root: nodeOnly, workspaces: [WORKSPACES[0]!], exceptions: [] }).problems, []);
  });

  test("a reviewed exception lets its package through; one that matches nothing fails", () => {
    const root = fixture({ app: { "gpl-lib": "1.0.0" } }, { "gpl-lib": { license: "GPL-2.0-only" } });
    const reviewed: LicenceException = { package: "gpl-lib", version: "1.0.0", licence: "GPL-2.0-only", reason: "test" };
    assert.deepEqual(check(root, [reviewed]), []);
    // A relicensed or different release needs a new review.
    assert.equal(check(root, [{ ...reviewed, version: "2.0.0" }]).length, 2);
    assert.equal(check(root, [{ ...reviewed, licence: "GPL-3.0-only" }]).length, 2);
    assert.match(check(root, [{ ...reviewed, version: "2.0.0" }])[1]!, /exception for gpl-lib@2\.0\.0 .* matches no package that needs it: remove it/);
  });

  test("a missing dependency, a missing LICENSE and a workspace without Apache-2.0 are reported", () => {
    const root = fixture({ app: { absent: "1.0.0" } }, {});
    rmSync(join(root, "LICENSE"));
    writeFileSync(join(root, "packages/web/package.json"), JSON.stringify({ name: "@fx/web", version: "1.0.0", license: "MIT" }));
    const problems = check(root).join("\n");
    assert.match(problems, /LICENSE at the repository root must hold the Apache License 2\.0 text/);
    assert.match(problems, /packages\/web\/package\.json must say "license": "Apache-2\.0" .*found "MIT"/);
    assert.match(problems, /absent \(required by @fx\/app\) is not installed/);
  });

  test("classification of single licences", () => {
    for (const id of ["MIT", "ISC", "0BSD", "BlueOak-1.0.0", "CC0-1.0", "Apache-2.0 WITH LLVM-exception", "Python-2.0"]) {
      assert.equal(classifyExpression(id).verdict, "allowed", id);
    }
    for (const id of ["GPL-2.0+", "AGPL-3.0-only", "LGPL-2.1-or-later", "SSPL-1.0", "UNLICENSED", "CC-BY-NC-4.0"]) {
      assert.equal(classifyExpression(id).verdict, "denied", id);
    }
    assert.equal(classifyExpression("MPL-2.0").verdict, "weak-copyleft");
    assert.equal(classifyExpression("Apache 2.0").verdict, "unknown");
    assert.equal(classifyExpression("LicenseRef-Proprietary").verdict, "unknown");
  });

  test("the real tree passes, and `npm run licences` says so", () => {
    const report = checkLicences({ root: repo, workspaces: SHIPPED_WORKSPACES, exceptions: LICENCE_EXCEPTIONS });
    assert.deepEqual(report.problems, []);
    assert.ok(
      report.packages.some((p) => p.name === "ts-mls" && p.workspaces.includes("@parley/web")),
      "ts-mls ships in the web app",
    );
    assert.ok(!report.packages.some((p) => p.name === "vite"), "devDependencies are not shipped");
    const out = execFileSync(process.execPath, [join(repo, "scripts/licences.ts")], { encoding: "utf8", cwd: dirname(repo) });
    assert.match(out, /^licences: \d+ production packages of 6 shipped workspaces can ship under Apache-2\.0/);
  });
});
