/**
 * Fan-out: one sender, RECEIVERS sockets in one channel, for each server under
 * test (all started up front, each with its own client processes). Phase 1
 * paces sends at 40k deliveries/s and reports latency and server CPU per
 * delivery; its windows alternate between the servers (A B B A ...) so drift
 * in background load hits both alike. Phase 2 ramps the offered rate per
 * server to find deliveries/s at saturation.
 */
import type { BenchTarget } from "./target.ts";
import { cpuDeltaUs, startWorker, type ServerProcess, type WorkerProcess } from "./processes.ts";
import { mergeInto, newHistogram, serialize, summaryMs, type Histogram, type SerializedHistogram } from "./histogram.ts";
import type { ServerKind } from "./server-child.ts";
import type { MeasuredReply } from "./client-worker.ts";
import { log, sleep } from "./report.ts";

export interface FanoutOptions {
  receivers: number;
  workers: number;
  fixedRate: number;
  fixedMs: number;
  reps: number;
  rampSends: number[];
  rampMs: number;
}

export const DEFAULT_FANOUT: FanoutOptions = {
  receivers: 1000,
  workers: 3,
  fixedRate: 40_000,
  fixedMs: 5_000,
  reps: 3,
  rampSends: [80, 160, 320, 640],
  rampMs: 4_000,
};

interface Sent {
  sent: number;
  acked: number;
  ackedInWindow: number;
  errors: number;
  firstError: string;
  unacked: number;
  elapsedMs: number;
  ackLatency: SerializedHistogram;
}

export interface PhaseResult {
  offeredDeliveriesPerSec: number;
  sendsPerSec: number;
  deliveriesPerSec: number;
  windowMs: number;
  deliveries: number;
  expectedDeliveries: number;
  serverCpuUs: number;
  serverCpuUsPerDelivery: number;
  serverCpuPercent: number;
  latency: ReturnType<typeof summaryMs>;
  ackLatency: ReturnType<typeof summaryMs>;
  sendErrors: number;
  firstSendError?: string;
  receiversClosed: number;
  perWindowCpuUsPerDelivery?: number[];
  /** With several nodes (BenchTarget.receiverUrls): delivery latency of the receivers on each node (node 0 is the sender's). */
  latencyByReceiverNode?: Array<ReturnType<typeof summaryMs>>;
}

interface Side {
  server: ServerProcess;
  target: BenchTarget;
  workers: WorkerProcess[];
  sender: WorkerProcess;
  receivers: number;
  connectMs: number;
  senderAddress: string;
}

/** One measured window: raw sums so windows can be added up. */
interface Window {
  sendsPerSec: number;
  elapsedMs: number;
  deliveries: number;
  expected: number;
  cpuUs: number;
  lat: Histogram;
  /** Per receiver worker (same order as Side.workers). */
  latByWorker: Histogram[];
  acks: Histogram;
  errors: number;
  firstError: string;
  closed: number;
}

async function measureWindow(side: Side, sendsPerSec: number, windowMs: number): Promise<Window> {
  const { server, target, workers, sender } = side;
  await Promise.all(workers.map((w) => w.call({ cmd: "measure", action: "start" }, "measuring", 10_000)));
  const sending = sender.expect("sending", 30_000);
  const sent = sender.call<Sent>(
    {
      cmd: "send",
      url: target.url,
      token: target.senderToken,
      channelId: target.channelId,
      connections: 1,
      ratePerSec: sendsPerSec,
      inflightPerConn: 100_000,
      durationMs: windowMs,
      localAddress: side.senderAddress,
    },
    "sent",
    windowMs + 60_000,
  );
  await sending;
  const u0 = await server.usage();
  const t0 = performance.now();
  await sleep(windowMs);
  const u1 = await server.usage();
  const measured = await Promise.all(workers.map((w) => w.call<MeasuredReply>({ cmd: "measure", action: "stop" }, "measured", 10_000)));
  const elapsedMs = performance.now() - t0;
  const s = await sent;
  // Let any backlog drain before the next window so windows do not overlap.
  await sleep(2_000);
  const lat = newHistogram();
  const latByWorker = measured.map((m) => {
    const h = newHistogram();
    mergeInto(h, m.latency);
    return h;
  });
  let deliveries = 0,
    closed = 0;
  for (const m of measured) {
    mergeInto(lat, m.latency);
    deliveries += m.deliveries;
    closed += m.closed;
  }
  const acks = newHistogram();
  mergeInto(acks, s.ackLatency);
  return {
    sendsPerSec,
    elapsedMs,
    deliveries,
    expected: Math.round(sendsPerSec * side.receivers * (windowMs / 1000)),
    cpuUs: cpuDeltaUs(u0, u1),
    lat,
    latByWorker,
    acks,
    errors: s.errors,
    firstError: s.firstError,
    closed,
  };
}

