/**
 * Browser side of the web bench: Debian chromium via playwright-core, one
 * context per user (service workers blocked, so every load measures the app,
 * not a cache the bench filled), sign-in through the UI, and the in-page
 * probes (composer usable, message-row MutationObserver, scroll frames).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { API_PREFIX } from "@parley/protocol";
import { freePort } from "@parley/server/testing/ports";
import { startServerProcess, type ServerProcess } from "../processes.ts";
import { BENCH_SETUP_TOKEN } from "../parley-setup.ts";

const CHROMIUM = "/usr/bin/chromium";
/** The built web app (bash scripts/web-build.sh). */
export const WEB_DIST = path.join(fileURLToPath(new URL("../../../", import.meta.url)), "packages/web/dist");

/** Password of every bench account. */
export const BENCH_PASSWORD = "bench-password-0123456789";

/** Set the server up: org "bench" owned by alice (password {@link BENCH_PASSWORD}); returns her tokens. */
export async function setupBenchOrg(url: string): Promise<{ accessToken: string }> {
  const res = await fetch(`${url}${API_PREFIX}/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      setupToken: BENCH_SETUP_TOKEN,
      orgSlug: "bench",
      orgName: "Bench",
      username: "alice",
      displayName: "Alice",
      password: BENCH_PASSWORD,
      deviceName: "setup",
    }),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`setup -> ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as { accessToken: string };
}

/** A Parley server (SQLite in `dataDir`) in its own process on 127.0.0.1, serving the built web app, with the rate limits lifted for load. */
export async function startWebServer(dataDir: string): Promise<ServerProcess> {
  return startServerProcess("parley", {
    host: "127.0.0.1",
    port: await freePort(),
    dataDir,
    logLevel: "warn",
    setupToken: BENCH_SETUP_TOKEN,
    webDir: WEB_DIST,
    rateLimitIp: 1_000_000,
    rateLimitUser: 1_000_000,
    wsFramesPerSecond: 100_000,
    accessTokenTtl: 3600,
  });
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export async function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: "block" });
}

/** Wait (polling each frame) until the channel composer is on screen and enabled; returns the page's performance.now(). */
export async function composerUsableAt(page: Page, timeoutMs = 60_000): Promise<number> {
  const handle = await page.waitForFunction(
    () => {
      const t = document.querySelector<HTMLTextAreaElement>(".composer textarea");
      return t && !t.disabled && t.offsetParent !== null ? performance.now() : false;
    },
    undefined,
    { polling: "raf", timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as number;
}

/** Sign in through the form; returns ms from the click to a usable composer. */
export async function signIn(page: Page, org: string, username: string, password: string, waitForComposer = true): Promise<number> {
  await page.getByLabel("Organisation").fill(org);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  const clickedAt = await page.evaluate(() => performance.now());
  await page.getByRole("button", { name: "Sign in" }).click();
  if (!waitForComposer) return 0;
  return (await composerUsableAt(page)) - clickedAt;
}

/** Start recording, in Bob's page, when message rows whose text contains `marker` first appear. */
export async function watchRenders(page: Page, marker: string): Promise<void> {
  await page.evaluate((m) => {
    const seen = new Map<string, number>();
    (window as unknown as { __renders: Map<string, number> }).__renders = seen;
    new MutationObserver((records) => {
      const now = performance.timeOrigin + performance.now();
      for (const r of records) {
        for (const n of Array.from(r.addedNodes)) {
          if (!(n instanceof HTMLElement)) continue;
          const rows = n.matches("article.msg") ? [n] : Array.from(n.querySelectorAll("article.msg"));
          for (const row of rows) {
            const hit = /(\S+) sent@(\d+(?:\.\d+)?)/.exec(row.textContent ?? "");
            if (hit && hit[1]!.startsWith(m) && !seen.has(hit[1]!)) seen.set(hit[1]!, now - Number(hit[2]));
          }
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }, marker);
}

/** Latency (ms) recorded for message `id`, or undefined if it has not rendered yet. */
export async function renderLatency(page: Page, id: string): Promise<number | undefined> {
  return page.evaluate((k) => (window as unknown as { __renders: Map<string, number> }).__renders.get(k), id);
}

export interface ScrollStats {
  frames: number;
  over50: number;
  p50: number;
  p99: number;
  max: number;
  longAnimationFrames: number;
  loafOver50: number;
  steps: number;
  reachedTop: boolean;
}

/** Scroll the message list from the bottom to the first message in 3,000 px steps, one per frame (bounded). */
export async function scrollToTop(page: Page, maxSteps = 20_000): Promise<ScrollStats> {
  return page.evaluate(async (limit) => {
    const el = document.querySelector<HTMLElement>(".messages")!;
    const loaf: number[] = [];
    let po: PerformanceObserver | undefined;
    try {
      po = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) loaf.push(e.duration);
      });
      po.observe({ type: "long-animation-frame", buffered: false });
    } catch {
      /* no LoAF in this browser: rAF deltas only */
    }
    const frames: number[] = [];
    let last = performance.now();
    let steps = 0;
    for (let still = 0; steps < limit && still < 60; steps++) {
      // At the top and nothing more loading for 60 frames: done.
      still = el.scrollTop === 0 && !/Loading older/.test(el.textContent ?? "") ? still + 1 : 0;
      el.scrollTop = Math.max(0, el.scrollTop - 3000);
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    po?.disconnect();
    const sorted = [...frames].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
    return {
      frames: frames.length,
      over50: frames.filter((f) => f > 50).length,
      p50: q(0.5),
      p99: q(0.99),
      max: sorted[sorted.length - 1]!,
      longAnimationFrames: loaf.length,
      loafOver50: loaf.filter((d) => d > 50).length,
      steps,
      reachedTop: el.scrollTop === 0,
    };
  }, maxSteps);
}
