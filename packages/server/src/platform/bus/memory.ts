import type { Bus, BusTopics, Topic } from "./bus.ts";

/** In-process bus for a single node: synchronous fan-out to local subscribers. */
export function memoryBus(): Bus {
  const handlers = new Map<Topic, Set<(msg: never) => void>>();
  return {
    publish(topic, msg) {
      const set = handlers.get(topic);
      if (!set) return;
      for (const h of set) (h as (m: typeof msg) => void)(msg);
    },
    subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void) {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      set.add(handler as (msg: never) => void);
      return () => { set.delete(handler as (msg: never) => void); };
    },
    ready: () => true,
    async close() { handlers.clear(); },
  };
}
