/**
 * The crypto-provider benchmark in a browser worker: bundles browser-entry.ts with Vite
 * (browser conditions, so @parley/crypto's "platform" provider is provider-web.ts),
 * serves it from 127.0.0.1, runs it in a dedicated Web Worker in Debian chromium
 * (playwright-core) and prints application messages/s per configuration (median of
 * interleaved rounds) and per-primitive timings. Writes bench/results/provider-browser.json.
 *
 *   node bench/src/crypto/browser-provider.ts [--messages 1000] [--rounds 5]
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { freePort } from "@parley/server/testing/ports";
import { launch } from "../web/pages.ts";
import { machine } from "../results.ts";
import { log } from "../report.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, "..", "..");

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function bundle(outDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: "error",
    root: here,
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "es2022",
      lib: { entry: path.join(here, "browser-entry.ts"), formats: ["es"], fileName: () => "bench.js" },
      // One file: ts-mls loads its HPKE modules with dynamic imports.
      rolldownOptions: { output: { codeSplitting: false } },
    },
  });
}

function serve(dir: string, port: number): Promise<http.Server> {
  const page = `<!doctype html><meta charset="utf-8"><title>provider bench</title>`;
  const server = http.createServer((req, res) => {
    if (req.url === "/bench.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(fs.readFileSync(path.join(dir, "bench.js")));
    } else {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(page);
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function main(): Promise<void> {
  const messages = arg("messages", 1000);
  const rounds = arg("rounds", 5);
  const loadAverageAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-provider-bench-"));
  let server: http.Server | undefined;
  const browser = await launch();
  try {
    await bundle(dir);
    server = await serve(dir, await freePort());
    const { port } = server.address() as { port: number };
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    log(`browser worker: ${rounds} rounds x 4 configurations x ${messages} messages; load average ${loadAverageAtStart.join(" ")}`);
    const out = (await page.evaluate(
      ({ messages, rounds }) =>
        new Promise<unknown>((resolve) => {
          const w = new Worker("/bench.js", { type: "module" });
          w.onmessage = (e) => resolve(e.data);
          w.onerror = (e) => resolve({ ok: false, error: e.message });
          w.postMessage({ messages, rounds });
        }),
      { messages, rounds },
    )) as { ok: boolean; error?: string; runs: Record<string, number[]>; primitives: Record<string, number>; userAgent: string };
    if (!out.ok) throw new Error(out.error);
    const medians = Object.fromEntries(Object.entries(out.runs).map(([k, v]) => [k, median(v)]));
    for (const [k, v] of Object.entries(out.runs)) log(`${k.padEnd(36)} median ${median(v)}/s (${v.join(", ")})`);
    // Ratios within each round (the configurations of a round ran back to back), then their median.
    const base = out.runs["raw ts-mls, default provider"]!;
    const perRound = (name: string) => out.runs[name]!.map((v, i) => Math.round((v / base[i]!) * 100) / 100);
    const speedup = { wrapper: perRound("@parley/crypto, web provider"), raw: perRound("raw ts-mls, web provider") };
    log(
      `speed-up over raw ts-mls + default provider, per round: @parley/crypto + web provider ${speedup.wrapper.join(", ")} (median ${median(speedup.wrapper)}x); raw ts-mls + web provider median ${median(speedup.raw)}x`,
    );
    for (const [k, v] of Object.entries(out.primitives)) log(`  ${k}: ${v} µs`);
    const result = {
      kind: "parley-bench-crypto-provider-browser",
      startedAt: new Date().toISOString(),
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
      machine: machine(),
      userAgent: out.userAgent,
      options: { messages, rounds },
      runs: out.runs,
      medians,
      speedup,
      primitivesMicroseconds: out.primitives,
    };
    const file = path.join(benchDir, "results", "provider-browser.json");
    fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await browser.close();
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  log(`browser provider bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
