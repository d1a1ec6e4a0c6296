/**
 * The bus on NATS (core NATS, at most once; the outbox relay and the clients' replay make
 * delivery at least once): several Parley processes on one database deliver to each other's
 * clients. Subjects are keyed by whom a message is for (docs/architecture.md, "Bus subjects"):
 *
 *   parley.c.<channelId>.<topic>   a channel's connections (events, typing, read receipts)
 *   parley.u.<userId>.<topic>      one user's connections (stream items, revocations)
 *   parley.o.<orgId>.<topic>       an org's connections (access changes, bulk membership)
 *   parley.all.<topic>             every node (job nudges, presence)
 *
 * A node subscribes to `parley.<key>.>` while its gateway serves a connection for the key (the
 * registry's interest, counted here), and to `parley.all.>` always: a message reaches only the
 * nodes that have someone to give it to. Its own messages are not echoed back by NATS; they are
 * delivered in process (the same queue as the in-process bus), so this node's clients keep
 * receiving while NATS is away. Unscoped (tap) subscriptions subscribe to the topic under every
 * key: tests and node-wide topics only.
 *
 * Connection: the first connect is retried for `connectTimeoutMs` (then the start fails with a
 * readable message); after that the client reconnects forever, `reconnectMs` (+ jitter) between
 * attempts, and re-subscribes. `ready()` is false while disconnected (/readyz says so; the outbox
 * relay keeps the rows of messages committed meanwhile and its sweep publishes them once back).
 * What other nodes published meanwhile is lost to this node: `onReconnect` tells the gateway,
 * which closes its sockets with 1012 so the clients reconnect and replay from their cursors.
 *
 * Tracing (platform/tracing.ts): a message published inside a span (the outbox relay's "bus
 * publish") carries its W3C `traceparent`/`tracestate` as NATS headers; the receiving node
 * delivers it to its subscribers inside a "bus deliver <topic>" consumer span continuing that
 * trace, so a command on one node and the fan-out it causes on another are one trace. A message
 * without the headers is delivered as before, with no span; a malformed `traceparent` starts a
 * new trace. Tracing off, nothing is added to a message and nothing is read from one.
 */
import { connect, headers, Match, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Bus, BusKey, BusTopics, KeyOf, Topic } from "./bus.ts";
import { localDispatch, type DeliverTo } from "./memory.ts";
import { startConsumerSpan, traceHeaders, tracingOn, type RunInSpan, type TraceHeaders } from "../tracing.ts";

interface NatsBusOptions {
  /** `nats://host:port`, several comma-separated. */
  url: string;
  keyOf: KeyOf;
  log: Logger;
  metrics: Metrics;
  /** Client name shown by the NATS server's monitoring (the node id). */
  name: string;
  onError(err: unknown, topic: Topic): void;
  /** How long the first connection may take (default 10 s). */
  connectTimeoutMs?: number;
  /** Wait between reconnect attempts (default 1 s, plus up to half as much jitter). */
  reconnectMs?: number;
}

const PREFIX = "parley";

/** A subject token for an id: ids are base64url (safe); anything else is hex-encoded. */
function token(id: string): string {
  return /^[A-Za-z0-9_-]+$/.test(id) ? id : `~${Buffer.from(id).toString("hex")}`;
}

/** `c.<id>` -> `c.<token>`. */
function subjectKey(key: BusKey): string {
  return key === "all" ? key : `${key.slice(0, 1)}.${token(key.slice(2))}`;
}

/** Where the node reads the message from a subject (the tokens before its topic). */
function topicOf(subject: string): Topic {
  const parts = subject.split(".");
  return parts.slice(parts[1] === "all" ? 2 : 3).join(".") as Topic;
}

/** NATS headers carrying `trace` (W3C trace context). */
function natsHeaders(trace: TraceHeaders): MsgHdrs {
  const h = headers();
  h.set("traceparent", trace.traceparent!);
  if (trace.tracestate) h.set("tracestate", trace.tracestate);
  return h;
}

/**
 * The span to deliver `msg` in, continuing the trace its headers name; undefined when it carries
 * none (header names matched in any case: other publishers may capitalise them). Tracing must be on.
 */
function deliverSpan(msg: Msg, topic: Topic): RunInSpan | undefined {
  const h = msg.headers;
  const traceparent = h?.get("traceparent", Match.IgnoreCase);
  if (!traceparent) return undefined;
  const tracestate = h!.get("tracestate", Match.IgnoreCase);
  return startConsumerSpan(`bus deliver ${topic}`, tracestate ? { traceparent, tracestate } : { traceparent }, {
    "messaging.system": "nats",
    "messaging.operation.type": "process",
    "messaging.destination.name": msg.subject,
    "parley.bus.topic": topic,
  });
}

