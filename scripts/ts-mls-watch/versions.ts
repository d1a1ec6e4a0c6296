// What npm has of ts-mls compared with the version Parley pins: the pure part of
// `npm run ts-mls:watch` (scripts/ts-mls-watch.ts), tested offline.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";

/** The fields of an npm registry package document (GET <registry>/<name>) this reads. */
export type RegistryDocument = {
  "dist-tags"?: Record<string, string>;
  versions?: Record<string, { deprecated?: string }>;
  time?: Record<string, string>;
};

/** A published version newer than the pin. */
export type NewerVersion = { version: string; published?: string; tags: string[]; deprecated?: string };

/** The comparison: the pin, the dist-tags, and every published version above the pin, oldest first. */
export type Comparison = { pinned: string; distTags: Record<string, string>; newer: NewerVersion[] };

/** The exact ts-mls version a package.json pins (packages/crypto is the one that counts). */
export function pinnedVersion(packageDir: string): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const pin = manifest.dependencies?.["ts-mls"];
  if (pin === undefined) throw new Error(`${packageDir}/package.json has no ts-mls dependency`);
  if (semver.valid(pin) === null) throw new Error(`${packageDir}/package.json pins ts-mls to "${pin}", not one exact version`);
  return pin;
}

/**
 * Every version in `doc` that semver orders above `pinned`, prereleases
 * included (2.0.0-rc.10 < 2.0.0-rc.11 < 2.0.0 < 2.0.1): an rc after ours is
 * exactly what we wait for.
 */
export function compareWithRegistry(pinned: string, doc: RegistryDocument): Comparison {
  const distTags = doc["dist-tags"] ?? {};
  const newer = Object.keys(doc.versions ?? {})
    .filter((v) => semver.valid(v) !== null && semver.gt(v, pinned))
    .sort(semver.compare)
    .map((version): NewerVersion => {
      const tags = Object.keys(distTags).filter((tag) => distTags[tag] === version);
      const published = doc.time?.[version]?.slice(0, 10);
      const deprecated = doc.versions?.[version]?.deprecated;
      return { version, tags, ...(published !== undefined && { published }), ...(deprecated !== undefined && { deprecated }) };
    });
  return { pinned, distTags, newer };
}

/** The report's lines, for a terminal or a CI log. */
export function describeComparison(c: Comparison): string[] {
  const tags =
    Object.entries(c.distTags)
      .map(([tag, v]) => `${tag} ${v}`)
      .join(", ") || "none";
  const lines = [`ts-mls: pinned ${c.pinned} (packages/crypto/package.json); npm dist-tags: ${tags}`];
  if (c.newer.length === 0) {
    lines.push(`ts-mls: up to date: npm has nothing newer than ${c.pinned}`);
    return lines;
  }
  lines.push(`ts-mls: ${c.newer.length} newer version(s) on npm:`);
  for (const v of c.newer) {
    const notes = [
      v.published,
      v.tags.length > 0 ? `dist-tag ${v.tags.join(", ")}` : undefined,
      v.deprecated !== undefined ? `deprecated: ${v.deprecated}` : undefined,
    ].filter((n) => n !== undefined);
    lines.push(`  ${v.version}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`);
  }
  lines.push("ts-mls: upgrading changes the MLS wire encoding, so every channel's group is re-created: follow docs/adr/0005-ts-mls-upgrade-path.md");
  return lines;
}
