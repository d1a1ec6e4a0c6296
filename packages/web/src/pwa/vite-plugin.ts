/**
 * Vite plugin writing dist/sw.js from src/pwa/sw-template.js with the list of
 * files to precache (every emitted chunk, stylesheet and public file) and a
 * version derived from that list. The version changes whenever any built file
 * does, so the browser sees a new sw.js byte-for-byte and starts the update
 * flow; an unchanged build leaves sw.js unchanged (no spurious prompts).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";

const TEMPLATE = fileURLToPath(new URL("./sw-template.js", import.meta.url));
const PUBLIC = fileURLToPath(new URL("../../public/", import.meta.url));

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
    generateBundle(_options, bundle) {
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
      const version = hash.digest("hex").slice(0, 16);
      const source = fs.readFileSync(TEMPLATE, "utf8").replace("__PARLEY_VERSION__", version).replace("/* __PARLEY_PRECACHE__ */ []", JSON.stringify(files));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}
