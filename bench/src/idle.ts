/**
 * Idle connections: open N authenticated sockets (hello -> ready) spread over
 * several client processes and 127.0.0.x source addresses, then compare the
 * server's RSS (after a full GC) with its RSS before: RSS per connection.
 */
import type { BenchTarget } from "./target.ts";
import { startWorker, type ServerProcess } from "./processes.ts";
import { log, sleep } from "./report.ts";

export interface IdleOptions {
  connections: number;
  workers: number;
  settleMs: number;
}
export const DEFAULT_IDLE: IdleOptions = { connections: 10_000, workers: 4, settleMs: 5_000 };

export interface IdleResult {
  connections: number;
  serverReportedConnections: number;
  connectMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  /** How long the connections sat idle before the RSS reading. */
  settleMs: number;
  rssPerConnectionBytes: number;
  heapPerConnectionBytes: number;
  /** V8 heap reserved (used + free) and off-heap (Buffers, native) growth per connection: where the RSS goes. */
  heapTotalPerConnectionBytes: number;
  externalPerConnectionBytes: number;
  connectionsPerSec: number;
}

export async function runIdle(server: ServerProcess, target: BenchTarget, opts: IdleOptions = DEFAULT_IDLE): Promise<IdleResult> {
  const workers = Array.from({ length: opts.workers }, () => startWorker());
  try {
    await sleep(500);
    const before = await server.usage(true);
    const t0 = performance.now();
    const per = Math.ceil(opts.connections / opts.workers);
    let progress = 0;
    const conn = await Promise.all(
      workers.map(async (w, i) => {
        const r = await w.call<{ ok: number; failed: number; firstError: string }>(
          {
            cmd: "connect",
            url: target.url,
            tokens: target.receiverTokens,
            count: Math.min(per, opts.connections - i * per),
            localAddress: `127.0.0.${20 + i}`,
            sampleEvery: 0,
            concurrency: 64,
          },
          "connected",
          150_000,
        );
        progress += r.ok;
        log(`  ${server.kind}: worker ${i + 1}/${opts.workers} connected ${r.ok} (${progress} total)`);
        return r;
      }),
    );
    const ok = conn.reduce((a, c) => a + c.ok, 0);
    const failed = conn.reduce((a, c) => a + c.failed, 0);
    const connectMs = Math.round(performance.now() - t0);
    if (failed) log(`  ${server.kind}: ${failed} connections failed: ${conn.find((c) => c.firstError)?.firstError}`);
    // Idle connections stay idle for long: let the server settle (V8 returns heap pages the
    // connection handshakes used but no longer need only after some idle GCs), then GC and read RSS.
    let after = await server.usage(true);
    for (let waited = 0; waited < opts.settleMs; waited += 2_500) {
      await sleep(2_500);
      after = await server.usage(true);
      log(
        `  ${server.kind}: idle ${((waited + 2_500) / 1000).toFixed(1)} s: RSS ${mb(after.rss)} MB, heap used/total ${mb(after.heapUsed)}/${mb(after.heapTotal)} MB`,
      );
    }
    const delta = after.rss - before.rss;
    const result: IdleResult = {
      connections: ok,
      serverReportedConnections: after.connections,
      connectMs,
      rssBeforeBytes: before.rss,
      rssAfterBytes: after.rss,
      heapBeforeBytes: before.heapUsed,
      heapAfterBytes: after.heapUsed,
      settleMs: opts.settleMs,
      rssPerConnectionBytes: ok ? Math.round(delta / ok) : 0,
      heapPerConnectionBytes: ok ? Math.round((after.heapUsed - before.heapUsed) / ok) : 0,
      heapTotalPerConnectionBytes: ok ? Math.round((after.heapTotal - before.heapTotal) / ok) : 0,
      externalPerConnectionBytes: ok ? Math.round((after.external - before.external) / ok) : 0,
      connectionsPerSec: connectMs ? Math.round(ok / (connectMs / 1000)) : 0,
    };
    log(
      `  ${server.kind}: ${ok} idle connections in ${connectMs} ms; RSS ${mb(before.rss)} -> ${mb(after.rss)} MB = ${(result.rssPerConnectionBytes / 1024).toFixed(1)} KiB/connection`,
    );
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

function mb(b: number): string {
  return (b / 1048576).toFixed(1);
}
