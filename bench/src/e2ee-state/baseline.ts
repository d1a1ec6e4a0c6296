/**
 * The "today" baseline: the SDK (and web worker stores) of an earlier commit, run by the
 * same scenario in the same benchmark run. `git archive` extracts that commit's
 * packages/ into a temp directory beside a link to this checkout's node_modules, so its
 * `@parley/*` imports resolve to this checkout's crypto and protocol packages (the
 * change under test adds to crypto and leaves protocol alone) and everything else to the
 * same installed libraries. Nothing in the repository is touched.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** This checkout's root. */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** The commit before the per-batch state saving (issue 7): the default baseline. */
export const BASELINE_COMMIT = "d4878d5";

/** Extract `commit`'s packages/ into a temp directory; returns its root (remove it with {@link dropBaseline}). */
export function prepareBaseline(commit: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-baseline-"));
  const tar = execFileSync("git", ["-C", REPO, "archive", "--format=tar", commit, "packages", "tsconfig.json"], { maxBuffer: 512 * 1024 * 1024 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

export function dropBaseline(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
