/**
 * Messages typed but not yet acknowledged by the server, so the composer can
 * show them at once: "queued" while offline, "sending" while the SDK's outbox
 * works on them, then "sent" for a moment once the server acknowledged them
 * (the message itself then shows in the channel's history).
 *
 * The durable copy is the SDK outbox (persisted by BrowserStore before the
 * first attempt and resent with the same clientId after a reload); this list
 * only holds the plaintext for display, in memory, per signed-in store.
 */

/** One send the user made in this tab. */
export interface PendingSend {
  id: number;
  channelId: string;
  threadRoot: number | null;
  text: string;
  state: "pending" | "sent";
}

/** How long a delivered message keeps its "Sent" mark above the composer. */
const SENT_VISIBLE_MS = 4_000;
/** Online, a send shows as pending only once it has taken this long. */
const SHOW_AFTER_MS = 400;

/** The pending sends of one signed-in store (useSyncExternalStore shape). */
export class PendingSends {
  #items: PendingSend[] = [];
  #next = 1;
  readonly #listeners = new Set<() => void>();

  subscribe = (fn: () => void): (() => void) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  /** The current list (a new array after every change). */
  snapshot = (): PendingSend[] => this.#items;

  /**
   * Show `text` as pending until `send` settles; rethrows a failure (the composer reports it).
   * Online (`offline` false), the row appears only if the send is still going after a moment,
   * so ordinary sends do not flash a duplicate row above the composer.
   */
  async track(channelId: string, threadRoot: number | null, text: string, offline: boolean, send: () => Promise<unknown>): Promise<void> {
    const id = this.#next++;
    let shown = false;
    const show = () => {
      shown = true;
      this.#set([...this.#items, { id, channelId, threadRoot, text, state: "pending" }]);
    };
    const showTimer = offline ? (show(), undefined) : setTimeout(show, SHOW_AFTER_MS);
    const drop = () => this.#set(this.#items.filter((p) => p.id !== id));
    try {
      await send();
    } catch (err) {
      clearTimeout(showTimer);
      drop();
      throw err;
    }
    clearTimeout(showTimer);
    // A send that went straight through was never shown and needs no confirmation; one the user
    // saw waiting (offline, retries) is marked "Sent" for a moment so they see it went.
    if (!shown) return;
    this.#set(this.#items.map((p) => (p.id === id ? { ...p, state: "sent" } : p)));
    setTimeout(drop, SENT_VISIBLE_MS);
  }

  #set(items: PendingSend[]): void {
    this.#items = items;
    for (const fn of this.#listeners) fn();
  }
}

const byStore = new WeakMap<object, PendingSends>();

/** The pending list of a signed-in store (created on first use; dropped with the store). */
export function pendingSendsOf(store: object): PendingSends {
  let p = byStore.get(store);
  if (!p) byStore.set(store, (p = new PendingSends()));
  return p;
}
