/**
 * Outgoing webhooks: the bot hears its channels' messages (decrypted, in the runtime), and
 * each message that matches an integration's triggers becomes a delivery in the durable
 * outbox (state.ts) before the handler returns. A delivery loop POSTs it, signed, through
 * the SSRF guard; failures are retried with exponential backoff and jitter, and after
 * `maxAttempts` (or a final answer: a redirect, a 4xx, a refused address) it is dead-lettered
 * and reported to the server — metadata only, never the text.
 *
 * The delivery id is derived from (integration, channel, seq), so a message heard twice (after
 * a restart) is one delivery, and receivers can use it as an idempotency key.
 */
import crypto from "node:crypto";
import type { ChannelIO, ChannelMessage } from "./channel-io.ts";
import { attemptDelivery } from "./deliver.ts";
import { signBody } from "./signature.ts";
import { hostPort } from "./ssrf.ts";
import type { WebhookState } from "./state.ts";

/** What fires an outgoing webhook: any of `words` (whole words, any case), or text starting with `prefix`. */
export interface Triggers {
  words?: string[];
  prefix?: string;
}

/** A dead letter as reported to the server: where and why a delivery failed, never what it carried. */
export interface DeadLetter {
  integrationId: string;
  deliveryId: string;
  channelId: string;
  seq: number;
  targetHost: string;
  lastStatus: number | null;
  lastError: string;
  attempts: number;
  failedAt: number;
}

/** The JSON body a target receives. */
export interface OutgoingPayload {
  deliveryId: string;
  integration: { id: string; name: string };
  channelId: string;
  seq: number;
  senderId: string;
  text: string;
  threadRoot: number | null;
  trigger: string;
}

interface OutgoingRow {
  id: string;
  name: string;
  channel_id: string;
  url: string;
  secret: string;
  triggers: string;
}

interface OutboxRow {
  delivery_id: string;
  integration_id: string;
  channel_id: string;
  seq: number;
  body: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  updated_at: number;
}

