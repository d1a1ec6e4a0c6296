/**
 * Vite plugin writing dist/sw.js: the bundle of src/pwa/sw-push.ts (the SDK
 * client that opens a pushed message when no tab runs it; one self-contained
 * script defining `ParleyPush`, so sw.js stays a classic worker script with no
 * imports), then src/pwa/sw-template.js with the list of files to precache
 * (every emitted chunk, stylesheet and public file) and a version derived from
 * those files and the bundle. The version changes whenever any built file
 * does, so the browser sees a new sw.js byte-for-byte and starts the update
 * flow; an unchanged build leaves sw.js unchanged (no spurious prompts).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "vite";

const TEMPLATE = fileURLToPath(new URL("./sw-template.js", import.meta.url));
const PUBLIC = fileURLToPath(new URL("../../public/", import.meta.url));
const PUSH_ENTRY = fileURLToPath(new URL("./sw-push.ts", import.meta.url));

/** src/pwa/sw-push.ts and everything it imports as one script assigning the global `ParleyPush`. */
async function pushBundle(): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: "error", // as the app's own build: e.g. the crypto libraries' optional Node "crypto" import, unused in browsers
    publicDir: false,
    build: {
      write: false,
      target: "es2022",
      copyPublicDir: false,
      emptyOutDir: false,
      lib: { entry: PUSH_ENTRY, name: "ParleyPush", formats: ["iife"], fileName: () => "sw-push.js" },
    },
  });
  const results = Array.isArray(out) ? out : [out];
  for (const r of results) {
    if (!("output" in r)) continue;
    const chunk = r.output.find((o) => o.type === "chunk");
    if (chunk && chunk.type === "chunk") return chunk.code;
  }
  throw new Error("the service worker's push bundle produced no code");
}

/** Public files worth having offline (the manifest and its icons). */
function publicFiles(dir = PUBLIC, prefix = "/"): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? publicFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

export function serviceWorker(): Plugin {
  return {
    name: "parley-service-worker",
    apply: "build",
    async generateBundle(_options, bundle) {
      const built = Object.keys(bundle)
        .filter((f) => f !== "index.html" && !f.endsWith(".map"))
        .map((f) => `/${f}`);
      const files = [...built, ...publicFiles()].sort();
      const hash = createHash("sha256");
      for (const f of built) {
        const item = bundle[f.slice(1)]!;
        hash.update(f).update(item.type === "chunk" ? item.code : typeof item.source === "string" ? item.source : Buffer.from(item.source));
      }
      for (const f of publicFiles()) hash.update(f).update(fs.readFileSync(path.join(PUBLIC, f.slice(1))));
      const push = await pushBundle();
      hash.update("sw-push").update(push);
      const version = hash.digest("hex").slice(0, 16);
      const template = fs.readFileSync(TEMPLATE, "utf8").replace("__PARLEY_VERSION__", version).replace("/* __PARLEY_PRECACHE__ */ []", JSON.stringify(files));
      const source = `${push.trim()}\n${template}`;
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}
