/**
 * One load-client process. The orchestrator forks several (a process may hold
 * at most 20,000 sockets, and spreading them uses both cores evenly) and
 * drives them over IPC:
 *   connect  open N receiver sockets (hello -> ready), optionally from a given
 *            127.0.0.x source address so 10k+ sockets never exhaust ports;
 *   measure  start/stop counting `event` frames and their latency;
 *   send     open sender sockets and send `send` frames at a paced rate (or as
 *            fast as acks come back), measuring ack latency;
 *   exit.
 * Latency = receive time - the send time the sender wrote into the event's
 * content bytes (both processes read the same clock).
 */
import crypto from "node:crypto";
import http from "node:http";
import { WebSocket } from "ws";
import { API_PREFIX, WS_PATH } from "@parley/protocol";
import { newHistogram, record, serialize, type Histogram } from "./histogram.ts";

export type WorkerRequest =
  | { cmd: "connect"; url: string; tokens: string[]; count: number; localAddress?: string; sampleEvery: number; concurrency: number }
  | { cmd: "measure"; action: "start" | "stop" }
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
  | { cmd: "exit" };

const EVENT_TAG = Buffer.from('"t":"event"');
const CONTENT_TAG = Buffer.from('"content":"');
const now = () => performance.timeOrigin + performance.now();

function wsUrl(url: string): string {
  return `${url.replace(/^http/, "ws")}${WS_PATH}`;
}

function hello(token: string): string {
  return JSON.stringify({ t: "hello", token, cursors: { user: 0, channels: {} }, live: true });
}

/** Open one socket, send hello, resolve on `ready`. */
function open(url: string, token: string, localAddress: string | undefined, onFrame: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url), { perMessageDeflate: false, skipUTF8Validation: true, ...(localAddress ? { localAddress } : {}) });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("connect timeout (30 s)"));
    }, 30_000);
    let ready = false;
    ws.on("open", () => ws.send(hello(token)));
    ws.on("message", (data: Buffer) => {
      if (!ready) {
        const s = data.toString("utf8", 0, 40);
        if (s.includes('"t":"ready"')) {
          ready = true;
          clearTimeout(timer);
          resolve(ws);
        } else if (s.includes('"t":"error"')) {
          clearTimeout(timer);
          ws.terminate();
          reject(new Error(`hello rejected: ${data.toString().slice(0, 200)}`));
        }
        return;
      }
      onFrame(data);
    });
    ws.on("error", (err) => {
      if (!ready) {
        clearTimeout(timer);
        reject(err);
      }
    });
    ws.on("close", (code) => {
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`closed before ready: ${code}`));
      }
    });
  });
}

/** Send time written by the sender into the first 8 content bytes. */
function sentAt(data: Buffer): number | undefined {
  const i = data.indexOf(CONTENT_TAG);
  if (i < 0) return undefined;
  const start = i + CONTENT_TAG.length;
  const bytes = Buffer.from(data.toString("latin1", start, start + 12), "base64");
  return bytes.length >= 8 ? bytes.readDoubleLE(0) : undefined;
}

const receivers: WebSocket[] = [];
let measuring = false;
let deliveries = 0;
let closedDuringRun = 0;
const closeCodes: Record<string, number> = {};
let latency: Histogram = newHistogram();

async function connect(req: Extract<WorkerRequest, { cmd: "connect" }>): Promise<Record<string, unknown>> {
  const t0 = now();
  let failed = 0;
  let firstError = "";
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < req.count) {
      const i = next++;
      const sampled = req.sampleEvery > 0 && i % req.sampleEvery === 0;
      const token = req.tokens[i % req.tokens.length] as string;
      try {
        const ws = await open(req.url, token, req.localAddress, (data) => {
          if (!measuring || !data.includes(EVENT_TAG)) return;
          deliveries++;
          if (sampled) {
            const t = sentAt(data);
            if (t !== undefined) record(latency, (now() - t) * 1000);
          }
        });
        ws.on("close", (code) => {
          closedDuringRun++;
          closeCodes[code] = (closeCodes[code] ?? 0) + 1;
        });
        receivers.push(ws);
      } catch (err) {
        failed++;
        firstError ||= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, req.concurrency) }, one));
  return { type: "connected", ok: receivers.length, failed, firstError, ms: Math.round(now() - t0) };
}

async function send(req: Extract<WorkerRequest, { cmd: "send" }>): Promise<Record<string, unknown>> {
  const runId = crypto.randomBytes(4).toString("hex");
  const conns = await Promise.all(Array.from({ length: req.connections }, () => open(req.url, req.token, req.localAddress, () => {})));
  const acks = newHistogram();
  const pending = new Map<string, number>();
  const inflight = new Array<number>(conns.length).fill(0);
  let sent = 0,
    acked = 0,
    errors = 0,
    firstError = "";
  let done = false;
  const t0 = now();
  const content = Buffer.alloc(16);

  const sendOne = (ci: number): void => {
    const ws = conns[ci] as WebSocket;
    const ref = `${ci}.${sent}`;
    content.writeDoubleLE(now(), 0);
    content.writeUInt32LE(sent, 8);
    pending.set(ref, now());
    inflight[ci] = (inflight[ci] ?? 0) + 1;
    sent++;
    ws.send(
      JSON.stringify({
        t: "send",
        ref,
        channelId: req.channelId,
        clientId: `b${runId}x${ref.replace(".", "x")}`,
        kind: "message",
        content: content.toString("base64"),
      }),
    );
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
      const head = data.toString("utf8", 0, 48);
      if (!head.includes('"t":"ack"') && !head.includes('"t":"error"')) return;
      const m = /"ref":"([^"]+)"/.exec(data.toString());
      const ref = m?.[1];
      const at = ref ? pending.get(ref) : undefined;
      if (ref === undefined || at === undefined) return;
      pending.delete(ref);
      inflight[ci] = (inflight[ci] ?? 1) - 1;
      if (head.includes('"t":"ack"')) {
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

async function handle(req: WorkerRequest): Promise<Record<string, unknown> | undefined> {
  switch (req.cmd) {
    case "connect":
      return connect(req);
    case "measure":
      if (req.action === "start") {
        deliveries = 0;
        closedDuringRun = 0;
        latency = newHistogram();
        measuring = true;
        return { type: "measuring", t: now() };
      }
      measuring = false;
      return {
        type: "measured",
        t: now(),
        deliveries,
        closed: closedDuringRun,
        closeCodes,
        open: receivers.filter((w) => w.readyState === WebSocket.OPEN).length,
        latency: serialize(latency),
      };
    case "send":
      return send(req);
    case "post":
      return post(req);
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
