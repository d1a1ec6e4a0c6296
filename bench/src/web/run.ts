/**
 * Web app benchmarks in a real browser (Debian chromium via playwright-core)
 * against a real Parley server (SQLite) in its own child process on 127.0.0.1:
 *   (a) initial JS for the chat route: every JS file the signed-in chat page
 *       loads (page and client worker), gzip-compressed sizes summed;
 *   (b) time to interactive: navigation -> sign-in form, sign-in click ->
 *       composer usable, and cold load of a signed-in session -> composer usable;
 *   (c) send-to-render: Alice's composer -> the row rendered in Bob's page
 *       (MutationObserver), p50/p99 over N messages sent one after another, in
 *       #general (archive copies) and #vault (device-only: none), in alternating blocks;
 *   (d) scrolling a large channel (seeded by a Node SDK client, MLS) from the
 *       newest message to the first: frames over 50 ms (rAF deltas) and long
 *       animation frames (PerformanceObserver "long-animation-frame").
 *
 *   node bench/src/web/run.ts [--messages 200] [--scroll-messages 10000] [--no-record]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { ParleyClient } from "@parley/sdk";
import { API_PREFIX } from "@parley/protocol";
import type { ServerProcess } from "../processes.ts";
import { log } from "../report.ts";
import {
  BENCH_PASSWORD,
  composerUsableAt,
  launch,
  setupBenchOrg,
  startWebServer,
  WEB_DIST,
  newContext,
  renderLatency,
  scrollToTop,
  signIn,
  watchRenders,
  type ScrollStats,
} from "./pages.ts";
import { recordWeb, type WebResults } from "./record.ts";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

async function call<T>(base: string, method: string, p: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${API_PREFIX}${p}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${method} ${p} -> ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}

const pct = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const r1 = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const messages = arg("--messages", 200);
  const scrollN = arg("--scroll-messages", 10_000);
  const record = !process.argv.includes("--no-record");
  if (!fs.existsSync(path.join(WEB_DIST, "sw.js"))) throw new Error("build the web app first: bash scripts/web-build.sh");
  const loadAverageAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  log(`web: load average at start ${loadAverageAtStart.join(" ")} (${os.cpus().length} cores)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-web-"));
  let server: ServerProcess | undefined;
  const browser = await launch();
  try {
    server = await startWebServer(dataDir);
    const url = server.url;
    log(`web: server pid ${server.pid} at ${url}`);
    const owner = await setupBenchOrg(url);
    const invite = await call<{ token: string }>(url, "POST", "/invites", { role: "member", maxUses: 2, expiresInSeconds: 3600 }, owner.accessToken);
    for (const u of ["bob", "carol"])
      await call(url, "POST", "/invites/accept", { token: invite.token, username: u, displayName: u, password: BENCH_PASSWORD, deviceName: "setup" });

    // ---- (a) + (b): Alice signs in on a cold browser, creates #general -------------
    const aliceCtx = await newContext(browser);
    const jsUrls = new Set<string>();
    aliceCtx.on("response", (r) => {
      const u = new URL(r.url());
      if (u.pathname.endsWith(".js")) jsUrls.add(u.pathname);
    });
    const alice = await aliceCtx.newPage();
    await alice.goto(url);
    await alice.getByRole("button", { name: "Sign in" }).waitFor();
    const signInFormMs = await alice.evaluate(() => performance.now());
    // A fresh org has no channel: the composer appears once one exists, so create it through the API first.
    await call(url, "POST", "/channels", { kind: "public", name: "general", topic: "", members: [] }, owner.accessToken).catch(() => undefined);
    const signInToComposerMs = await signIn(alice, "bench", "alice", BENCH_PASSWORD);
    await alice.waitForTimeout(1_000); // lazily loaded chunks (client worker, crypto) settle
    let rawBytes = 0,
      gzipBytes = 0;
    const files: Array<{ path: string; bytes: number; gzip: number }> = [];
    for (const p of [...jsUrls].sort()) {
      const body = Buffer.from(await (await fetch(new URL(p, url))).arrayBuffer());
      const gz = zlib.gzipSync(body, { level: 9 }).length;
      files.push({ path: p, bytes: body.length, gzip: gz });
      rawBytes += body.length;
      gzipBytes += gz;
    }
    log(`web: (a) chat route JS ${files.length} files, ${(gzipBytes / 1024).toFixed(1)} KiB gzipped (${(rawBytes / 1024).toFixed(1)} KiB raw)`);

    const coldLoads: number[] = [];
    for (let i = 0; i < 5; i++) {
      await alice.reload();
      coldLoads.push(await composerUsableAt(alice));
    }
    log(
      `web: (b) sign-in form ${r1(signInFormMs)} ms; sign-in -> composer ${r1(signInToComposerMs)} ms; signed-in reload -> composer ${coldLoads.map(r1).join(", ")} ms`,
    );

    // ---- (c): send-to-render Alice -> Bob ------------------------------------------
    const bobCtx = await newContext(browser);
    const bob = await bobCtx.newPage();
    await bob.goto(url);
    await signIn(bob, "bench", "bob", BENCH_PASSWORD, false);
    await bob.getByRole("button", { name: "Browse channels" }).click();
    await bob.getByRole("button", { name: "Join general" }).click();
    await composerUsableAt(bob);
    await bob.locator('.sidebar .conn[data-state="live"]').waitFor({ timeout: 60_000 });
    await alice.locator('.sidebar .conn[data-state="live"]').waitFor({ timeout: 60_000 });
    // The peer in the same run: #vault keeps no archive copies (history policy device-only). Blocks of
    // messages alternate between the channels (A B B A …) so background load hits both alike.
    await call(url, "POST", "/channels", { kind: "public", name: "vault", topic: "", members: [], history: "device-only" }, owner.accessToken);
    await bob.getByRole("button", { name: "Browse channels" }).click();
    await bob.getByRole("button", { name: "Join vault" }).click();
    await composerUsableAt(bob);
    await watchRenders(bob, "m");
    const latencies = { general: [] as number[], vault: [] as number[] };
    let missing = 0;
    let sent = 0;
    const block = async (channel: "general" | "vault", count: number) => {
      for (const p of [alice, bob]) {
        await p.getByRole("link", { name: new RegExp(`^Channel ${channel}`) }).click();
        await composerUsableAt(p);
      }
      const box = alice.getByRole("textbox", { name: `Message #${channel}` });
      for (let i = 0; i < count + 5; i++) {
        const id = `m${sent++}`;
        await box.fill(`${id} sent@${(performance.timeOrigin + performance.now()).toFixed(1)}`);
        await box.press("Enter");
        let got: number | undefined;
        for (let t = 0; t < 1000 && got === undefined; t++) {
          got = await renderLatency(bob, id);
          if (got === undefined) await bob.waitForTimeout(5);
        }
        if (got === undefined) missing++;
        else if (i >= 5) latencies[channel].push(got); // the first 5 of a block warm up
      }
    };
    const perBlock = Math.max(1, Math.round(messages / 4));
    for (const channel of ["general", "vault", "vault", "general", "general", "vault", "vault", "general"] as const) await block(channel, perBlock);
    const figures = (xs: number[]) => ({ messages: xs.length, p50Ms: r1(pct(xs, 0.5)), p99Ms: r1(pct(xs, 0.99)), maxMs: r1(Math.max(...xs)) });
    const sendToRender = { ...figures(latencies.general), missing, withoutArchiveCopies: figures(latencies.vault) };
    log(`web: (c) send-to-render ${JSON.stringify(sendToRender)}`);

    // ---- (d): a large channel seeded by carol's SDK client, scrolled in Bob's page --------
    const seedStarted = Date.now();
    const carol = await ParleyClient.login({ baseUrl: url, org: "bench", username: "carol", password: BENCH_PASSWORD });
    let scroll:
      | (ScrollStats & { messages: number; seedMs: number; renderNewestMs: number; domRows: number; firstRendered: boolean })
      | { messages: number; error: string };
    try {
      carol.connect();
      await carol.waitUntilLive();
      const bobUserId = (await carol.api.call("listUsers", { query: {} })).users.find((u) => u.username === "bob")!.id;
      const big = await carol.createChannel({ name: "big", kind: "public", topic: "", members: [] });
      await carol.addMembers(big.id, [bobUserId]);
      const deadline = Date.now() + 6 * 60_000;
      let sent = 0;
      while (sent < scrollN && Date.now() < deadline) {
        const n = Math.min(100, scrollN - sent);
        await Promise.all(Array.from({ length: n }, (_, k) => carol.sendMessage(big.id, `scroll message ${sent + k + 1} of the big channel`)));
        sent += n;
      }
      const seedMs = Date.now() - seedStarted;
      log(`web: (d) seeded ${sent} encrypted messages in ${seedMs} ms`);
      const openAt = Date.now();
      await bob.getByRole("link", { name: /Channel big/ }).click();
      await bob.locator("article.msg", { hasText: `scroll message ${sent} of` }).waitFor({ timeout: 600_000 });
      const renderNewestMs = Date.now() - openAt;
      const domRows = await bob.locator(".vrow").count();
      const stats = await scrollToTop(bob);
      // The top is the channel's first message only if every older page was paged in.
      const firstRendered = (await bob.locator("article.msg", { hasText: "scroll message 1 of" }).count()) > 0;
      scroll = { messages: sent, seedMs, renderNewestMs, domRows, firstRendered, ...stats };
      log(`web: (d) scroll ${JSON.stringify(scroll)}`);
    } catch (err) {
      scroll = { messages: scrollN, error: err instanceof Error ? err.message : String(err) };
      log(`web: (d) failed: ${scroll.error}`);
    } finally {
      await carol.close();
    }

    const results: WebResults = {
      date: new Date().toISOString(),
      loadAverageAtStart,
      chromium: browser.version(),
      initialJs: { files, rawBytes, gzipBytes, targetGzipBytes: 300 * 1024 },
      tti: { signInFormMs: r1(signInFormMs), signInToComposerMs: r1(signInToComposerMs), signedInReloadToComposerMs: coldLoads.map(r1) },
      sendToRender,
      scroll: scroll as unknown as Record<string, unknown>,
    };
    if (record) log(`web: wrote ${recordWeb(results)}`);
    else console.log(JSON.stringify(results, null, 2));
  } finally {
    await browser.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
