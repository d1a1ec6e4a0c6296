/**
 * The state-persistence bench in the browser: the same three configurations as run.ts
 * (the baseline commit's SDK and web stores, this tree saving per message, this tree
 * saving per batch), each device in a dedicated Web Worker in Debian chromium on the
 * web app's stores (browser-entry.ts). Every configuration has its own Parley server
 * (in this process, 127.0.0.1) and two origins, one per device (alice's and bob's
 * IndexedDB stay apart); each origin serves the page and bundle and forwards /api to
 * its server. The ciphertexts alice's worker makes go to bob's worker through Node.
 *
 *   node bench/src/e2ee-state/browser.ts [--members 2,1000] [--messages 500,600] [--rounds 3] [--no-record]
 *
 * Writes bench/results/e2ee-state-browser.json and a row per channel size in bench/RESULTS.md.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { Browser, Page } from "playwright-core";
import type { Event } from "@parley/protocol";
import { freePort } from "@parley/server/testing/ports";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { launch } from "../web/pages.ts";
import { machine } from "../results.ts";
import { log } from "../report.ts";
import { BASELINE_COMMIT, dropBaseline, prepareBaseline } from "./baseline.ts";
import { prepareOrg } from "./bulk.ts";
import type { WriteStats } from "./instrument.ts";
import { insertRows, perMessageWrites, STATE_BROWSER_ROWS_END, type RoundWithWrites, type StateResults } from "./record.ts";
import { MODES, summarize, type Mode } from "./scenario.ts";
import type { WorkerCommand } from "./browser-entry.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.resolve(here, "..", "..");

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const sizes = arg("members", "2,1000").split(",").map(Number);
const messageCounts = arg("messages", "500,600").split(",").map(Number);
const rounds = Number(arg("rounds", "3"));
const noRecord = process.argv.includes("--no-record");
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** Bundle browser-entry.ts; with `baselineRoot`, its SDK and web-store imports point into that tree. */
async function bundle(outDir: string, baselineRoot?: string): Promise<void> {
  const alias = baselineRoot
    ? [
        { find: /^@parley\/sdk$/, replacement: path.join(baselineRoot, "packages/sdk/src/index.ts") },
        { find: /^(?:\.\.\/)+packages\/web\/src\/worker\/(.*)$/, replacement: path.join(baselineRoot, "packages/web/src/worker/$1") },
      ]
    : [];
  await build({
    configFile: false,
    logLevel: "error",
    root: here,
    resolve: { alias },
    build: {
      outDir,
      emptyOutDir: true,
      minify: false,
      target: "es2022",
      lib: { entry: path.join(here, "browser-entry.ts"), formats: ["es"], fileName: () => "bench.js" },
      rolldownOptions: { output: { codeSplitting: false } },
    },
  });
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>state bench</title><script>
const w = new Worker("/bench.js", { type: "module" });
const waiting = new Map(); let next = 0;
w.onmessage = (e) => { const r = waiting.get(e.data.id); waiting.delete(e.data.id); r(e.data); };
w.onerror = (e) => { for (const r of waiting.values()) r({ ok: false, error: e.message }); waiting.clear(); };
window.bench = (cmd) => new Promise((resolve) => { const id = next++; waiting.set(id, resolve); w.postMessage({ id, cmd }); });
</script>`;

/** One origin: the page, the bundle, and /api/* forwarded to the Parley server. */
function serveOrigin(bundleDir: string, target: URL, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/api/")) {
      const fwd = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(fwd);
    } else if (req.url === "/bench.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(fs.readFileSync(path.join(bundleDir, "bench.js")));
    } else {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(PAGE);
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

async function call<T>(page: Page, cmd: WorkerCommand): Promise<T> {
  const r = await page.evaluate((c) => (window as unknown as { bench(c: unknown): Promise<{ ok: boolean; value?: unknown; error?: string }> }).bench(c), cmd);
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
}

/** A configuration in the browser: its server, alice's and bob's pages, its channel. */
interface Config {
  mode: Mode;
  server: TestServer;
  origins: http.Server[];
  alice: Page;
  bob: Page;
  channelId: string;
  seq: number;
}

async function setUp(browser: Browser, mode: Mode, bundleDir: string, members: number): Promise<Config> {
  const server = await startTestServer({ config: { logLevel: "warn" } });
  const org = await prepareOrg(server, members - 2);
  const target = new URL(server.url);
  const origins = [await serveOrigin(bundleDir, target, await freePort()), await serveOrigin(bundleDir, target, await freePort())];
  const [alice, bob] = await Promise.all(
    origins.map(async (o) => {
      const page = await (await browser.newContext({ serviceWorkers: "block" })).newPage();
      await page.goto(`http://127.0.0.1:${(o.address() as { port: number }).port}/`);
      return page;
    }),
  );
  const login = (username: string) => ({ op: "signIn" as const, org: org.org, username, password: org.password });
  const bobId = await call<string>(bob!, login("bob"));
  await call<string>(alice!, login("owner"));
  const channelId = await call<string>(alice!, { op: "create", memberIds: [bobId], ...(members > 2 ? { bulkUserId: org.bulkUserId } : {}) });
  const joined = await call<{ lastSeq: number; members: number }>(bob!, { op: "join", channelId });
  if (joined.members !== members) throw new Error(`${mode.name}: bob's group has ${joined.members} members, not ${members}`);
  const config: Config = { mode, server, origins, alice: alice!, bob: bob!, channelId, seq: joined.lastSeq + 1 };
  await roundOf(config, 50); // warm-up
  return config;
}

