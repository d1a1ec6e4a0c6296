/**
 * Chatting users on sockets a load-client process already holds (bench/src/hundred-k.ts): each
 * sender sends one `send` frame every `intervalMs` to its channel, the senders' phases spread
 * evenly so the process's total rate is steady, for `durationMs`; acks are counted per channel
 * (expected deliveries = acked sends x the channel's connected members).
 */
import crypto from "node:crypto";
import { WebSocket } from "ws";
import { ackOf, now, sendFrame } from "./client-frames.ts";
import { newHistogram, record, serialize, type SerializedHistogram } from "./histogram.ts";

export interface ChatRequest {
  cmd: "chat";
  /** `conn`: the index the socket had in the connect request. */
  senders: Array<{ conn: number; channelId: string }>;
  intervalMs: number;
  durationMs: number;
}

export interface ChatResult {
  type: "chatted";
  sent: number;
  acked: number;
  errors: number;
  firstError: string;
  /** Sends without an ack 5 s after the last one. */
  unacked: number;
  /** Senders whose socket was gone. */
  missingSenders: number;
  ackedByChannel: Record<string, number>;
  ackLatency: SerializedHistogram;
  elapsedMs: number;
}

export async function runChat(sockets: ReadonlyMap<number, WebSocket>, req: ChatRequest): Promise<ChatResult> {
  const runId = crypto.randomBytes(4).toString("hex");
  const acks = newHistogram();
  const pending = new Map<string, { at: number; channelId: string }>();
  const ackedByChannel: Record<string, number> = {};
  let sent = 0,
    acked = 0,
    errors = 0,
    firstError = "",
    missingSenders = 0;
  const t0 = now();
  const senders = req.senders.flatMap((s, k) => {
    const ws = sockets.get(s.conn);
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      missingSenders++;
      return [];
    }
    const onMessage = (data: Buffer) => {
      const ack = ackOf(data);
      const p = ack && pending.get(ack.ref);
      if (!ack || !p) return;
      pending.delete(ack.ref);
      if (ack.ok) {
        acked++;
        ackedByChannel[p.channelId] = (ackedByChannel[p.channelId] ?? 0) + 1;
        record(acks, (now() - p.at) * 1000);
      } else {
        errors++;
        firstError ||= data.toString().slice(0, 300);
      }
    };
    ws.on("message", onMessage);
    // Phases spread over one interval: with n senders, one send every intervalMs / n.
    return [{ ws, channelId: s.channelId, next: t0 + (k / req.senders.length) * req.intervalMs, onMessage }];
  });
  const tick = () => {
    const t = now();
    for (const s of senders) {
      if (s.next > t) continue;
      s.next += req.intervalMs;
      if (s.ws.readyState !== WebSocket.OPEN) continue;
      const ref = `${runId}.${sent}`;
      pending.set(ref, { at: now(), channelId: s.channelId });
      s.ws.send(sendFrame(ref, s.channelId, `k${runId}x${sent}`, sent));
      sent++;
    }
  };
  // 20 ms: smooth enough for a steady rate; each send stamps its own time, so latency is unaffected.
  const timer = setInterval(tick, 20);
  tick();
  await new Promise((r) => setTimeout(r, req.durationMs));
  clearInterval(timer);
  const elapsedMs = now() - t0;
  for (let i = 0; i < 50 && pending.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
  for (const s of senders) s.ws.off("message", s.onMessage);
  return {
    type: "chatted",
    sent,
    acked,
    errors,
    firstError,
    unacked: pending.size,
    missingSenders,
    ackedByChannel,
    ackLatency: serialize(acks),
    elapsedMs: Math.round(elapsedMs),
  };
}
