import type { Bus, BusTopics, Topic } from "./bus.ts";

/**
 * In-process bus for a single node: synchronous fan-out to local subscribers.
 * A subscriber that throws is reported to `onError` and does not keep the
 * message from the others.
 */
export function memoryBus(onError: (err: unknown, topic: Topic) => void = (err, topic) => console.error(`bus subscriber for ${topic} failed`, err)): Bus {
  const handlers = new Map<Topic, Set<(msg: never) => void>>();
  return {
    publish(topic, msg) {
      const set = handlers.get(topic);
      if (!set) return;
      for (const h of set) {
        try {
          (h as (m: typeof msg) => void)(msg);
        } catch (err) {
          onError(err, topic);
        }
      }
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
