/**
 * One load-client process. The orchestrator forks several (a process may hold
 * at most 20,000 sockets, and spreading them uses both cores evenly) and
 * drives them over IPC:
 *   connect  open N receiver sockets (hello -> ready, or a full hello -> synced),
 *            to one URL or round-robin over several, optionally from a given
 *            127.0.0.x source address so 10k+ sockets never exhaust ports;
 *   measure  start/peek/stop counting `event` frames and their latency;
 *   send     open sender sockets and send `send` frames at a paced rate (or as
 *            fast as acks come back), measuring ack latency;
 *   post     the same over HTTP;
 *   chat     some of the connected sockets send at a steady rate (chat-load.ts);
 *   usage    this process's CPU and RSS;
 *   exit.
 * Latency = receive time - the send time the sender wrote into the event's
 * content bytes (both processes read the same clock).
 */
import crypto from "node:crypto";
import http from "node:http";
import { WebSocket } from "ws";
import { API_PREFIX } from "@parley/protocol";
import { newHistogram, record, serialize, type Histogram, type SerializedHistogram } from "./histogram.ts";
import { ackOf, now, openSocket, sendFrame, sentAt, type HelloUntil } from "./client-frames.ts";
import { runChat, type ChatRequest } from "./chat-load.ts";

export type WorkerRequest =
  | {
      cmd: "connect";
      /** Several URLs: connection i goes to url[i % url.length]. */
      url: string | string[];
      tokens: string[];
      count: number;
      localAddress?: string;
      sampleEvery: number;
      concurrency: number;
      /** Default "ready" (a live-only hello). */
      until?: HelloUntil;
      /** Further attempts per connection that fails (refused, reset, timeout); default 0. */
      retries?: number;
      /** Send {type:"connect-progress"} this often while connecting; default never. */
      progressMs?: number;
    }
  | { cmd: "measure"; action: "start" | "stop" | "peek" }
  | {
      cmd: "send";
      url: string;
      token: string;
      channelId: string;
      connections: number;
      ratePerSec: number;
      inflightPerConn: number;
      durationMs: number;
      localAddress?: string;
    }
  | { cmd: "post"; url: string; token: string; channelId: string; concurrency: number; durationMs: number; localAddress?: string }
  | ChatRequest
  | { cmd: "usage" }
  | { cmd: "exit" };

const EVENT_TAG = Buffer.from('"t":"event"');

const receivers: WebSocket[] = [];
/** The last connect request's sockets by their index in it (chat senders name them so). */
const byIndex = new Map<number, WebSocket>();
let measuring = false;
let deliveries = 0;
let closedDuringRun = 0;
const closeCodes: Record<string, number> = {};
let latency: Histogram = newHistogram();

