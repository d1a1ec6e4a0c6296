/**
 * Fan-out: one sender, RECEIVERS sockets in one channel. Phase 1 paces sends
 * at 40k deliveries/s and reports latency and server CPU per delivery; phase
 * 2 ramps the offered rate to find deliveries/s at saturation.
 */
import type { BenchTarget } from "./target.ts";
import { cpuDeltaUs, startWorker, type ServerProcess, type WorkerProcess } from "./processes.ts";
import { mergeInto, newHistogram, summaryMs, type SerializedHistogram } from "./histogram.ts";
import { log, sleep } from "./report.ts";

export interface FanoutOptions { receivers: number; workers: number; fixedRate: number; fixedMs: number; rampSends: number[]; rampMs: number }

export const DEFAULT_FANOUT: FanoutOptions = {
  receivers: 1000, workers: 3, fixedRate: 40_000, fixedMs: 8_000, rampSends: [80, 160, 320, 640], rampMs: 4_000,
};

interface Measured { deliveries: number; closed: number; closeCodes: Record<string, number>; open: number; latency: SerializedHistogram }
interface Sent { sent: number; acked: number; ackedInWindow: number; errors: number; firstError: string; unacked: number; elapsedMs: number; ackLatency: SerializedHistogram }

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
}

async function phase(server: ServerProcess, target: BenchTarget, workers: WorkerProcess[], sender: WorkerProcess, sendsPerSec: number, windowMs: number, receivers: number): Promise<PhaseResult> {
  await Promise.all(workers.map((w) => w.call({ cmd: "measure", action: "start" }, "measuring", 10_000)));
  const sending = sender.expect("sending", 30_000);
  const sent = sender.call<Sent>({
    cmd: "send", url: target.url, token: target.senderToken, channelId: target.channelId, connections: 1,
    ratePerSec: sendsPerSec, inflightPerConn: 100_000, durationMs: windowMs, localAddress: "127.0.0.9",
  }, "sent", windowMs + 60_000);
  await sending;
  const u0 = await server.usage();
  const t0 = performance.now();
  await sleep(windowMs);
  const u1 = await server.usage();
  const measured = await Promise.all(workers.map((w) => w.call<Measured>({ cmd: "measure", action: "stop" }, "measured", 10_000)));
  const elapsed = performance.now() - t0;
  const s = await sent;
  // Let any backlog drain before the next phase so phases do not overlap.
  await sleep(2_000);
  const lat = newHistogram();
  let deliveries = 0, closed = 0;
  for (const m of measured) { mergeInto(lat, m.latency); deliveries += m.deliveries; closed += m.closed; }
  const acks = newHistogram();
  mergeInto(acks, s.ackLatency);
  const cpu = cpuDeltaUs(u0, u1);
  return {
    offeredDeliveriesPerSec: sendsPerSec * receivers,
    sendsPerSec,
    deliveriesPerSec: Math.round(deliveries / (elapsed / 1000)),
    windowMs: Math.round(elapsed),
    deliveries,
    expectedDeliveries: Math.round(sendsPerSec * receivers * (windowMs / 1000)),
    serverCpuUs: cpu,
    serverCpuUsPerDelivery: deliveries ? Math.round((cpu / deliveries) * 1000) / 1000 : 0,
    serverCpuPercent: Math.round((cpu / (elapsed * 1000)) * 1000) / 10,
    latency: summaryMs(lat),
    ackLatency: summaryMs(acks),
    sendErrors: s.errors,
    ...(s.firstError ? { firstSendError: s.firstError } : {}),
    receiversClosed: closed,
  };
}

export interface FanoutResult {
  receivers: number;
  connectMs: number;
  at40k: PhaseResult;
  ramp: PhaseResult[];
  saturationDeliveriesPerSec: number;
  /** 1 s of one core / CPU per delivery at 40k/s: what the server alone could push if the clients kept up. */
  deliveriesPerServerCoreSecond: number;
}

export async function runFanout(server: ServerProcess, target: BenchTarget, opts: FanoutOptions = DEFAULT_FANOUT): Promise<FanoutResult> {
  const workers = Array.from({ length: opts.workers }, () => startWorker());
  const sender = startWorker();
  try {
    const t0 = performance.now();
    const per = Math.ceil(opts.receivers / opts.workers);
    const conn = await Promise.all(workers.map((w, i) => w.call<{ ok: number; failed: number; firstError: string }>({
      cmd: "connect", url: target.url, tokens: target.receiverTokens, count: Math.min(per, opts.receivers - i * per),
      localAddress: `127.0.0.${2 + i}`, sampleEvery: 5, concurrency: 50,
    }, "connected", 120_000)));
    const ok = conn.reduce((a, c) => a + c.ok, 0);
    const failed = conn.reduce((a, c) => a + c.failed, 0);
    const connectMs = Math.round(performance.now() - t0);
    log(`  ${server.kind}: ${ok} receivers connected in ${connectMs} ms${failed ? ` (${failed} failed: ${conn.find((c) => c.firstError)?.firstError})` : ""}`);
    if (ok < opts.receivers) throw new Error(`${server.kind}: only ${ok}/${opts.receivers} receivers connected`);
    await sleep(1_000);

    // Warm-up (JIT, caches), not measured.
    await phase(server, target, workers, sender, Math.round(opts.fixedRate / opts.receivers), 2_000, opts.receivers);
    const at40k = await phase(server, target, workers, sender, Math.round(opts.fixedRate / opts.receivers), opts.fixedMs, opts.receivers);
    log(`  ${server.kind}: at ${opts.fixedRate}/s offered -> ${at40k.deliveriesPerSec}/s, p50 ${at40k.latency.p50Ms} ms, p99 ${at40k.latency.p99Ms} ms, ${at40k.serverCpuUsPerDelivery} µs CPU/delivery (${at40k.serverCpuPercent}% of a core)`);

    const ramp: PhaseResult[] = [];
    for (const sends of opts.rampSends) {
      const r = await phase(server, target, workers, sender, sends, opts.rampMs, opts.receivers);
      ramp.push(r);
      log(`  ${server.kind}: ramp ${r.offeredDeliveriesPerSec}/s offered -> ${r.deliveriesPerSec}/s, p99 ${r.latency.p99Ms} ms, server ${r.serverCpuPercent}% CPU, ${r.serverCpuUsPerDelivery} µs/delivery`);
      // Saturated: the system no longer keeps up with what is offered.
      if (r.deliveriesPerSec < 0.9 * r.offeredDeliveriesPerSec || r.receiversClosed > 0) break;
    }
    const saturationDeliveriesPerSec = Math.max(at40k.deliveriesPerSec, ...ramp.map((r) => r.deliveriesPerSec));
    const deliveriesPerServerCoreSecond = at40k.serverCpuUsPerDelivery ? Math.round(1e6 / at40k.serverCpuUsPerDelivery) : 0;
    return { receivers: ok, connectMs, at40k, ramp, saturationDeliveriesPerSec, deliveriesPerServerCoreSecond };
  } finally {
    await Promise.all([...workers, sender].map((w) => w.stop()));
  }
}
