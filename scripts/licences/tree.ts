// Walks the production dependency closure of one workspace through node_modules,
// resolving each name the way Node does (the nearest node_modules/<name> from the
// requiring package's real directory up to the repository root), so what is
// checked is what actually loads. devDependencies are never followed.
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/** The package.json fields the licence check reads. */
export type Manifest = {
  name?: string;
  version?: string;
  license?: unknown;
  licenses?: unknown;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};

/** One installed package in a workspace's closure. */
export type PackageNode = {
  /** real directory */
  dir: string;
  name: string;
  version: string;
  manifest: Manifest;
  /** package names from the workspace down to this one (the shortest path) */
  chain: string[];
  /** one of this repository's workspaces (reached through a node_modules symlink) */
  ours: boolean;
};

/** A required dependency that is not installed. */
export type MissingDependency = { name: string; chain: string[] };

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

function resolvePackage(root: string, fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dir === root || dirname(dir) === dir) return undefined;
  }
}

/**
 * Every package the workspace at `workspaceDir` loads in production:
 * dependencies, installed optional dependencies and installed peers, transitively,
 * breadth first so each package carries its shortest chain.
 */
export function productionClosure(root: string, workspaceDir: string): { packages: PackageNode[]; missing: MissingDependency[] } {
  const realRoot = realpathSync(root);
  const start = realpathSync(workspaceDir);
  const seen = new Map<string, PackageNode>();
  const missing: MissingDependency[] = [];
  const queue: Array<{ dir: string; chain: string[] }> = [{ dir: start, chain: [] }];
  // The array iterator reads the length on every step, so this visits what the loop appends.
  for (const { dir, chain: parentChain } of queue) {
    if (seen.has(dir)) continue;
    const manifest = readManifest(dir);
    const name = manifest.name ?? relative(realRoot, dir);
    const chain = [...parentChain, name];
    const ours = !relative(realRoot, dir).split(sep).includes("node_modules");
    seen.set(dir, { dir, name, version: manifest.version ?? "0.0.0", manifest, chain, ours });
    // Peers and optional dependencies that are not installed are not loaded;
    // a required dependency that is missing means node_modules is stale.
    const wanted: Array<[string, boolean]> = [
      ...Object.keys(manifest.dependencies ?? {}).map((n): [string, boolean] => [n, !(n in (manifest.optionalDependencies ?? {}))]),
      ...Object.keys(manifest.optionalDependencies ?? {}).map((n): [string, boolean] => [n, false]),
      ...Object.keys(manifest.peerDependencies ?? {}).map((n): [string, boolean] => [n, false]),
    ];
    for (const [dep, required] of wanted) {
      const found = resolvePackage(realRoot, dir, dep);
      if (found !== undefined) queue.push({ dir: found, chain });
      else if (required) missing.push({ name: dep, chain });
    }
  }
  return { packages: [...seen.values()], missing };
}
