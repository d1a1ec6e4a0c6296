import type { Bus, BusTopics, Topic } from "./bus.ts";

/**
 * In-process bus for a single node. It behaves like a networked bus (NATS) where
 * that matters to callers, so code that would break there breaks here first:
 * - delivery is asynchronous: a publisher never sees its subscribers run inside
 *   `publish` (messages are delivered in publish order, on a later microtask);
 * - every message is a copy made by a JSON round trip at publish time: a
 *   subscriber never shares objects with the publisher (or with another
 *   subscriber's copy), and a payload that is not plain JSON fails at once.
 * A subscriber that throws is reported to `onError` and does not keep the
 * message from the others.
 */
export function memoryBus(onError: (err: unknown, topic: Topic) => void = (err, topic) => console.error(`bus subscriber for ${topic} failed`, err)): Bus {
  const handlers = new Map<Topic, Set<(msg: never) => void>>();
  const queue: Array<{ topic: Topic; json: string }> = [];
  let draining = false;

  function drain(): void {
    draining = false;
    for (let m = queue.shift(); m; m = queue.shift()) {
      const set = handlers.get(m.topic);
      if (!set) continue;
      for (const h of [...set]) {
        try {
          (h as (msg: unknown) => void)(JSON.parse(m.json));
        } catch (err) {
          onError(err, m.topic);
        }
      }
    }
  }

  return {
    publish(topic, msg) {
      if (!handlers.get(topic)?.size) return;
      queue.push({ topic, json: JSON.stringify(msg) });
      if (!draining) {
        draining = true;
        queueMicrotask(drain);
      }
    },
    subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void) {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      set.add(handler as (msg: never) => void);
      return () => {
        set.delete(handler as (msg: never) => void);
      };
    },
    ready: () => true,
    async close() {
      handlers.clear();
      queue.length = 0;
    },
  };
}
