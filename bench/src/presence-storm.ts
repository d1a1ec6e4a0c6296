/**
 * Hello storm of USERS distinct users connecting at once (issue 12, "presence is quadratic"):
 * time until every connection got `synced`, presence frames the clients received, and the
 * server's CPU per hello — for the baseline commit's server (git archive, default HEAD: the
 * per-user presence fan-out) and this checkout's (presence by subscription), one after the other.
 *
 * Users are inserted straight into the server's database (bench/src/seed-org.ts: argon2 for 5,000
 * accounts would take ~10 minutes) with a device, a session and a signed access token each. Each client opens its
 * socket and sends `hello` at once; with --watch N (current server only) it then watches N other
 * users, like an app showing a channel's members.
 *
 *   node bench/src/presence-storm.ts [--users 5000] [--watch 20] [--only before,after] [--baseline REV]
 *
 * Server in a child process (its own CPU); clients in this process. Writes bench/results/presence-storm.json.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import WebSocket from "ws";
import { WS_PATH } from "@parley/protocol";
import { freePort } from "@parley/server/testing/ports";
import { extractBaseline } from "./baseline.ts";
import { BENCH_SETUP_TOKEN } from "./parley-setup.ts";
import { cpuDeltaUs, startServerProcess, stopAll } from "./processes.ts";
import { loadAverage, machine, round } from "./results.ts";
import { insertMembers, setupOrg, signMemberTokens } from "./seed-org.ts";
import { log } from "./report.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const USERS = Number(arg("users", "5000"));
const WATCH = Number(arg("watch", "20"));
const ONLY = arg("only", "before,after").split(",");
const BASELINE = arg("baseline", "HEAD");

interface Prepared {
  config: Record<string, unknown>;
  tokens: string[];
  userIds: string[];
}

/** A fresh data directory with an org, USERS members with a session each, and their access tokens (made by `srcRoot`'s server code). */
async function prepare(srcRoot: string): Promise<Prepared> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-storm-"));
  const config = {
    host: "127.0.0.1",
    port: await freePort(),
    dataDir,
    setupToken: BENCH_SETUP_TOKEN,
    logLevel: "warn" as const,
    rateLimitIp: 1_000_000,
    rateLimitUser: 1_000_000,
  };
  const { createServer } = (await import(pathToFileURL(path.join(srcRoot, "index.ts")).href)) as typeof import("../../packages/server/src/index.ts");
  const { signAccessToken } = (await import(
    pathToFileURL(path.join(srcRoot, "modules/accounts/tokens.ts")).href
  )) as typeof import("../../packages/server/src/modules/accounts/tokens.ts");
  const s = await createServer({ env: {}, config });
  try {
    const owner = await setupOrg(s.url, "storm", "Storm");
    const members = await insertMembers(s.deps.db, owner, USERS, "storm");
    const tokens = await signMemberTokens(signAccessToken, s.deps.keys, owner.orgId, members);
    return { config, tokens, userIds: members.map((m) => m.userId) };
  } finally {
    await s.close();
  }
}

interface StormResult {
  server: string;
  users: number;
  watch: number;
  allReadyMs: number;
  p50ReadyMs: number;
  presenceFrames: number;
  presenceFramesUntilReady: number;
  retries: number;
  serverCpuMs: number;
  cpuPerHelloMs: number;
  errors: number;
  load: number[];
}

async function storm(label: string, p: Prepared, watch: number, entry?: string): Promise<StormResult> {
  const server = await startServerProcess("parley", p.config, entry);
  const url = server.url.replace(/^http/, "ws") + WS_PATH;
  const u0 = await server.usage();
  const t0 = performance.now();
  const readyAt: number[] = [];
  let presence = 0;
  let presenceUntilReady = 0;
  let errors = 0;
  let retries = 0;
  let lastPresenceAt = t0;
  const progress = setInterval(
    () => log(`${label}: ${readyAt.length}/${USERS} ready, ${presence} presence frames, ${errors} errors, ${retries} retries`),
    5000,
  );
  const sockets: WebSocket[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not all ready within 600 s (${readyAt.length}/${USERS})`)), 180_000);
    const open = (token: string, i: number) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      let synced = false;
      ws.on("open", () => ws.send(JSON.stringify({ t: "hello", token, cursors: { user: 0, channels: {} } })));
      ws.on("error", () => errors++);
      // A connection refused or reset before `synced` (listen backlog overflow) tries again, like a client would.
      ws.on("close", () => {
        if (synced) return;
        retries++;
        setTimeout(() => open(token, i), 100 + Math.random() * 400);
      });
      ws.on("message", (data) => {
        const s = data.toString();
        // Cheap type check: counting millions of frames must not be the bottleneck.
        if (s.startsWith('{"t":"presence')) {
          presence++;
          lastPresenceAt = performance.now();
          if (readyAt.length < USERS) presenceUntilReady++;
          return;
        }
        if (s.startsWith('{"t":"error"')) errors++;
        if (!s.startsWith('{"t":"synced"')) return;
        synced = true;
        readyAt.push(performance.now() - t0);
        if (watch > 0) {
          const ids = Array.from({ length: watch }, (_, k) => p.userIds[(i + 1 + k) % USERS]!);
          ws.send(JSON.stringify({ t: "presence.watch", userIds: ids }));
        }
        if (readyAt.length === USERS) {
          clearTimeout(timer);
          resolve();
        }
      });
    };
    p.tokens.forEach(open);
  });
  // Let the presence traffic the storm caused drain (quiet for 1 s, at most 60 s more).
  const tEnd = performance.now() + 60_000;
  while (performance.now() - lastPresenceAt < 1000 && performance.now() < tEnd) await new Promise((r) => setTimeout(r, 200));
  clearInterval(progress);
  const u1 = await server.usage();
  for (const ws of sockets) ws.terminate();
  await server.stop();
  readyAt.sort((a, b) => a - b);
  const cpu = cpuDeltaUs(u0, u1) / 1000;
  const r: StormResult = {
    server: label,
    users: USERS,
    watch,
    allReadyMs: round(readyAt.at(-1)!),
    p50ReadyMs: round(readyAt[Math.floor(readyAt.length / 2)]!),
    presenceFrames: presence,
    presenceFramesUntilReady: presenceUntilReady,
    serverCpuMs: round(cpu),
    cpuPerHelloMs: round(cpu / USERS, 3),
    errors,
    retries,
    load: loadAverage(),
  };
  log(`${label}: ${JSON.stringify(r)}`);
  return r;
}

async function main(): Promise<void> {
  const results: StormResult[] = [];
  if (ONLY.includes("before")) {
    const base = extractBaseline(ROOT, BASELINE);
    try {
      const p = await prepare(path.dirname(base.entry));
      results.push(await storm(`baseline ${BASELINE}`, p, 0, base.entry));
      fs.rmSync(String(p.config.dataDir), { recursive: true, force: true });
    } finally {
      fs.rmSync(base.dir, { recursive: true, force: true });
    }
  }
  if (ONLY.includes("after")) {
    const p = await prepare(path.join(ROOT, "packages/server/src"));
    results.push(await storm("current", p, WATCH));
    fs.rmSync(String(p.config.dataDir), { recursive: true, force: true });
  }
  const out = { date: new Date().toISOString(), machine: machine(), command: process.argv.slice(1).join(" "), results };
  fs.mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
  fs.writeFileSync(path.join(ROOT, "bench/results/presence-storm.json"), JSON.stringify(out, null, 2) + "\n");
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