/** Latency per receiver node: worker i's receivers are on node i % nodes. */
function byNode(ws: Window[], nodes: number): Array<ReturnType<typeof summaryMs>> {
  const hs = Array.from({ length: nodes }, () => newHistogram());
  for (const w of ws) w.latByWorker.forEach((h, i) => mergeInto(hs[i % nodes]!, serialize(h)));
  return hs.map((h) => summaryMs(h));
}

function summarise(ws: Window[], receivers: number, nodes = 1): PhaseResult {
  const lat = newHistogram(),
    acks = newHistogram();
  let elapsed = 0,
    deliveries = 0,
    expected = 0,
    cpu = 0,
    errors = 0,
    closed = 0,
    firstError = "";
  for (const w of ws) {
    mergeInto(lat, serialize(w.lat));
    mergeInto(acks, serialize(w.acks));
    elapsed += w.elapsedMs;
    deliveries += w.deliveries;
    expected += w.expected;
    cpu += w.cpuUs;
    errors += w.errors;
    closed += w.closed;
    firstError ||= w.firstError;
  }
  const sendsPerSec = ws[0]?.sendsPerSec ?? 0;
  return {
    offeredDeliveriesPerSec: sendsPerSec * receivers,
    sendsPerSec,
    deliveriesPerSec: Math.round(deliveries / (elapsed / 1000)),
    windowMs: Math.round(elapsed),
    deliveries,
    expectedDeliveries: expected,
    serverCpuUs: cpu,
    serverCpuUsPerDelivery: deliveries ? Math.round((cpu / deliveries) * 1000) / 1000 : 0,
    serverCpuPercent: Math.round((cpu / (elapsed * 1000)) * 1000) / 10,
    latency: summaryMs(lat),
    ackLatency: summaryMs(acks),
    sendErrors: errors,
    ...(firstError ? { firstSendError: firstError } : {}),
    receiversClosed: closed,
    ...(nodes > 1 ? { latencyByReceiverNode: byNode(ws, nodes) } : {}),
    ...(ws.length > 1 ? { perWindowCpuUsPerDelivery: ws.map((w) => (w.deliveries ? Math.round((w.cpuUs / w.deliveries) * 1000) / 1000 : 0)) } : {}),
  };
}

export interface FanoutResult {
  receivers: number;
  connectMs: number;
  /** All 40k/s windows of this server added up (perWindowCpuUsPerDelivery shows the spread). */
  at40k: PhaseResult;
  ramp: PhaseResult[];
  saturationDeliveriesPerSec: number;
  /** 1 s of one core / CPU per delivery at 40k/s: what the server alone could push if the clients kept up. */
  deliveriesPerServerCoreSecond: number;
}

