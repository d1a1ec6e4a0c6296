/**
 * Another commit's server as a bench baseline: its packages extracted with `git archive`
 * into a temporary directory that shares this checkout's installed packages (funnel.ts,
 * scale-costs.ts). Run it with startPrepared(..., entry).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Extract the baseline's packages next to symlinks to this checkout's dependencies; returns its server entry. */
export function extractBaseline(root: string, rev: string): { dir: string; entry: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-base-"));
  const tar = execFileSync("git", ["-C", root, "archive", "--format=tar", rev, "packages"], { maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  const modules = path.join(dir, "node_modules");
  fs.mkdirSync(path.join(modules, "@parley"), { recursive: true });
  for (const name of fs.readdirSync(path.join(root, "node_modules"))) {
    if (name !== "@parley") fs.symlinkSync(path.join(root, "node_modules", name), path.join(modules, name));
  }
  // Our own packages resolve to the baseline's copies, not to this checkout's.
  for (const pkg of fs.readdirSync(path.join(dir, "packages"))) fs.symlinkSync(path.join(dir, "packages", pkg), path.join(modules, "@parley", pkg));
  return { dir, entry: path.join(dir, "packages/server/src/index.ts") };
}