async function connect(req: Extract<WorkerRequest, { cmd: "connect" }>): Promise<Record<string, unknown>> {
  const t0 = now();
  const urls = Array.isArray(req.url) ? req.url : [req.url];
  let ok = 0;
  let retried = 0;
  let firstError = "";
  const failedIndexes: number[] = [];
  /** Socket open -> hello done, of each connection's successful attempt. */
  const handshake = newHistogram();
  let next = 0;
  byIndex.clear();
  const progress = req.progressMs
    ? setInterval(() => process.send?.({ type: "connect-progress", ok, failed: failedIndexes.length, retried }), req.progressMs)
    : undefined;
  const one = async (): Promise<void> => {
    while (next < req.count) {
      const i = next++;
      const sampled = req.sampleEvery > 0 && i % req.sampleEvery === 0;
      const token = req.tokens[i % req.tokens.length] as string;
      const onFrame = (data: Buffer) => {
        if (!measuring || !data.includes(EVENT_TAG)) return;
        deliveries++;
        if (sampled) {
          const t = sentAt(data);
          if (t !== undefined) record(latency, (now() - t) * 1000);
        }
      };
      for (let attempt = 0; ; attempt++) {
        const at = now();
        try {
          const ws = await openSocket(urls[i % urls.length] as string, token, req.localAddress, onFrame, req.until);
          record(handshake, (now() - at) * 1000);
          ws.on("close", (code) => {
            closedDuringRun++;
            closeCodes[code] = (closeCodes[code] ?? 0) + 1;
          });
          receivers.push(ws);
          byIndex.set(i, ws);
          ok++;
          break;
        } catch (err) {
          firstError ||= err instanceof Error ? err.message : String(err);
          if (attempt >= (req.retries ?? 0)) {
            failedIndexes.push(i);
            break;
          }
          retried++;
          // Back off like a client would (a full accept queue, a server busy with the storm).
          await new Promise((r) => setTimeout(r, 200 + Math.random() * 800 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, one));
  clearInterval(progress);
  return {
    type: "connected",
    ok,
    failed: failedIndexes.length,
    failedIndexes,
    retried,
    firstError,
    ms: Math.round(now() - t0),
    handshake: serialize(handshake),
    ...usage(),
  };
}

/** This process's CPU (µs, user+system) and RSS. */
function usage(): { cpuUs: number; rss: number } {
  const c = process.cpuUsage();
  return { cpuUs: c.user + c.system, rss: process.memoryUsage().rss };
}

async function send(req: Extract<WorkerRequest, { cmd: "send" }>): Promise<Record<string, unknown>> {
  const runId = crypto.randomBytes(4).toString("hex");
  const conns = await Promise.all(Array.from({ length: req.connections }, () => openSocket(req.url, req.token, req.localAddress, () => {})));
  const acks = newHistogram();
  const pending = new Map<string, number>();
  const inflight = new Array<number>(conns.length).fill(0);
  let sent = 0,
    acked = 0,
    errors = 0,
    firstError = "";
  let done = false;
  const t0 = now();

  const sendOne = (ci: number): void => {
    const ws = conns[ci] as WebSocket;
    const ref = `${ci}.${sent}`;
    pending.set(ref, now());
    inflight[ci] = (inflight[ci] ?? 0) + 1;
    ws.send(sendFrame(ref, req.channelId, `b${runId}x${ref.replace(".", "x")}`, sent));
    sent++;
  };
  const canSend = (ci: number) => (inflight[ci] ?? 0) < req.inflightPerConn;
  const due = () => (req.ratePerSec > 0 ? Math.floor(((now() - t0) / 1000) * req.ratePerSec) : Infinity);
  // Round-robin over connections so paced load is spread evenly.
  let rr = 0;
  const pump = (): void => {
    if (done) return;
    let target = due();
    for (let tries = 0; sent < target && tries < conns.length;) {
      const ci = rr++ % conns.length;
      if (canSend(ci)) {
        sendOne(ci);
        tries = 0;
        target = due();
      } else tries++;
    }
  };

  conns.forEach((ws, ci) => {
    ws.on("message", (data: Buffer) => {
      const ack = ackOf(data);
      const at = ack && pending.get(ack.ref);
      if (!ack || at === undefined) return;
      pending.delete(ack.ref);
      inflight[ci] = (inflight[ci] ?? 1) - 1;
      if (ack.ok) {
        acked++;
        record(acks, (now() - at) * 1000);
      } else {
        errors++;
        firstError ||= data.toString().slice(0, 300);
      }
      if (req.ratePerSec === 0) pump();
    });
  });

  process.send?.({ type: "sending", t: now() });
  const tick = setInterval(pump, 1);
  pump();
  await new Promise((r) => setTimeout(r, req.durationMs));
  done = true;
  clearInterval(tick);
  const elapsedMs = now() - t0;
  const ackedInWindow = acked;
  // Let in-flight sends settle (bounded) so acked counts are complete.
  for (let i = 0; i < 50 && pending.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
  for (const ws of conns) ws.close();
  return { type: "sent", sent, acked, ackedInWindow, errors, firstError, unacked: pending.size, elapsedMs: Math.round(elapsedMs), ackLatency: serialize(acks) };
}

/** Persisted sends over HTTP: `concurrency` keep-alive requests in flight, each POST answered once committed. */
async function post(req: Extract<WorkerRequest, { cmd: "post" }>): Promise<Record<string, unknown>> {
  const runId = crypto.randomBytes(4).toString("hex");
  const agent = new http.Agent({ keepAlive: true, maxSockets: req.concurrency, ...(req.localAddress ? { localAddress: req.localAddress } : {}) });
  const target = new URL(`${API_PREFIX}/channels/${req.channelId}/events`, req.url);
  const acks = newHistogram();
  let sent = 0,
    acked = 0,
    errors = 0,
    firstError = "";
  let done = false;
  const t0 = now();
  const content = Buffer.alloc(16);
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      content.writeDoubleLE(now(), 0);
      const body = JSON.stringify({ clientId: `h${runId}x${sent++}`, kind: "message", content: content.toString("base64") });
      const at = now();
      const r = http.request(
        target,
        {
          method: "POST",
          agent,
          timeout: 30_000,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${req.token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            if (res.statusCode === 200 || res.statusCode === 201) {
              if (!done) {
                acked++;
                record(acks, (now() - at) * 1000);
              }
            } else {
              errors++;
              firstError ||= `${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`;
            }
            resolve();
          });
        },
      );
      r.on("error", (err) => {
        errors++;
        firstError ||= err.message;
        resolve();
      });
      r.on("timeout", () => r.destroy(new Error("timeout")));
      r.end(body);
    });
  const loop = async (): Promise<void> => {
    while (!done && errors < 1000) await one();
  };
  const timer = setTimeout(() => {
    done = true;
  }, req.durationMs);
  await Promise.all(Array.from({ length: req.concurrency }, loop));
  clearTimeout(timer);
  agent.destroy();
  const elapsedMs = Math.min(now() - t0, req.durationMs);
  return { type: "posted", sent, acked, ackedInWindow: acked, errors, firstError, unacked: 0, elapsedMs: Math.round(elapsedMs), ackLatency: serialize(acks) };
}

/** The reply to measure stop ("measured") and peek ("peeked"): `event` frames counted since start. */
export interface MeasuredReply {
  type: "measured" | "peeked";
  t: number;
  deliveries: number;
  /** Sockets closed since start, and their close codes. */
  closed: number;
  closeCodes: Record<string, number>;
  open: number;
  latency: SerializedHistogram;
}

function measured(type: MeasuredReply["type"]): MeasuredReply {
  return {
    type,
    t: now(),
    deliveries,
    closed: closedDuringRun,
    closeCodes: { ...closeCodes },
    open: receivers.filter((w) => w.readyState === WebSocket.OPEN).length,
    latency: serialize(latency),
  };
}

async function handle(req: WorkerRequest): Promise<Record<string, unknown> | undefined> {
  switch (req.cmd) {
    case "connect":
      return connect(req);
    case "measure":
      if (req.action === "start") {
        deliveries = 0;
        closedDuringRun = 0;
        for (const code of Object.keys(closeCodes)) delete closeCodes[code];
        latency = newHistogram();
        measuring = true;
        return { type: "measuring", t: now() };
      }
      // peek: the figures so far, still measuring.
      if (req.action === "peek") return { ...measured("peeked") };
      measuring = false;
      return { ...measured("measured") };
    case "send":
      return send(req);
    case "post":
      return post(req);
    case "chat":
      return { ...(await runChat(byIndex, req)) };
    case "usage":
      return { type: "worker-usage", ...usage() };
    case "exit":
      for (const ws of receivers) ws.terminate();
      setTimeout(() => process.exit(0), 100);
      return undefined;
  }
}

process.on("message", (req: WorkerRequest) => {
  handle(req).then(
    (reply) => {
      if (reply) process.send?.(reply);
    },
    (err: unknown) => process.send?.({ type: "error", message: err instanceof Error ? err.message : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
