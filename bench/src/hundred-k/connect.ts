/**
 * The connect phase of a hundred-k run: every client process opens its block of users' sockets
 * (one per user, full hello until `synced`, round-robin over the nodes, from its own 127.0.0.x
 * address), retrying a failed connection like a client would. A progress line every 5 s; the
 * phase fails if nothing moves for 2 minutes.
 */
import { mergeInto, newHistogram, summaryMs, type SerializedHistogram } from "../histogram.ts";
import type { ServerProcess, WorkerProcess } from "../processes.ts";
import { loadAverage, round } from "../results.ts";
import { log } from "../report.ts";
import type { Plan } from "./plan.ts";

const PROGRESS_MS = 5_000;
const STALL_MS = 120_000;
/** Further attempts per connection after a failure. */
const RETRIES = 5;

export interface ConnectOutcome {
  connected: number;
  failedUsers: Set<number>;
  retried: number;
  firstError: string;
  /** First hello sent -> last connection synced. */
  allSyncedMs: number;
  connectionsPerSec: number;
  /** Socket open -> `synced`, per connection. */
  handshake: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
  perNodeConnections: number[];
}

interface Connected {
  ok: number;
  failedIndexes: number[];
  retried: number;
  firstError: string;
  handshake: SerializedHistogram;
}

export async function connectAll(o: {
  plan: Plan;
  nodes: ServerProcess[];
  workers: WorkerProcess[];
  tokens: string[];
  concurrency: number;
  /** Called on every progress tick (CPU samplers). */
  onTick(): void;
}): Promise<ConnectOutcome> {
  const users = o.tokens.length;
  const progress = o.workers.map(() => ({ ok: 0, failed: 0, retried: 0 }));
  const offs = o.workers.map((w, i) => w.on<{ ok: number; failed: number; retried: number }>("connect-progress", (m) => (progress[i] = m)));
  const t0 = performance.now();
  let last = { done: 0, at: t0, movedAt: t0 };
  let busy = false;
  let stalled: ((err: Error) => void) | undefined;
  const stall = new Promise<never>((_, reject) => (stalled = reject));
  const tick = setInterval(() => {
    if (busy) return;
    busy = true;
    o.onTick();
    const sum = (k: "ok" | "failed" | "retried") => progress.reduce((a, p) => a + p[k], 0);
    const done = sum("ok") + sum("failed");
    const now = performance.now();
    if (done > last.done) last.movedAt = now;
    else if (now - last.movedAt > STALL_MS) stalled?.(new Error(`connect: stalled at ${done}/${users} for ${STALL_MS / 1000} s`));
    const rate = Math.round(((done - last.done) * 1000) / (now - last.at));
    last = { done, at: now, movedAt: last.movedAt };
    void Promise.all(o.nodes.map((n) => n.usage()))
      .then((u) =>
        log(
          `connect ${Math.round((now - t0) / 1000)} s: ${sum("ok")}/${users} synced (${rate}/s), ${sum("failed")} failed, ${sum("retried")} retries; ` +
            `nodes hold ${u.map((x) => x.connections).join(" + ")}, RSS ${u.reduce((a, x) => a + x.rss, 0) >> 20} MB; load ${loadAverage()[0]}`,
        ),
      )
      // A reading that fails (a node just died) is not this tick's business: the run's exit watcher reports it.
      .catch(() => {})
      .finally(() => (busy = false));
  }, PROGRESS_MS);
  try {
    const replies = await Promise.race([
      Promise.all(
        o.plan.clients.map((b, i) =>
          o.workers[i]!.call<Connected>(
            {
              cmd: "connect",
              url: b.nodeOrder.map((n) => o.nodes[n]!.url),
              tokens: o.tokens.slice(b.first, b.first + b.count),
              count: b.count,
              localAddress: `127.0.0.${2 + i}`,
              sampleEvery: 1,
              concurrency: o.concurrency,
              until: "synced",
              retries: RETRIES,
              progressMs: 2_000,
            },
            "connected",
            3 * 3600_000,
          ),
        ),
      ),
      stall,
    ]);
    const allSyncedMs = Math.round(performance.now() - t0);
    const handshake = newHistogram();
    const failedUsers = new Set<number>();
    replies.forEach((r, i) => {
      mergeInto(handshake, r.handshake);
      for (const j of r.failedIndexes) failedUsers.add(o.plan.clients[i]!.first + j);
    });
    const connected = replies.reduce((a, r) => a + r.ok, 0);
    clearInterval(tick);
    while (busy) await new Promise((r) => setTimeout(r, 50));
    const perNodeConnections = (await Promise.all(o.nodes.map((n) => n.usage()))).map((u) => u.connections);
    const firstError = replies.find((r) => r.firstError)?.firstError ?? "";
    if (failedUsers.size || firstError) log(`connect: ${failedUsers.size} failed after ${RETRIES} retries; first error: ${firstError}`);
    return {
      connected,
      failedUsers,
      retried: replies.reduce((a, r) => a + r.retried, 0),
      firstError,
      allSyncedMs,
      connectionsPerSec: round(connected / (allSyncedMs / 1000)),
      handshake: summaryMs(handshake),
      perNodeConnections,
    };
  } finally {
    clearInterval(tick);
    for (const off of offs) off();
  }
}
