// `npm run ts-mls:watch`: reports whether npm has a ts-mls newer than the
// version packages/crypto pins (2.0.0-rc.10 plus a local patch), and points at
// the upgrade path (docs/adr/0005-ts-mls-upgrade-path.md). Not part of the test
// suite (it needs the registry); its logic is tested offline in
// test/ts-mls-watch.test.ts.
//
//   node scripts/ts-mls-watch.ts [--registry URL]
//   exit 0   up to date
//   exit 10  a newer version is on npm
//   exit 20  the registry could not be asked (unreachable, timed out, bad answer)
//   exit 2   the pin is not one exact version
// The registry is --registry, else $npm_config_registry, else npm's configured one.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { compareWithRegistry, describeComparison, pinnedVersion, type RegistryDocument } from "./ts-mls-watch/versions.ts";

const EXIT = { upToDate: 0, pinNotExact: 2, newer: 10, unreachable: 20 } as const;
const TIMEOUT_MS = 15_000;

function registryUrl(): string {
  const flag = process.argv.indexOf("--registry");
  if (flag !== -1 && process.argv[flag + 1] !== undefined) return process.argv[flag + 1]!;
  if (process.env.npm_config_registry) return process.env.npm_config_registry;
  try {
    return execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8", timeout: TIMEOUT_MS }).trim();
  } catch {
    return "https://registry.npmjs.org/";
  }
}

async function fetchDocument(registry: string): Promise<RegistryDocument> {
  const url = new URL("ts-mls", registry.endsWith("/") ? registry : `${registry}/`);
  const res = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const doc = (await res.json()) as RegistryDocument;
  if (typeof doc !== "object" || doc === null || typeof doc.versions !== "object") throw new Error(`${url} answered without a versions list`);
  return doc;
}

let pinned: string;
try {
  pinned = pinnedVersion(fileURLToPath(new URL("../packages/crypto", import.meta.url)));
} catch (err) {
  console.error(`ts-mls: ${(err as Error).message}`);
  process.exit(EXIT.pinNotExact);
}
const registry = registryUrl();
let doc: RegistryDocument;
try {
  doc = await fetchDocument(registry);
} catch (err) {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const why = e.name === "TimeoutError" ? `no answer in ${TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
  console.error(`ts-mls: cannot ask the npm registry ${registry} (${why}); nothing is known about newer versions: retry, or pass --registry URL`);
  process.exit(EXIT.unreachable);
}
const comparison = compareWithRegistry(pinned, doc);
for (const line of describeComparison(comparison)) console.log(line);
process.exit(comparison.newer.length > 0 ? EXIT.newer : EXIT.upToDate);