/** Connect (retrying until `connectTimeoutMs`) and return the bus. */
export async function natsBus(o: NatsBusOptions): Promise<Bus> {
  const servers = o.url.split(",").map((s) => s.trim());
  const reconnectMs = o.reconnectMs ?? 1_000;
  const deadline = Date.now() + (o.connectTimeoutMs ?? 10_000);
  let nc: NatsConnection;
  for (;;) {
    try {
      nc = await connect({
        servers,
        name: `parley-${o.name}`,
        // Our own messages are delivered in process (local below).
        noEcho: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: reconnectMs,
        reconnectJitter: Math.round(reconnectMs / 2),
        // Notice a dead server within seconds, not the default minutes.
        pingInterval: 5_000,
        maxPingOut: 2,
        timeout: 5_000,
      });
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`cannot reach NATS at ${redact(o.url)}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, Math.min(500, reconnectMs)));
    }
  }

  const local = localDispatch(o.onError);
  const { busMessages, busConnected } = o.metrics;
  let connected = true;
  let closed = false;
  const reconnected = new Set<() => void>();
  busConnected.set(1);
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "staleConnection") {
        if (connected) o.log.warn({ server: "server" in s ? s.server : undefined }, "NATS connection lost; reconnecting");
        connected = false;
      } else if (s.type === "reconnect") {
        connected = true;
        o.log.info({ server: s.server }, "NATS connection back");
        for (const l of [...reconnected]) l();
      } else if (s.type === "close") connected = false;
      busConnected.set(connected ? 1 : 0);
    }
  })().catch(() => {});

  /** Subscribe `subject`, handing what arrives to this node's subscribers `to`. */
  function listen(subject: string, key: BusKey | null, to: DeliverTo): Subscription {
    return nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return o.log.warn({ err: err.message, subject }, "NATS subscription failed");
        const topic = topicOf(msg.subject);
        busMessages.inc({ direction: "received", topic });
        // A tap learns nothing of the key; it delivers to taps only, whatever the key.
        local.deliver(topic, key ?? "all", msg.string(), to, tracingOn() ? deliverSpan(msg, topic) : undefined);
      },
    });
  }

  const everyNode = listen(`${PREFIX}.all.>`, "all", "both");
  /** key -> its subscription, while this node has interest. */
  const keyed = new Map<BusKey, Subscription>();
  /** topic -> [tap subscriptions, count]. */
  const taps = new Map<Topic, { sub: Subscription; n: number }>();

  function unsubscribe(sub: Subscription): void {
    try {
      sub.unsubscribe();
    } catch {
      // The connection closed: nothing left to undo.
    }
  }

  return {
    publish<T extends Topic>(topic: T, msg: BusTopics[T]) {
      const key = o.keyOf(topic, msg);
      const json = JSON.stringify(msg);
      local.deliver(topic, key, json, "both");
      if (!connected || closed) return;
      const subject = `${PREFIX}.${subjectKey(key)}.${topic}`;
      // Tracing off (or no active span): undefined, and the plain publish below.
      const trace = traceHeaders();
      // A server without header support (before NATS 2.2) would refuse the message: it goes without.
      if (trace && (!nc.info || nc.info.headers)) nc.publish(subject, json, { headers: natsHeaders(trace) });
      else nc.publish(subject, json);
      busMessages.inc({ direction: "published", topic });
    },
    subscribe<T extends Topic>(topic: T, handler: (msg: BusTopics[T]) => void, opts?: { scoped?: boolean }) {
      const off = local.subscribe(topic, handler as (msg: never) => void, opts?.scoped ?? false);
      if (opts?.scoped) return off;
      // A tap: the topic under every key (messages keyed `all` already come through `everyNode`).
      let tap = taps.get(topic);
      if (!tap) taps.set(topic, (tap = { sub: listen(`${PREFIX}.*.*.${topic}`, null, "taps"), n: 0 }));
      tap.n++;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        off();
        if (--tap.n === 0) {
          taps.delete(topic);
          unsubscribe(tap.sub);
        }
      };
    },
    interest(key, on) {
      if (key === "all" || !local.interest(key, on) || closed) return;
      if (on) keyed.set(key, listen(`${PREFIX}.${subjectKey(key)}.>`, key, "scoped"));
      else {
        const sub = keyed.get(key);
        keyed.delete(key);
        if (sub) unsubscribe(sub);
      }
    },
    async flush() {
      // Disconnected: nothing to confirm (the gateway closes its sockets when the bus is back).
      // Bounded: a NATS server that stops answering must not hold every hello.
      if (!connected || closed) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([nc.flush().catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
    },
    onReconnect(listener) {
      reconnected.add(listener);
      return () => reconnected.delete(listener);
    },
    ready: () => connected && !closed,
    async close() {
      if (closed) return;
      closed = true;
      // Drain: pending publishes go out, subscriptions end after what they already received.
      if (connected) await nc.drain().catch(() => nc.close());
      else await nc.close();
      unsubscribe(everyNode);
      local.clear();
      busConnected.set(0);
    },
  };
}

/** The URL without a password, for messages. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, "//[redacted]@");
}
