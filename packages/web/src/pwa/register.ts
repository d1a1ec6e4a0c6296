/**
 * Registers the service worker (src/pwa/sw-template.js, built to /sw.js) and
 * runs the update flow: a new version installs in the background and waits;
 * {@link updateState} reports it so the app can ask "reload now?", and
 * {@link applyUpdate} activates it and reloads once it controls the page.
 */

type Listener = () => void;

let waiting: ServiceWorker | undefined;
const listeners = new Set<Listener>();

function setWaiting(w: ServiceWorker | undefined): void {
  waiting = w;
  for (const fn of listeners) fn();
}

/** Subscribe to update availability (useSyncExternalStore shape). */
export function subscribeUpdate(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Whether a new version is installed and waiting for a reload. */
export function updateAvailable(): boolean {
  return waiting !== undefined;
}

/** Activate the waiting version; the page reloads when it takes over. */
export function applyUpdate(): void {
  if (!waiting) return location.reload();
  let reloaded = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloaded) return;
    reloaded = true;
    location.reload();
  });
  waiting.postMessage({ type: "SKIP_WAITING" });
}

/** How often an open tab asks the server for a newer sw.js. */
const CHECK_EVERY_MS = 60 * 60 * 1000;

/** Register /sw.js (production builds only: Vite's dev server has no sw.js). */
export function registerServiceWorker(): void {
  if (import.meta.env.DEV || !("serviceWorker" in navigator)) return;
  const start = async () => {
    // updateViaCache "none": the browser always revalidates sw.js, whatever HTTP caches hold.
    const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" });
    // A version that finished installing while an older one controls the page (e.g. another tab) waits.
    if (reg.waiting && navigator.serviceWorker.controller) setWaiting(reg.waiting);
    reg.addEventListener("updatefound", () => {
      const w = reg.installing;
      w?.addEventListener("statechange", () => {
        // The first install (no controller yet) is not an update: nothing to reload.
        if (w.state === "installed" && navigator.serviceWorker.controller) setWaiting(w);
      });
    });
    const check = () =>
      void reg.update().catch(() => {
        /* offline: try again later */
      });
    setInterval(check, CHECK_EVERY_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") check();
    });
  };
  // After load, so installing (precaching ~1 MB) never competes with the first paint.
  if (document.readyState === "complete") void start().catch(reportFailure);
  else addEventListener("load", () => void start().catch(reportFailure), { once: true });
}

function reportFailure(err: unknown): void {
  // The app works without a service worker (no offline shell); say why in the console only.
  console.warn("service worker registration failed", err);
}