async function roundOf(c: Config, n: number): Promise<RoundWithWrites> {
  const sent = await call<{ ms: number; events: Event[]; writes: WriteStats }>(c.alice, {
    op: "send",
    mode: c.mode,
    channelId: c.channelId,
    firstSeq: c.seq,
    n,
  });
  c.seq += n;
  const got = await call<{ ms: number; writes: WriteStats }>(c.bob, { op: "receive", mode: c.mode, channelId: c.channelId, events: sent.events });
  return { mode: c.mode.name, messages: n, sendMs: sent.ms, receiveMs: got.ms, writes: { send: sent.writes, receive: got.writes } };
}

async function tearDown(c: Config): Promise<void> {
  await c.alice.context().close();
  await c.bob.context().close();
  for (const o of c.origins) o.close();
  await c.server.stop();
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-state-browser-"));
  const baselineRoot = prepareBaseline(BASELINE_COMMIT);
  const browser = await launch();
  const out: StateResults & { userAgent: string } = {
    kind: "e2ee-state",
    startedAt,
    machine: machine(),
    baseline: BASELINE_COMMIT,
    loadAverageAtStart,
    loadAverageAtEnd: [],
    sizes: [],
    userAgent: browser.version(),
  };
  try {
    await bundle(path.join(dir, "current"));
    await bundle(path.join(dir, "baseline"), baselineRoot);
    for (const [i, members] of sizes.entries()) {
      const messages = messageCounts[i] ?? messageCounts[0]!;
      const configs: Config[] = [];
      try {
        for (const mode of MODES) {
          const t0 = performance.now();
          configs.push(await setUp(browser, mode, path.join(dir, mode.baseline ? "baseline" : "current"), members));
          log(`browser, ${members} members, ${mode.name}: set up in ${Math.round(performance.now() - t0)} ms`);
        }
        const results: RoundWithWrites[] = [];
        for (let r = 0; r < rounds; r++) {
          for (const c of configs.map((_, k) => configs[(k + r) % configs.length]!)) {
            const res = await roundOf(c, messages);
            results.push(res);
            log(
              `browser, ${members} members, round ${r + 1}, ${c.mode.name}: send ${Math.round((messages * 1000) / res.sendMs)}/s, receive ${Math.round((messages * 1000) / res.receiveMs)}/s; ` +
                `key-store writes ${res.writes.send.keyStorePuts} / ${res.writes.receive.keyStorePuts}; load ${loadavg().join(" ")}`,
            );
          }
        }
        out.sizes.push({ members, messages, rounds, summary: summarize(results), writes: perMessageWrites(results), results });
      } finally {
        for (const c of configs) await tearDown(c);
      }
    }
  } finally {
    await browser.close();
    dropBaseline(baselineRoot);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  out.loadAverageAtEnd = loadavg();
  for (const s of out.sizes)
    for (const [mode, v] of Object.entries(s.summary))
      log(`browser, ${s.members} members, ${mode}: send ${v.send}/s, receive ${v.receive}/s; per message ${JSON.stringify(s.writes[mode])}`);
  log(`load average ${loadAverageAtStart.join(" ")} at start, ${out.loadAverageAtEnd.join(" ")} at end`);
  if (noRecord) return;
  const file = path.join(benchDir, "results", "e2ee-state-browser.json");
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
  insertRows(
    out.sizes.map((s) => rowOf(out, s)),
    file,
    STATE_BROWSER_ROWS_END,
  );
}

function rowOf(r: StateResults & { userAgent: string }, s: StateResults["sizes"][number]): string {
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const modes = ["today", "per message", "batched"];
  const cell = (mode: string, ph: "send" | "receive") => (s.summary[mode] ? fmt(s.summary[mode][ph]) : "—");
  const writes = (mode: string) => {
    const w = s.writes[mode];
    return w ? `${w.send.keyStorePuts} / ${w.receive.keyStorePuts} (${w.send.keyStoreKiB} / ${w.receive.keyStoreKiB} KiB)` : "—";
  };
  return (
    `| ${r.startedAt.slice(0, 16).replace("T", " ")} | chromium ${r.userAgent} worker | ${s.members} | ${modes.map((x) => cell(x, "send")).join(" | ")} | ` +
    `${modes.map((x) => cell(x, "receive")).join(" | ")} | ${modes.map(writes).join("; ")} | ${s.rounds} x ${s.messages} | ${r.loadAverageAtStart.join(" ")} / ${r.loadAverageAtEnd.join(" ")} |`
  );
}

main().catch((err: unknown) => {
  log(`browser state bench failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exitCode = 1;
});