async function connectSide(server: ServerProcess, target: BenchTarget, opts: FanoutOptions, index: number): Promise<Side> {
  const workers = Array.from({ length: opts.workers }, () => startWorker());
  const sender = startWorker();
  const side: Side = { server, target, workers, sender, receivers: 0, connectMs: 0, senderAddress: `127.0.0.${10 * index + 9}` };
  const t0 = performance.now();
  const per = Math.ceil(opts.receivers / opts.workers);
  const conn = await Promise.all(
    workers.map((w, i) =>
      w.call<{ ok: number; failed: number; firstError: string }>(
        {
          cmd: "connect",
          url: target.receiverUrls?.[i % target.receiverUrls.length] ?? target.url,
          tokens: target.receiverTokens,
          count: Math.min(per, opts.receivers - i * per),
          localAddress: `127.0.0.${10 * index + 2 + i}`,
          sampleEvery: 5,
          concurrency: 50,
        },
        "connected",
        120_000,
      ),
    ),
  );
  side.receivers = conn.reduce((a, c) => a + c.ok, 0);
  side.connectMs = Math.round(performance.now() - t0);
  const failed = conn.reduce((a, c) => a + c.failed, 0);
  log(
    `  ${server.kind}: ${side.receivers} receivers connected in ${side.connectMs} ms${failed ? ` (${failed} failed: ${conn.find((c) => c.firstError)?.firstError})` : ""}`,
  );
  if (side.receivers < opts.receivers) {
    await Promise.all([...workers, sender].map((w) => w.stop()));
    throw new Error(`${server.kind}: only ${side.receivers}/${opts.receivers} receivers connected`);
  }
  return side;
}

export async function runFanout(
  servers: Array<{ server: ServerProcess; target: BenchTarget }>,
  opts: FanoutOptions = DEFAULT_FANOUT,
): Promise<Partial<Record<ServerKind, FanoutResult>>> {
  const sides: Side[] = [];
  try {
    for (const [i, s] of servers.entries()) sides.push(await connectSide(s.server, s.target, opts, i));
    await sleep(1_000);
    const fixedSends = Math.round(opts.fixedRate / opts.receivers);
    // Warm-up (JIT, caches), not measured.
    for (const side of sides) await measureWindow(side, fixedSends, 2_000);

    const windows = new Map<Side, Window[]>(sides.map((s) => [s, []]));
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const side of rep % 2 === 0 ? sides : [...sides].reverse()) {
        const w = await measureWindow(side, fixedSends, opts.fixedMs);
        windows.get(side)?.push(w);
        log(
          `  ${side.server.kind}: 40k/s window ${rep + 1}/${opts.reps}: ${Math.round(w.deliveries / (w.elapsedMs / 1000))}/s, ${(w.cpuUs / Math.max(1, w.deliveries)).toFixed(3)} µs CPU/delivery`,
        );
      }
    }
    const out: Partial<Record<ServerKind, FanoutResult>> = {};
    for (const side of sides) {
      const nodes = side.target.receiverUrls?.length ?? 1;
      const at40k = summarise(windows.get(side) ?? [], side.receivers, nodes);
      log(
        `  ${side.server.kind}: at ${opts.fixedRate}/s offered -> ${at40k.deliveriesPerSec}/s, p50 ${at40k.latency.p50Ms} ms, p99 ${at40k.latency.p99Ms} ms, ${at40k.serverCpuUsPerDelivery} µs CPU/delivery (${at40k.serverCpuPercent}% of a core)`,
      );
      const ramp: PhaseResult[] = [];
      for (const sends of opts.rampSends) {
        const r = summarise([await measureWindow(side, sends, opts.rampMs)], side.receivers, nodes);
        ramp.push(r);
        log(
          `  ${side.server.kind}: ramp ${r.offeredDeliveriesPerSec}/s offered -> ${r.deliveriesPerSec}/s, p99 ${r.latency.p99Ms} ms, server ${r.serverCpuPercent}% CPU, ${r.serverCpuUsPerDelivery} µs/delivery`,
        );
        // Saturated: the system no longer keeps up with what is offered.
        if (r.deliveriesPerSec < 0.9 * r.offeredDeliveriesPerSec || r.receiversClosed > 0) break;
      }
      out[side.server.kind] = {
        receivers: side.receivers,
        connectMs: side.connectMs,
        at40k,
        ramp,
        saturationDeliveriesPerSec: Math.max(at40k.deliveriesPerSec, ...ramp.map((r) => r.deliveriesPerSec)),
        deliveriesPerServerCoreSecond: at40k.serverCpuUsPerDelivery ? Math.round(1e6 / at40k.serverCpuUsPerDelivery) : 0,
      };
    }
    return out;
  } finally {
    await Promise.all(sides.flatMap((s) => [...s.workers, s.sender]).map((w) => w.stop()));
  }
}
