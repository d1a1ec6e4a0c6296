/**
 * Persisted sends/s into one channel: a few sender sockets each keep many
 * `send` frames in flight; an ack means the event is committed (SQLite with
 * synchronous=FULL group commit, or PostgreSQL). Counts acks inside the window.
 */
import type { BenchTarget } from "./target.ts";
import { startWorker, type ServerProcess } from "./processes.ts";
import { mergeInto, newHistogram, summaryMs, type SerializedHistogram } from "./histogram.ts";
import { log } from "./report.ts";

export interface PersistOptions {
  connections: number;
  inflightPerConn: number;
  durationMs: number;
  warmupMs: number;
  via: "ws" | "http";
  httpConcurrency: number;
}
export const DEFAULT_PERSIST: PersistOptions = { connections: 4, inflightPerConn: 256, durationMs: 6_000, warmupMs: 1_500, via: "ws", httpConcurrency: 64 };

export interface PersistResult {
  via: "ws" | "http";
  connections: number;
  inflight: number;
  windowMs: number;
  acked: number;
  sendsPerSec: number;
  errors: number;
  firstError?: string;
  ackLatency: ReturnType<typeof summaryMs>;
  serverCpuPercent: number;
}

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

export async function runPersist(server: ServerProcess, target: BenchTarget, label: string, opts: PersistOptions = DEFAULT_PERSIST): Promise<PersistResult> {
  const w = startWorker();
  try {
    const run = async (durationMs: number) =>
      opts.via === "ws"
        ? w.call<Sent>(
            {
              cmd: "send",
              url: target.url,
              token: target.senderToken,
              channelId: target.channelId,
              connections: opts.connections,
              ratePerSec: 0,
              inflightPerConn: opts.inflightPerConn,
              durationMs,
              localAddress: "127.0.0.8",
            },
            "sent",
            durationMs + 60_000,
          )
        : w.call<Sent>(
            {
              cmd: "post",
              url: target.url,
              token: target.senderToken,
              channelId: target.channelId,
              concurrency: opts.httpConcurrency,
              durationMs,
              localAddress: "127.0.0.8",
            },
            "posted",
            durationMs + 60_000,
          );
    await run(opts.warmupMs);
    const u0 = await server.usage();
    const s = await run(opts.durationMs);
    const u1 = await server.usage();
    const acks = newHistogram();
    mergeInto(acks, s.ackLatency);
    const cpuUs = u1.cpuUserUs + u1.cpuSystemUs - u0.cpuUserUs - u0.cpuSystemUs;
    const http = opts.via === "http";
    const result: PersistResult = {
      via: opts.via,
      connections: http ? opts.httpConcurrency : opts.connections,
      inflight: http ? opts.httpConcurrency : opts.connections * opts.inflightPerConn,
      windowMs: s.elapsedMs,
      acked: s.ackedInWindow,
      sendsPerSec: Math.round(s.ackedInWindow / (s.elapsedMs / 1000)),
      errors: s.errors,
      ...(s.firstError ? { firstError: s.firstError } : {}),
      ackLatency: summaryMs(acks),
      // Approximate: the usage window also covers connection setup and the final drain.
      serverCpuPercent: Math.round((cpuUs / (s.elapsedMs * 1000)) * 1000) / 10,
    };
    log(
      `  ${label} via ${opts.via}: ${result.sendsPerSec} persisted sends/s (${result.acked} acks in ${result.windowMs} ms, ack p50 ${result.ackLatency.p50Ms} ms, p99 ${result.ackLatency.p99Ms} ms${result.errors ? `, ${result.errors} errors: ${result.firstError}` : ""})`,
    );
    return result;
  } finally {
    await w.stop();
  }
}
