/* global self, caches, Response, MessageChannel, ParleyPush */
/**
 * Parley's service worker (source template: the build fills in VERSION and
 * PRECACHE, see src/pwa/vite-plugin.ts, and writes it to dist/sw.js after the
 * bundle of src/pwa/sw-push.ts, which defines `ParleyPush`).
 *
 * - /assets/* are content-hashed, hence immutable: cache-first.
 * - Navigations (the SPA's index.html): network-first, so a deploy is seen at
 *   once; offline, the cached shell (sign-in or chat) still starts.
 * - /api/* (REST and the WebSocket upgrade) is never intercepted or cached:
 *   responses carry per-user, end-to-end-encrypted data and tokens.
 * - A new version installs in the background and waits; the page asks the
 *   user to reload and then posts SKIP_WAITING (no surprise reloads mid-typing).
 * - Web Push (issue 13): a push names a message (org, channel, seq, sender) and
 *   carries no content; it is opened on this device, and only one context at a
 *   time may touch the device's MLS state (the Web Lock of client/device-lock.ts):
 *   - a tab runs the client (holds the lock): each open tab is asked
 *     (src/notify/notifier.ts) and the first that can open the message gives
 *     the notification's text; a tab showing that channel says to stay quiet;
 *   - no tab runs it: this worker takes the lock and opens the message itself
 *     from the device's stored keys and session (ParleyPush.openPushed,
 *     src/pwa/sw-push.ts: catch-up of the channel, decryption, the decrypted
 *     copy kept in the device's history for the tab), applying the user's
 *     notification settings (a muted channel shows nothing), within a budget
 *     of a few seconds.
 *   When the message cannot be opened either way, the notification says
 *   "New message" and where (the page posts the channels' names:
 *   CHANNEL_NAMES, kept in a cache so they outlive this worker). A click
 *   focuses a tab (or opens one) at the message.
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
  if (event.data && event.data.type === "CHANNEL_NAMES") event.waitUntil(saveChannelNames(event.data.names));
  if (event.data && event.data.type === "VERSION") event.source?.postMessage({ type: "VERSION", version: VERSION });
});

// ---- Web Push ----------------------------------------------------------------

/** How long the tabs get to open a pushed message. */
const LOOKUP_MS = 6000;
const META_CACHE = "parley-meta";
const NAMES_KEY = "/__parley/channel-names";
const ICON = "/icons/icon-192.png";

async function saveChannelNames(names) {
  if (!names || typeof names !== "object") return;
  const cache = await caches.open(META_CACHE);
  await cache.put(NAMES_KEY, new Response(JSON.stringify(names), { headers: { "content-type": "application/json" } }));
}

/** The channel's display name the page last posted ("#general", a DM partner's name), if any. */
async function channelName(channelId) {
  try {
    const res = await caches.match(NAMES_KEY, { cacheName: META_CACHE });
    const names = res ? await res.json() : {};
    return typeof names[channelId] === "string" ? names[channelId] : undefined;
  } catch {
    return undefined;
  }
}

self.addEventListener("push", (event) => {
  event.waitUntil(notifyPush(pushData(event)));
});

/** The push's JSON, or null when it has none or it does not parse. */
function pushData(event) {
  try {
    return event.data ? event.data.json() : null;
  } catch {
    return null;
  }
}

async function notifyPush(push) {
  const valid = push && push.v === 1 && typeof push.orgId === "string" && typeof push.channelId === "string" && Number.isSafeInteger(push.seq) && push.seq > 0;
  const tag = valid ? `parley:${push.channelId}:${push.seq}` : "parley";
  const data = valid ? { channelId: push.channelId, seq: push.seq } : {};
  // No tab runs the client: this worker opens the message (null: a tab does, ask the tabs).
  const headless = valid ? ParleyPush.openPushed({ orgId: push.orgId, channelId: push.channelId, seq: push.seq }) : undefined;
  const opened = headless ? await headless.answer : { busy: true };
  let known = null;
  if (opened.busy) {
    const tabs = valid ? await self.clients.matchAll({ type: "window", includeUncontrolled: true }) : [];
    known = await firstAnswer(tabs, push);
  } else if (opened.show || opened.quiet) known = opened;
  try {
    if (known && known.quiet) return;
    if (known) {
      const n = known.show;
      return await self.registration.showNotification(n.title, { body: String(n.body || ""), tag: n.tag || tag, data: n.data || data, icon: ICON });
    }
    const where = valid ? await channelName(push.channelId) : undefined;
    return await self.registration.showNotification("New message", { body: where ? `in ${where}` : "Open Parley to read it.", tag, data, icon: ICON });
  } finally {
    // The device's state saved and its lock released before the push event ends.
    await headless?.settled;
  }
}

/** The first tab's answer that shows or silences the message (null: none of them can open it). */
function firstAnswer(tabs, push) {
  return new Promise((resolve) => {
    let left = tabs.length;
    if (!left) return resolve(null);
    for (const tab of tabs) {
      ask(tab, push).then((a) => {
        left--;
        if (a && (a.quiet || (a.show && typeof a.show.title === "string"))) resolve(a);
        else if (!left) resolve(null);
      });
    }
  });
}

/** Ask one tab about a pushed message: its answer, or null when it does not answer in time. */
function ask(tab, push) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), LOOKUP_MS);
    channel.port1.onmessage = (ev) => {
      clearTimeout(timer);
      resolve(ev.data);
    };
    tab.postMessage({ type: "PARLEY_PUSH", push }, [channel.port2]);
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const d = event.notification.data || {};
  const id = typeof d.channelId === "string" ? encodeURIComponent(d.channelId) : "";
  const seq = Number.isSafeInteger(d.seq) ? d.seq : 0;
  const path = !id ? "/" : Number.isSafeInteger(d.threadRoot) && d.threadRoot > 0 ? `/c/${id}?thread=${d.threadRoot}&at=${seq}` : `/c/${id}?at=${seq}`;
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = tabs.find((t) => t.focused) || tabs[0];
      if (!tab) return self.clients.openWindow(path);
      await tab.focus();
      tab.postMessage({ type: "PARLEY_OPEN", path });
    })(),
  );
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
