/**
 * The chat phase of a hundred-k run: every client process counts the `event` frames its sockets
 * receive and their latency (send time in the content -> receive time), while the planned
 * chatters among its sockets send at a steady rate. Afterwards it waits until the deliveries the
 * acked sends should cause have arrived (or nothing more arrives for 3 s, at most 60 s).
 */
import { mergeInto, newHistogram, summaryMs } from "../histogram.ts";
import type { ChatResult } from "../chat-load.ts";
import type { MeasuredReply } from "../client-worker.ts";
import type { WorkerProcess } from "../processes.ts";
import { round } from "../results.ts";
import { log, sleep } from "../report.ts";
import { expectedDeliveries, locate, type Plan } from "./plan.ts";

const PROGRESS_MS = 5_000;

export interface ChatOutcome {
  chatters: number;
  channels: number;
  sent: number;
  acked: number;
  errors: number;
  firstError: string;
  unacked: number;
  sendsPerSec: number;
  expected: number;
  delivered: number;
  deliveriesPerSec: number;
  latency: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
  ackLatency: { samples: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** Sockets that closed while the chat phase ran, and their close codes. */
  closed: number;
  closeCodes: Record<string, number>;
  /** Time after the last send until the last delivery arrived (or the wait gave up). */
  drainMs: number;
}

export async function chat(o: {
  plan: Plan;
  workers: WorkerProcess[];
  channelIds: string[];
  failedUsers: ReadonlySet<number>;
  intervalMs: number;
  durationMs: number;
  onTick(): void;
}): Promise<ChatOutcome> {
  const senders = o.workers.map(() => [] as Array<{ conn: number; channelId: string }>);
  o.plan.channels.forEach((ch, k) => {
    for (const u of ch.chatters) {
      if (o.failedUsers.has(u)) continue;
      const { client, conn } = locate(o.plan, u);
      senders[client]!.push({ conn, channelId: o.channelIds[k]! });
    }
  });
  const chatters = senders.reduce((a, s) => a + s.length, 0);
  log(`chat: ${chatters} users send one message every ${o.intervalMs / 1000} s for ${o.durationMs / 1000} s in ${o.plan.channels.length} channels`);
  const peek = () => Promise.all(o.workers.map((w) => w.call<MeasuredReply>({ cmd: "measure", action: "peek" }, "peeked", 30_000)));
  const delivered = (ms: MeasuredReply[]) => ms.reduce((a, m) => a + m.deliveries, 0);

  await Promise.all(o.workers.map((w) => w.call({ cmd: "measure", action: "start" }, "measuring", 30_000)));
  const t0 = performance.now();
  let busy = false;
  const tick = setInterval(() => {
    if (busy) return;
    busy = true;
    o.onTick();
    void peek()
      .then((ms) => log(`chat ${Math.round((performance.now() - t0) / 1000)} s: ${delivered(ms)} deliveries so far`))
      .catch(() => {}) // a failed peek is reported by the run's exit watcher
      .finally(() => (busy = false));
  }, PROGRESS_MS);
  let results: ChatResult[];
  try {
    results = await Promise.all(
      o.workers.map((w, i) =>
        w.call<ChatResult>({ cmd: "chat", senders: senders[i]!, intervalMs: o.intervalMs, durationMs: o.durationMs }, "chatted", o.durationMs + 120_000),
      ),
    );
  } finally {
    clearInterval(tick);
  }
  while (busy) await sleep(50);
  const sentEnd = performance.now();
  const indexOf = new Map(o.channelIds.map((id, k) => [id, k]));
  const ackedByChannel = new Map<number, number>();
  for (const r of results) {
    for (const [id, n] of Object.entries(r.ackedByChannel)) ackedByChannel.set(indexOf.get(id)!, (ackedByChannel.get(indexOf.get(id)!) ?? 0) + n);
  }
  const expected = expectedDeliveries(o.plan, ackedByChannel, o.failedUsers);
  // Wait for the stragglers: until all expected deliveries are in, or none came for 3 s (60 s at most).
  let seen = delivered(await peek());
  let movedAt = performance.now();
  while (seen < expected && performance.now() - movedAt < 3_000 && performance.now() - sentEnd < 60_000) {
    await sleep(250);
    const now = delivered(await peek());
    if (now > seen) movedAt = performance.now();
    seen = now;
  }
  const drainMs = Math.round(performance.now() - sentEnd);
  const measured = await Promise.all(o.workers.map((w) => w.call<MeasuredReply>({ cmd: "measure", action: "stop" }, "measured", 30_000)));
  const latency = newHistogram();
  const acks = newHistogram();
  const closeCodes: Record<string, number> = {};
  for (const m of measured) {
    mergeInto(latency, m.latency);
    for (const [code, n] of Object.entries(m.closeCodes)) closeCodes[code] = (closeCodes[code] ?? 0) + n;
  }
  for (const r of results) mergeInto(acks, r.ackLatency);
  const sum = (k: "sent" | "acked" | "errors" | "unacked") => results.reduce((a, r) => a + r[k], 0);
  const elapsedSec = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
  const got = delivered(measured);
  return {
    chatters,
    channels: o.plan.channels.length,
    sent: sum("sent"),
    acked: sum("acked"),
    errors: sum("errors"),
    firstError: results.find((r) => r.firstError)?.firstError ?? "",
    unacked: sum("unacked"),
    sendsPerSec: round(sum("acked") / elapsedSec, 1),
    expected,
    delivered: got,
    deliveriesPerSec: round(got / elapsedSec),
    latency: summaryMs(latency),
    ackLatency: summaryMs(acks),
    closed: measured.reduce((a, m) => a + m.closed, 0),
    closeCodes,
    drainMs,
  };
}
