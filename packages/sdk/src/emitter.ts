/**
 * A small typed event emitter that works in Node and browsers (no
 * node:events). A throwing listener never breaks delivery to the others; its
 * error goes to `onListenerError`.
 */

/** Map of event name to payload type. */
export type EventMap = Record<string, unknown>;

/** A listener of payload `P`. */
export type Listener<P> = (payload: P) => void;

/** Typed emitter over event map `M`. */
export class Emitter<M extends EventMap> {
  readonly #listeners = new Map<keyof M, Set<Listener<never>>>();
  /** Where listener exceptions go (default: rethrown asynchronously so they are not swallowed). */
  onListenerError: (err: unknown, event: keyof M) => void = (err) => {
    queueMicrotask(() => {
      throw err;
    });
  };

  /** Subscribe; returns a function that unsubscribes. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(event, listener);
  }

  /** Subscribe for one emission. */
  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, (p) => {
      off();
      listener(p);
    });
    return off;
  }

  /** Unsubscribe. */
  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.#listeners.get(event)?.delete(listener as Listener<never>);
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Emit to every listener of `event`. */
  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as Listener<M[K]>)(payload);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }

  /** Resolve with the next payload of `event` that matches `filter` (reject after `timeoutMs`). */
  next<K extends keyof M>(event: K, filter: (p: M[K]) => boolean = () => true, timeoutMs = 30_000): Promise<M[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for ${String(event)}`));
      }, timeoutMs);
      const off = this.on(event, (p) => {
        if (!filter(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
