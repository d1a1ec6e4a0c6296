/**
 * Drive a stream of sends at a server (HTTP and WebSocket) and read a
 * channel back, for the crash and shutdown tests.
 */
import assert from "node:assert/strict";
import type { Event, ServerFrame } from "@parley/protocol";
import { api, content } from "./http.ts";
import { connectWs, type WsClient } from "./ws.ts";

/** What the senders saw: every acknowledged event, and every send whose fate is unknown. */
export interface SendLog {
  /** clientId -> seq, for every send the server acknowledged. */
  acked: Map<string, number>;
  /** clientIds sent but never acknowledged (no answer, network error or retryable error). */
  unanswered: Set<string>;
  /** Non-retryable rejections (a test failure: the sends are all valid). */
  rejected: string[];
}

export function newSendLog(): SendLog {
  return { acked: new Map(), unanswered: new Set(), rejected: [] };
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503]);

/** One HTTP sender: POSTs events one after another until `stop()` says so or the server goes away. */
export async function httpSender(base: string, token: string, channelId: string, name: string, log: SendLog, stop: () => boolean): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const clientId = `${name}-${String(i).padStart(6, "0")}`;
    log.unanswered.add(clientId);
    let r;
    try {
      r = await api<{ event: Event; duplicate: boolean }>(base, "POST", `/channels/${channelId}/events`, {
        token,
        body: { clientId, kind: "message", content: content(`${name} #${i}`) },
      });
    } catch {
      return; // connection refused/reset: the server is gone; the send's fate is unknown
    }
    if (r.status === 200) {
      log.unanswered.delete(clientId);
      log.acked.set(clientId, r.body.event.seq);
    } else if (!RETRYABLE_STATUS.has(r.status)) {
      log.unanswered.delete(clientId);
      log.rejected.push(`${clientId}: ${r.status} ${r.text}`);
      return;
    } else {
      return;
    }
  }
}

/** One WebSocket sender: `send` frames with up to `window` unacknowledged at a time. */
export async function wsSender(ws: WsClient, channelId: string, name: string, log: SendLog, stop: () => boolean, window = 16): Promise<void> {
  let next = 0;
  let inflight = 0;
  const pending = new Map<string, string>(); // ref -> clientId
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!stop() && inflight < window && ws.ws.readyState === ws.ws.OPEN) {
        const i = next++;
        const clientId = `${name}-${String(i).padStart(6, "0")}`;
        const ref = `r${i}`;
        pending.set(ref, clientId);
        log.unanswered.add(clientId);
        inflight++;
        ws.send({ t: "send", ref, channelId, clientId, kind: "message", content: content(`${name} #${i}`) });
      }
      if ((stop() && inflight === 0) || ws.ws.readyState !== ws.ws.OPEN) resolve();
    };
    ws.ws.on("message", (data) => {
      const f = JSON.parse(String(data)) as ServerFrame;
      if ((f.t === "ack" || f.t === "error") && f.ref && pending.has(f.ref)) {
        const clientId = pending.get(f.ref)!;
        pending.delete(f.ref);
        inflight--;
        if (f.t === "ack") {
          log.unanswered.delete(clientId);
          log.acked.set(clientId, f.event.seq);
        } else if (!["rate_limited", "unavailable", "internal"].includes(f.code)) {
          log.unanswered.delete(clientId);
          log.rejected.push(`${clientId}: ${f.code} ${f.message}`);
        }
        pump();
      }
    });
    ws.ws.once("close", () => resolve());
    pump();
  });
}

/** Every event of a channel, read with GET ?after= pages (oldest first). */
export async function readChannelHttp(base: string, token: string, channelId: string, after = 0): Promise<Event[]> {
  const out: Event[] = [];
  for (let cursor = after; ;) {
    const r = await api<{ events: Event[]; hasMore: boolean }>(base, "GET", `/channels/${channelId}/events?after=${cursor}&limit=200`, { token });
    assert.equal(r.status, 200, r.text);
    out.push(...r.body.events);
    if (!r.body.hasMore || r.body.events.length === 0) return out;
    cursor = r.body.events.at(-1)!.seq;
  }
}

/** Connect, say hello with cursors, and collect the replayed events of `channelId` until `synced`. */
export async function readChannelWs(base: string, token: string, channelId: string, after = 0): Promise<Event[]> {
  const ws = await connectWs(base);
  try {
    ws.send({ t: "hello", token, cursors: { user: 0, channels: { [channelId]: after } } });
    await ws.waitFor((f) => f.t === "synced", 30_000);
    const out: Event[] = [];
    for (const f of ws.frames) if (f.t === "sync" && f.channelId === channelId) out.push(...f.events);
    return out;
  } finally {
    ws.close();
  }
}

/**
 * The sync guarantee: after dedup by seq, the events arrived in seq order,
 * their seqs are 1..n with no gap, no clientId appears twice, and every
 * acknowledged send is there with the seq it was acknowledged with.
 */
export function assertDelivered(events: Event[], log: SendLog, label: string): void {
  const bySeq = new Map<number, Event>();
  let last = 0;
  for (const e of events) {
    if (bySeq.has(e.seq)) {
      assert.deepEqual(e, bySeq.get(e.seq), `${label}: seq ${e.seq} delivered twice with different content`);
      continue;
    }
    assert.ok(e.seq > last, `${label}: seq ${e.seq} arrived after ${last} (out of order)`);
    last = e.seq;
    bySeq.set(e.seq, e);
  }
  const seqs = [...bySeq.keys()];
  seqs.forEach((s, i) => assert.equal(s, i + 1, `${label}: gap in seqs at position ${i} (seq ${s})`));
  const byClientId = new Map<string, number>();
  for (const e of bySeq.values()) {
    assert.ok(!byClientId.has(e.clientId), `${label}: clientId ${e.clientId} stored twice (seq ${byClientId.get(e.clientId)} and ${e.seq})`);
    byClientId.set(e.clientId, e.seq);
  }
  for (const [clientId, seq] of log.acked) {
    assert.equal(byClientId.get(clientId), seq, `${label}: acknowledged event ${clientId} (seq ${seq}) is missing or moved`);
  }
}
