/**
 * Work done once per server (per `Deps`), such as opening sealed keys: the first call starts
 * it, every later call shares its promise, and a failure is forgotten so the next call retries.
 */
import type { Deps } from "../context.ts";

export function oncePerServer<T>(make: (deps: Deps) => Promise<T>): (deps: Deps) => Promise<T> {
  const cache = new WeakMap<Deps, Promise<T>>();
  return (deps) => {
    let p = cache.get(deps);
    if (!p) {
      p = make(deps);
      p.catch(() => cache.delete(deps));
      cache.set(deps, p);
    }
    return p;
  };
}
