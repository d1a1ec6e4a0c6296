// The licence check behind `npm run licences` (and `npm run lint`): every
// package in the production closure of each shipped workspace must carry a
// licence Parley can ship under Apache-2.0, or a reviewed exception; Parley's own
// package.json files must say Apache-2.0 and the root must hold the LICENSE.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import type { LicenceException } from "./exceptions.ts";
import { identifyLicenceText, licenceFromFiles } from "./licence-file.ts";
import { acceptable, advice, classifyExpression, classifyId, type Classification, type ShippedWorkspace, type Verdict } from "./policy.ts";
import { productionClosure, readManifest, type Manifest } from "./tree.ts";

/** A third-party package's licence as found, and how it was classified. */
export type PackageLicence = {
  name: string;
  version: string;
  /** the declared licence (`MIT`), or what its licence file says (`MIT (from LICENSE)`) */
  licence: string;
  verdict: Verdict;
  /** the licence term that decided the verdict */
  decidedBy: string;
  /** shipped workspaces whose closure holds it */
  workspaces: string[];
  /** the shortest chain from the first of those workspaces */
  chain: string[];
  /** the reviewed exception that lets it through, if one was needed */
  exception?: LicenceException;
};

/** The outcome: one line per problem (empty when the tree passes) and every package seen. */
export type LicenceReport = { problems: string[]; packages: PackageLicence[] };

const PARLEY_LICENCE = "Apache-2.0";

function typeOf(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (entry !== null && typeof entry === "object" && typeof (entry as { type?: unknown }).type === "string") return (entry as { type: string }).type;
  return undefined;
}

/** Reads `license` (SPDX, `SEE LICENSE IN`, or the legacy `{ type }`), then legacy `licenses`, then the licence file. */
function packageLicence(dir: string, manifest: Manifest): { licence: string } & Classification {
  const declared = typeOf(manifest.license);
  if (declared !== undefined) {
    const seeFile = /^SEE LICEN[CS]E IN (.+)$/i.exec(declared.trim());
    if (seeFile === null) return { licence: declared, ...classifyExpression(declared) };
    const found = licenceFromFiles(dir, seeFile[1]!.trim());
    return found === undefined
      ? { licence: declared, verdict: "unknown", decidedBy: declared }
      : { licence: `${found.id} (from ${found.source})`, verdict: classifyId(found.id), decidedBy: found.id };
  }
  // The legacy list means "any of these" (a dual licence).
  const listed = Array.isArray(manifest.licenses) ? manifest.licenses.map(typeOf) : [];
  if (listed.length > 0 && listed.every((t) => t !== undefined)) {
    const expression = listed.length === 1 ? listed[0]! : `(${listed.join(" OR ")})`;
    return { licence: expression, ...classifyExpression(expression) };
  }
  const found = licenceFromFiles(dir);
  return found === undefined
    ? { licence: "no licence declared, no licence file recognised", verdict: "unknown", decidedBy: "none" }
    : { licence: `${found.id} (from ${found.source})`, verdict: classifyId(found.id), decidedBy: found.id };
}

/** Parley's own licence: the LICENSE file and the `license` of the root and every workspace package.json. */
function checkOwnLicence(root: string): string[] {
  const problems: string[] = [];
  const licenceFile = join(root, "LICENSE");
  if (!existsSync(licenceFile) || identifyLicenceText(readFileSync(licenceFile, "utf8")) !== PARLEY_LICENCE) {
    problems.push(`licences: LICENSE at the repository root must hold the Apache License 2.0 text`);
  }
  const rootManifest = readManifest(root);
  for (const dir of ["", ...(rootManifest.workspaces ?? [])]) {
    const manifest = readManifest(join(root, dir));
    if (manifest.license !== PARLEY_LICENCE) {
      const file = dir === "" ? "package.json" : `${dir}/package.json`;
      problems.push(`licences: ${file} must say "license": "${PARLEY_LICENCE}" (Parley's licence), found ${JSON.stringify(manifest.license ?? null)}`);
    }
  }
  return problems;
}

function findException(exceptions: readonly LicenceException[], pkg: PackageLicence, workspace: string, declared: string): LicenceException | undefined {
  return exceptions.find(
    (e) =>
      e.package === pkg.name &&
      semver.satisfies(pkg.version, e.version, { includePrerelease: true }) &&
      (e.licence === declared || e.licence === pkg.licence) &&
      (e.workspaces === undefined || e.workspaces.includes(workspace)),
  );
}

/**
 * Checks the production closure of each shipped workspace under `root`
 * against the policy, allowing what `exceptions` lists.
 */
export function checkLicences(options: { root: string; workspaces: readonly ShippedWorkspace[]; exceptions: readonly LicenceException[] }): LicenceReport {
  const { root, workspaces, exceptions } = options;
  const problems = checkOwnLicence(root);
  const byDir = new Map<string, PackageLicence & { failedIn: string[]; failedChain?: string[]; bundled: boolean }>();
  const used = new Set<LicenceException>();
  for (const workspace of workspaces) {
    const { packages, missing } = productionClosure(root, join(root, workspace.dir));
    const workspaceName = packages[0]?.name ?? workspace.dir;
    for (const m of missing) {
      problems.push(`licences: ${m.name} (required by ${m.chain.join(" > ")}) is not installed, so its licence cannot be read: run npm ci`);
    }
    for (const node of packages) {
      if (node.ours) continue;
      let pkg = byDir.get(node.dir);
      if (pkg === undefined) {
        const found = packageLicence(node.dir, node.manifest);
        pkg = { name: node.name, version: node.version, ...found, workspaces: [], chain: node.chain, failedIn: [], bundled: false };
        byDir.set(node.dir, pkg);
      }
      pkg.workspaces.push(workspaceName);
      if (acceptable(pkg.verdict, workspace.bundled === true)) continue;
      const exception = findException(exceptions, pkg, workspaceName, typeOf(node.manifest.license) ?? pkg.licence);
      if (exception !== undefined) {
        used.add(exception);
        pkg.exception = exception;
        continue;
      }
      pkg.failedIn.push(workspaceName);
      if (pkg.failedChain === undefined) {
        pkg.failedChain = node.chain;
        pkg.bundled = workspace.bundled === true;
      }
    }
  }
  for (const pkg of byDir.values()) {
    if (pkg.failedChain === undefined) continue;
    const also = pkg.failedIn.length > 1 ? ` (also in ${pkg.failedIn.slice(1).join(", ")})` : "";
    problems.push(`licences: ${pkg.name}@${pkg.version} (${pkg.licence}) via ${pkg.failedChain.join(" > ")}${also}: ${advice(pkg.verdict, pkg.bundled)}`);
  }
  for (const e of exceptions) {
    if (!used.has(e))
      problems.push(
        `licences: the exception for ${e.package}@${e.version} (${e.licence}) in scripts/licences/exceptions.ts matches no package that needs it: remove it`,
      );
  }
  const packages = [...byDir.values()].map(({ failedIn: _f, failedChain: _c, bundled: _b, ...pkg }) => pkg);
  packages.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
  return { problems, packages };
}
