/**
 * One tab runs the client. Every tab of a browser profile shares one device
 * (one MLS leaf, one refresh-token family, one IndexedDB): two running clients
 * would roll each other's group state back and reuse rotated refresh tokens
 * (which revokes the session). A Web Lock held for the tab's life decides
 * which tab runs it; another tab shows "open in another tab" and can take
 * over: it steals the lock, the old tab stops its client (flushing its
 * store) and says so on a BroadcastChannel, and only then does the new tab
 * start. A SharedWorker serving every tab was the alternative; it is not
 * available in Chrome on Android and would keep one tab's crash or update
 * bound to every other tab, so the lock is used (docs: web client).
 * Without the Web Locks API (very old browsers) every tab runs: the
 * pre-lock behaviour.
 *
 * The service worker takes the same lock, for a few seconds, to open a pushed
 * message while no tab runs the client (pwa/sw-push.ts); it holds
 * {@link SW_LOCK} meanwhile, so a tab opening then waits for it instead of
 * saying "open in another tab".
 */

/** The Web Lock held by whichever context (a tab, or briefly the service worker) runs this device's client. */
export const DEVICE_LOCK = "parley-device";
/** Held by the service worker while it holds {@link DEVICE_LOCK} to open a pushed message. */
export const SW_LOCK = "parley-device-sw";
const LOCK = DEVICE_LOCK;
/** How long a taking-over tab waits for the old one to stop (a frozen tab never answers). */
const RELEASE_WAIT_MS = 3_000;
/** How long a starting tab waits for the service worker to finish with the device (its push budget plus closing). */
const SW_WAIT_MS = 15_000;

/** The tab's claim on running the client. */
export class DeviceLock {
  readonly #onLost: () => Promise<void>;
  readonly #channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(LOCK) : undefined;

  /** `onLost` stops this tab's client when another tab takes over; it resolves once stopped. */
  constructor(onLost: () => Promise<void>) {
    this.#onLost = onLost;
  }

  /** Take the lock if no other tab holds it (waiting for the service worker if it has it briefly); false when a tab does. */
  async acquire(): Promise<boolean> {
    if (await this.#request({ ifAvailable: true })) return true;
    const held = (await navigator.locks.query()).held ?? [];
    // Released between the two looks: try once more.
    if (!held.some((l) => l.name === LOCK)) return this.#request({ ifAvailable: true });
    if (!held.some((l) => l.name === SW_LOCK)) return false;
    return this.#request({ signal: AbortSignal.timeout(SW_WAIT_MS) });
  }

  /** Take the lock from the tab that holds it; resolves once that tab has stopped its client (or did not answer in time). */
  async takeOver(): Promise<void> {
    const held = (await navigator.locks?.query())?.held?.some((l) => l.name === LOCK) ?? false;
    if (!held) {
      if (await this.acquire()) return;
    }
    const released = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, RELEASE_WAIT_MS);
      this.#channel?.addEventListener("message", (ev) => {
        if (ev.data === "released") {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await this.#request({ steal: true });
    await released;
  }

  #request(opts: LockOptions): Promise<boolean> {
    if (!navigator.locks) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      navigator.locks
        .request(LOCK, opts, (lock) => {
          resolve(lock !== null);
          // Held until the tab closes or another tab steals it.
          return lock ? new Promise<void>(() => undefined) : undefined;
        })
        .catch(async (err: unknown) => {
          // AbortError: another tab stole the lock. Stop first, then tell it to go ahead.
          if ((err as Error).name !== "AbortError") return resolve(false);
          await this.#onLost().catch(() => undefined);
          this.#channel?.postMessage("released");
        });
    });
  }
}