/** Register an outgoing webhook in the runtime's state; returns its signing secret (the target verifies with it). */
export function addOutgoingWebhook(
  state: WebhookState,
  o: { id: string; name: string; channelId: string; url: string; triggers: Triggers },
): { secret: string } {
  if (!o.triggers.words?.length && !o.triggers.prefix) throw new Error("an outgoing webhook needs trigger words or a prefix");
  new URL(o.url);
  const secret = `whs_${crypto.randomBytes(32).toString("base64url")}`;
  state
    .prepare("INSERT INTO outgoing (id, name, channel_id, url, secret, triggers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(o.id, o.name, o.channelId, o.url, secret, JSON.stringify(o.triggers), Date.now());
  return { secret };
}

/** The trigger `text` matches (the word or the prefix), or undefined. */
export function matchTrigger(triggers: Triggers, text: string): string | undefined {
  if (triggers.prefix && text.startsWith(triggers.prefix)) return triggers.prefix;
  if (!triggers.words?.length) return undefined;
  const words = new Set(text.toLowerCase().split(/[^\p{L}\p{N}_-]+/u));
  return triggers.words.find((w) => words.has(w.toLowerCase()));
}

/** The delivery id of a message for an integration: the same however often the message is heard. */
function deliveryIdOf(integrationId: string, channelId: string, seq: number): string {
  return `dlv_${crypto.createHash("sha256").update(`${integrationId}\n${channelId}\n${seq}`).digest("base64url").slice(0, 27)}`;
}

export interface OutgoingOptions {
  state: WebhookState;
  io: ChannelIO;
  /** Where dead letters are reported (the server's integration registry); retried until it succeeds. */
  report?: (d: DeadLetter) => Promise<void>;
  /** `host:port` targets let through the SSRF guard (on-premises receivers). */
  allow?: string[];
  /** Extra CA certificates for https targets. */
  ca?: string | string[];
  /** Per attempt (default 10 s). */
  timeoutMs?: number;
  /** Attempts before a delivery is dead-lettered (default 8). */
  maxAttempts?: number;
  /** Backoff: base and cap of the delay between attempts (default 1 s, 5 min), with jitter. */
  backoff?: { baseMs: number; maxMs: number };
  /** Deliveries in flight at once (default 4). */
  concurrency?: number;
  /** How often the outbox is polled (default 250 ms; new deliveries wake it at once). */
  pollMs?: number;
  now?: () => number;
}

export interface OutgoingRuntime {
  /** Stop hearing messages and polling; waits for attempts in flight (their outcome is recorded). */
  close(): Promise<void>;
  /** Outbox counts by state. */
  counts(): { pending: number; delivered: number; dead: number };
}

/** Delay before attempt `n + 1` after `n` failed ones: exponential, capped, with "equal jitter" (half fixed, half random). */
export function backoffDelay(attempts: number, b: { baseMs: number; maxMs: number }): number {
  const d = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

export function startOutgoingWebhooks(o: OutgoingOptions): OutgoingRuntime {
  const now = o.now ?? Date.now;
  const maxAttempts = o.maxAttempts ?? 8;
  const backoff = o.backoff ?? { baseMs: 1000, maxMs: 300_000 };
  const concurrency = o.concurrency ?? 4;
  const db = o.state;
  const integrationsOf = db.prepare<[string], OutgoingRow>("SELECT * FROM outgoing WHERE channel_id = ?");
  const integration = db.prepare<[string], OutgoingRow>("SELECT * FROM outgoing WHERE id = ?");
  const enqueue = db.prepare(
    "INSERT OR IGNORE INTO outbox (delivery_id, integration_id, channel_id, seq, body, state, next_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
  );
  const due = db.prepare<[number, number], OutboxRow>("SELECT * FROM outbox WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?");
  const record = db.prepare("UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE delivery_id = ?");
  const unreported = db.prepare<[], OutboxRow>("SELECT * FROM outbox WHERE state = 'dead' AND reported = 0 LIMIT 20");
  const markReported = db.prepare("UPDATE outbox SET reported = 1 WHERE delivery_id = ?");
  const count = db.prepare<[], { state: string; n: number }>("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state");

  const inFlight = new Map<string, Promise<void>>();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reporting = false;

  function onMessage(m: ChannelMessage): void {
    for (const row of integrationsOf.all(m.channelId)) {
      const trigger = matchTrigger(JSON.parse(row.triggers) as Triggers, m.text);
      if (trigger === undefined) continue;
      const deliveryId = deliveryIdOf(row.id, m.channelId, m.seq);
      const payload: OutgoingPayload = {
        deliveryId,
        integration: { id: row.id, name: row.name },
        channelId: m.channelId,
        seq: m.seq,
        senderId: m.senderId,
        text: m.text,
        threadRoot: m.threadRoot ?? null,
        trigger,
      };
      const t = now();
      enqueue.run(deliveryId, row.id, m.channelId, m.seq, JSON.stringify(payload), t, t, t);
    }
    wake();
  }

  async function deliver(d: OutboxRow): Promise<void> {
    const row = integration.get(d.integration_id);
    const attempts = d.attempts + 1;
    if (!row) {
      record.run("dead", attempts, 0, null, "integration_removed", now(), d.delivery_id);
      return;
    }
    const t = Math.floor(now() / 1000);
    const r = await attemptDelivery({
      url: row.url,
      body: d.body,
      headers: {
        "user-agent": "Parley-Webhooks/1",
        "x-parley-delivery": d.delivery_id,
        "idempotency-key": d.delivery_id,
        "x-parley-attempt": String(attempts),
        "x-parley-signature": signBody(row.secret, d.body, t),
      },
      allow: o.allow ?? [],
      timeoutMs: o.timeoutMs ?? 10_000,
      ...(o.ca ? { ca: o.ca } : {}),
    });
    if (r.ok) record.run("delivered", attempts, 0, r.status, null, now(), d.delivery_id);
    else if (!r.retry || attempts >= maxAttempts) record.run("dead", attempts, 0, r.status, r.error, now(), d.delivery_id);
    else record.run("pending", attempts, now() + backoffDelay(attempts, backoff), r.status, r.error, now(), d.delivery_id);
  }

  async function reportDead(): Promise<void> {
    if (!o.report || reporting) return;
    reporting = true;
    try {
      for (const d of unreported.all()) {
        const row = integration.get(d.integration_id);
        let host = "(removed)";
        if (row) host = hostPort(new URL(row.url));
        await o.report({
          integrationId: d.integration_id,
          deliveryId: d.delivery_id,
          channelId: d.channel_id,
          seq: Number(d.seq),
          targetHost: host,
          lastStatus: d.last_status,
          lastError: d.last_error ?? "unknown",
          attempts: d.attempts,
          failedAt: d.updated_at,
        });
        markReported.run(d.delivery_id);
      }
    } catch {
      // The server is unreachable: the next round reports again (the report is idempotent by delivery id).
    } finally {
      reporting = false;
    }
  }

  function pump(): void {
    if (stopped) return;
    const free = concurrency - inFlight.size;
    if (free > 0) {
      for (const d of due.all(now(), free + inFlight.size)) {
        if (inFlight.size >= concurrency) break;
        if (inFlight.has(d.delivery_id)) continue;
        const p = deliver(d)
          .catch(() => undefined)
          .finally(() => {
            inFlight.delete(d.delivery_id);
            void reportDead();
            wake();
          });
        inFlight.set(d.delivery_id, p);
      }
    }
    void reportDead();
  }

  function wake(): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(loop, 0);
  }
  function loop(): void {
    pump();
    if (!stopped) timer = setTimeout(loop, o.pollMs ?? 250);
  }

  const unsubscribe = o.io.onMessage(onMessage);
  wake();
  return {
    async close() {
      stopped = true;
      unsubscribe();
      if (timer) clearTimeout(timer);
      await Promise.all(inFlight.values());
    },
    counts() {
      const c = { pending: 0, delivered: 0, dead: 0 };
      for (const r of count.all()) c[r.state as keyof typeof c] = Number(r.n);
      return c;
    },
  };
}
