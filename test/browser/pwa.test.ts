/**
 * The installable app: the manifest is linked and valid (PNG icons at 192 and
 * 512, a maskable one), the service worker registers and serves the app shell
 * when offline, /api is never answered from a cache, a new build is offered
 * with a reload prompt, and the phone-width layout (375x812) works: drawer
 * sidebar, full-screen thread, usable composer. Screenshots go to
 * test-results/screenshots/ (docs/screenshots/ holds copies picked by hand, so a test
 * run never changes tracked files).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { ensureWebBuild, launchChromium, newUserPage, shot, signIn, WEB_DIST } from "./browser-support.ts";

let server: TestServer;
let browser: Browser;
let webDir: string;
const errors: string[] = [];

before(async () => {
  ensureWebBuild();
  // A private copy of the build: the update test rewrites its sw.js.
  webDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-pwa-"));
  fs.cpSync(WEB_DIST, webDir, { recursive: true });
  server = await startTestServer({ dialect: "sqlite", config: { webDir } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.stop();
  if (webDir) fs.rmSync(webDir, { recursive: true, force: true });
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

test("the manifest is linked and valid, with PNG icons at 192 and 512 and a maskable one", async () => {
  const page = await newUserPage(browser, errors);
  await page.goto(server.url);
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  assert.equal(href, "/manifest.webmanifest");
  const res = await fetch(new URL(href!, server.url));
  assert.equal(res.status, 200);
  const m = (await res.json()) as {
    name: string;
    short_name: string;
    start_url: string;
    display: string;
    icons: Array<{ src: string; sizes: string; type: string; purpose?: string }>;
  };
  assert.equal(m.name, "Parley");
  assert.ok(m.short_name);
  assert.equal(m.start_url, "/");
  assert.equal(m.display, "standalone");
  for (const size of [192, 512]) {
    for (const purpose of ["any", "maskable"]) {
      const icon = m.icons.find((i) => i.sizes === `${size}x${size}` && i.type === "image/png" && (i.purpose ?? "any").split(" ").includes(purpose));
      assert.ok(icon, `a ${purpose} ${size}px PNG icon`);
      const r = await fetch(new URL(icon.src, server.url));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "image/png");
      assert.deepEqual(pngSize(Buffer.from(await r.arrayBuffer())), { width: size, height: size });
    }
  }
  await page.context().close();
});

test("the service worker serves the app shell offline and never caches /api", async () => {
  const owner = await bootstrapOrg(server, { orgSlug: "pwa", username: "alice" });
  await makeUser(server, owner, { username: "bob", displayName: "Bob" });
  const sw = await fetch(new URL("/sw.js", server.url));
  assert.equal(sw.status, 200);
  assert.equal(sw.headers.get("cache-control"), "no-cache", "sw.js is revalidated on every update check");
  assert.match(sw.headers.get("content-type") ?? "", /javascript/);

  const page = await newUserPage(browser, errors);
  const fromSw: string[] = [];
  page.context().on("response", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api") && r.fromServiceWorker()) fromSw.push(r.url());
  });
  await signIn(page, server.url, "pwa", "bob");
  // Registered after load; claims the page once active.
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, `${server.url}/`);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

  // Offline: a reload still starts the app (the signed-in shell, from the cache).
  await page.context().setOffline(true);
  await page.reload();
  await page.locator(".sidebar, .auth-card").first().waitFor();
  await shot(page, "pwa-offline-reload");
  // The API is not answered from any cache while offline.
  const apiOffline = await page.evaluate(async () =>
    fetch("/api/v1/me").then(
      (r) => `status ${r.status}`,
      () => "network error",
    ),
  );
  assert.equal(apiOffline, "network error");
  await page.context().setOffline(false);

  // Signed out, offline: the sign-in screen still loads.
  const fresh = await page.context().newPage();
  await page.close();
  await fresh.context().clearCookies();
  await fresh.evaluate(() => localStorage.clear()).catch(() => undefined);
  await fresh.context().setOffline(true);
  await fresh.goto(`${server.url}/`);
  await fresh.locator(".sidebar, .auth-card").first().waitFor();
  await fresh.context().setOffline(false);

  const cached = await fresh.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    return urls;
  });
  assert.ok(cached.includes("/index.html"), "the shell is cached");
  assert.ok(
    cached.some((u) => u.startsWith("/assets/") && u.endsWith(".js")),
    "hashed JS is cached",
  );
  assert.deepEqual(
    cached.filter((u) => u.startsWith("/api")),
    [],
    "nothing under /api is cached",
  );
  assert.deepEqual(fromSw, [], "no /api response came from the service worker");
  await fresh.context().close();
});

test("a new build is offered with a reload prompt and takes over after Reload", async () => {
  const page = await newUserPage(browser, errors);
  await page.goto(server.url);
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const version = () =>
    page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          navigator.serviceWorker.addEventListener("message", (e) => resolve((e.data as { version: string }).version), { once: true });
          navigator.serviceWorker.controller!.postMessage({ type: "VERSION" });
        }),
    );
  const before = await version();

  // "Deploy" a new build: a different sw.js (its version string changes with every rebuilt file).
  const file = path.join(webDir, "sw.js");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(`const VERSION = "${before}"`, `const VERSION = "${before}-next"`));
  await page.evaluate(async () => {
    await (await navigator.serviceWorker.ready).update();
  });
  await page.getByRole("alert").filter({ hasText: "A new version of Parley is available." }).waitFor();
  await shot(page, "pwa-update-prompt");
  await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Reload" }).click()]);
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  assert.equal(await version(), `${before}-next`);
  await page.context().close();
});

test("phone width (375x812): drawer sidebar, full-screen thread, usable composer", async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  await signIn(page, server.url, "pwa", "alice");

  // The sidebar is off-canvas until the menu button opens it.
  const sidebar = page.getByRole("navigation", { name: "Channels and direct messages" });
  await page.getByRole("button", { name: "Open channels" }).waitFor();
  assert.equal(await sidebar.isVisible(), false, "the sidebar is hidden at phone width");
  await page.getByRole("button", { name: "Open channels" }).click();
  await sidebar.getByRole("button", { name: "Create channel" }).click();
  await page.getByLabel("Name").fill("mobile");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByRole("heading", { name: "# mobile" }).waitFor();
  await sidebar.waitFor({ state: "hidden" }); // navigating closed the drawer

  const box = page.getByRole("textbox", { name: "Message #mobile" });
  const rect = await box.boundingBox();
  assert.ok(rect && rect.x >= 0 && rect.x + rect.width <= 375 && rect.y + rect.height <= 812, `composer inside the screen: ${JSON.stringify(rect)}`);
  for (const text of ["Sent from a phone", "The sidebar is a drawer here", "And **markdown** works"]) {
    await box.fill(text);
    await box.press("Enter");
    await page.locator("main article.msg", { hasText: text.replace(/\*/g, "") }).waitFor();
  }
  await page.locator(".pending-send").first().waitFor({ state: "detached" });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
  await shot(page, "phone");

  await page.getByRole("button", { name: "Open channels" }).click();
  await sidebar.getByRole("link", { name: /Channel mobile/ }).waitFor();
  await shot(page, "phone-drawer");
  await page.keyboard.press("Escape");
  await sidebar.waitFor({ state: "hidden" });

  // Thread: covers the screen; Esc closes it.
  const first = page.locator("main article.msg", { hasText: "Sent from a phone" });
  await first.click();
  await first.getByRole("button", { name: "Reply in thread" }).click();
  const thread = page.getByRole("complementary", { name: "Thread" });
  const t = await thread.boundingBox();
  assert.deepEqual(t && { x: t.x, y: t.y, w: t.width, h: t.height }, { x: 0, y: 0, w: 375, h: 812 }, "the thread panel is full-screen");
  await thread.getByRole("textbox", { name: "Reply in thread" }).fill("Thread reply on a phone");
  await thread.getByRole("textbox", { name: "Reply in thread" }).press("Enter");
  await thread.getByText("Thread reply on a phone").waitFor();
  await shot(page, "phone-thread");
  await thread.getByRole("button", { name: "Close thread" }).click();
  await thread.waitFor({ state: "detached" });
  await context.close();

  assert.deepEqual(
    errors.filter((e) => !/status of 40[134]|ERR_INTERNET_DISCONNECTED|net::|WebSocket|Failed to fetch/.test(e)),
    [],
  );
});
