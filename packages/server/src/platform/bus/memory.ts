import type { Bus, BusKey, BusTopics, KeyOf, Topic } from "./bus.ts";
import type { RunInSpan } from "../tracing.ts";

type Handler = (msg: never) => void;
type OnError = (err: unknown, topic: Topic) => void;

/** Which of a node's subscribers a message goes to (see {@link LocalDispatch.deliver}). */
export type DeliverTo = "scoped" | "taps" | "both";

/**
 * A node's own subscribers and interests: the delivery half of every bus. The in-process bus is
 * only this; the NATS bus hands it what it receives from other nodes.
 */
interface LocalDispatch {
  /**
   * Queue `json` for this node's subscribers of `topic` (asynchronously, in order). `within`, if
   * given, runs the delivery (a span continuing the trace of the node that published it).
   */
  deliver(topic: Topic, key: BusKey, json: string, to: DeliverTo, within?: RunInSpan): void;
  /** Whether this node has any subscriber of `topic`. */
  has(topic: Topic): boolean;
  /** Add a subscriber; returns the function that removes it. */
  subscribe(topic: Topic, handler: Handler, scoped: boolean): () => void;
  /** Count interest in `key`; true when it went from none to some (`on`) or back to none. */
  interest(key: BusKey, on: boolean): boolean;
  clear(): void;
}

export function localDispatch(onError: OnError): LocalDispatch {
  const scoped = new Map<Topic, Set<Handler>>();
  const taps = new Map<Topic, Set<Handler>>();
  const interests = new Map<BusKey, number>();
  const queue: Array<{ topic: Topic; key: BusKey; json: string; to: DeliverTo; within: RunInSpan | undefined }> = [];
  let draining = false;

  function run(set: Set<Handler> | undefined, topic: Topic, json: string): void {
    if (!set) return;
    for (const h of [...set]) {
      try {
        (h as (msg: unknown) => void)(JSON.parse(json));
      } catch (err) {
        onError(err, topic);
      }
    }
  }

  function dispatch(topic: Topic, key: BusKey, json: string, to: DeliverTo): void {
    // Interest is looked at when the message is delivered: a connection that joined a channel
    // (in the same tick as the publish) gets it here; on NATS it might not (docs/architecture.md).
    if (to !== "taps" && (key === "all" || interests.has(key))) run(scoped.get(topic), topic, json);
    if (to !== "scoped") run(taps.get(topic), topic, json);
  }

  function drain(): void {
    draining = false;
    for (let m = queue.shift(); m; m = queue.shift()) {
      if (!m.within) dispatch(m.topic, m.key, m.json, m.to);
      else {
        const { topic, key, json, to } = m;
        m.within(() => dispatch(topic, key, json, to));
      }
    }
  }

  return {
    deliver(topic, key, json, to, within) {
      queue.push({ topic, key, json, to, within });
      if (!draining) {
        draining = true;
        queueMicrotask(drain);
      }
    },
    has: (topic) => Boolean(scoped.get(topic)?.size || taps.get(topic)?.size),
    subscribe(topic, handler, isScoped) {
      const map = isScoped ? scoped : taps;
      let set = map.get(topic);
      if (!set) map.set(topic, (set = new Set()));
      // Its own entry, so the same function subscribed twice is called twice (and removed once).
      const h = (msg: never) => handler(msg);
      set.add(h);
      const mine = set;
      return () => void mine.delete(h);
    },
    interest(key, on) {
      const n = (interests.get(key) ?? 0) + (on ? 1 : -1);
      if (n > 0) interests.set(key, n);
      else interests.delete(key);
      return on ? n === 1 : n === 0;
    },
    clear() {
      scoped.clear();
      taps.clear();
      interests.clear();
      queue.length = 0;
    },
  };
}

/**
 * In-process bus for a single node. It behaves like a networked bus (NATS) where
 * that matters to callers, so code that would break there breaks here first:
 * - delivery is asynchronous: a publisher never sees its subscribers run inside
 *   `publish` (messages are delivered in publish order, on a later microtask);
 * - every message is a copy made by a JSON round trip at publish time: a
 *   subscriber never shares objects with the publisher (or with another
 *   subscriber's copy), and a payload that is not plain JSON fails at once;
 * - a scoped subscriber receives a keyed message only while the node declared
 *   interest in its key (`keyOf`; without one every message is keyed `all`).
 * A subscriber that throws is reported to `onError` and does not keep the
 * message from the others.
 */
export function memoryBus(onError: OnError = (err, topic) => console.error(`bus subscriber for ${topic} failed`, err), keyOf: KeyOf = () => "all"): Bus {
  const local = localDispatch(onError);
  return {
    publish(topic, msg) {
      if (!local.has(topic)) return;
      local.deliver(topic, keyOf(topic, msg), JSON.stringify(msg), "both");
    },
    subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void, opts?: { scoped?: boolean }) {
      return local.subscribe(topic, handler as Handler, opts?.scoped ?? false);
    },
    interest(key, on) {
      local.interest(key, on);
    },
    ready: () => true,
    async close() {
      local.clear();
    },
  };
}
