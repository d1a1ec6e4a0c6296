/* global self, caches, Response */
/**
 * Parley's service worker (source template: the build fills in VERSION and
 * PRECACHE, see src/pwa/vite-plugin.ts, and writes it to dist/sw.js).
 *
 * - /assets/* are content-hashed, hence immutable: cache-first.
 * - Navigations (the SPA's index.html): network-first, so a deploy is seen at
 *   once; offline, the cached shell (sign-in or chat) still starts.
 * - /api/* (REST and the WebSocket upgrade) is never intercepted or cached:
 *   responses carry per-user, end-to-end-encrypted data and tokens.
 * - A new version installs in the background and waits; the page asks the
 *   user to reload and then posts SKIP_WAITING (no surprise reloads mid-typing).
 */
const VERSION = "__PARLEY_VERSION__";
const PRECACHE = /* __PARLEY_PRECACHE__ */ [];
const SHELL_CACHE = `parley-shell-${VERSION}`;
const ASSET_CACHE = "parley-assets";
const SHELL_KEY = "/index.html";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const shell = await caches.open(SHELL_CACHE);
      const index = await fetch("/", { cache: "no-cache", headers: { accept: "text/html" } });
      if (index.ok) await shell.put(SHELL_KEY, index);
      const assets = await caches.open(ASSET_CACHE);
      const missing = [];
      for (const url of PRECACHE) if (!(await assets.match(url))) missing.push(url);
      await assets.addAll(missing);
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("parley-shell-") && key !== SHELL_CACHE) await caches.delete(key);
      }
      // Hashed files of older builds are dead weight once this version runs.
      const keep = new Set(PRECACHE.map((p) => new URL(p, self.location.origin).href));
      const assets = await caches.open(ASSET_CACHE);
      for (const req of await assets.keys()) if (!keep.has(req.url) && new URL(req.url).pathname.startsWith("/assets/")) await assets.delete(req);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data && event.data.type === "VERSION") event.source?.postMessage({ type: "VERSION", version: VERSION });
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate") return event.respondWith(shell(req));
  if (url.pathname.startsWith("/assets/")) return event.respondWith(cacheFirst(req));
  if (PRECACHE.includes(url.pathname)) return event.respondWith(networkFirst(req));
});

async function shell(req) {
  try {
    const res = await fetch(req);
    if (res.ok && (res.headers.get("content-type") || "").includes("text/html")) {
      const copy = res.clone();
      caches
        .open(SHELL_CACHE)
        .then((c) => c.put(SHELL_KEY, copy))
        .catch(() => undefined);
    }
    return res;
  } catch {
    const cached = await caches.match(SHELL_KEY, { cacheName: SHELL_CACHE });
    return (
      cached ||
      new Response("Parley is offline and has not been loaded on this device yet.", { status: 503, headers: { "content-type": "text/plain; charset=utf-8" } })
    );
  }
}

async function cacheFirst(req) {
  const cached = await caches.match(req, { cacheName: ASSET_CACHE });
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok) {
    const copy = res.clone();
    caches
      .open(ASSET_CACHE)
      .then((c) => c.put(req, copy))
      .catch(() => undefined);
  }
  return res;
}

async function networkFirst(req) {
  try {
    const res = await fetch(req);
    if (res.ok) {
      const copy = res.clone();
      caches
        .open(ASSET_CACHE)
        .then((c) => c.put(req, copy))
        .catch(() => undefined);
    }
    return res;
  } catch {
    return (await caches.match(req, { cacheName: ASSET_CACHE })) || Response.error();
  }
}
