/**
 * One SDK client process of the end-to-end latency bench (forked by
 * bench/src/e2e/run.ts, driven over IPC, one request at a time). It holds real
 * `ParleyClient`s: MLS codec by default, `PlainCodec` only for users the
 * orchestrator marks `plain` (the unencrypted baseline of the core issue).
 *
 * The sender writes its send time into the message text; a receiver records
 * (decrypted `message` event time - send time). Both processes read the same
 * clock (performance.timeOrigin + performance.now(), as bench/src/client-worker.ts).
 */
import { ParleyClient, PlainCodec, type ClientOptions } from "@parley/sdk";
import { newHistogram, record, serialize, type Histogram } from "../histogram.ts";

export type E2eRequest =
  | { cmd: "setupOwner"; url: string; setupToken: string; password: string }
  | { cmd: "accept"; url: string; invite: string; password: string; users: { username: string; plain: boolean }[] }
  | { cmd: "live" }
  | { cmd: "createChannel"; as: string; name: string; members: string[] }
  | { cmd: "send"; as: string; channelId: string; label: string; count: number; ratePerSec: number; burst: boolean; timeoutMs: number }
  | { cmd: "collect"; label: string; usernames: string[]; expect: number; timeoutMs: number }
  | { cmd: "exit" };

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Message text: "bench|<label>|<i>|<sent ms>|" + padding, ~120 B like a short chat line.
const PAD = "x".repeat(80);

const clients = new Map<string, ParleyClient>();
/** Per label: latency histogram (all receivers of this process) and count per receiving username. */
const seen = new Map<string, { hist: Histogram; perUser: Map<string, number> }>();
let undecryptable = 0;
const errors: string[] = [];

function options(plain: boolean): ClientOptions {
  // Defaults otherwise (MLS codec, in-memory key store): the bench measures what an app gets.
  return plain ? { codec: new PlainCodec() } : {};
}

function track(username: string, c: ParleyClient): void {
  clients.set(username, c);
  c.on("message", (m) => {
    const t = now();
    if (m.own || typeof m.text !== "string" || !m.text.startsWith("bench|")) return;
    const [, label, , sent] = m.text.split("|");
    if (!label || !sent) return;
    let s = seen.get(label);
    if (!s) seen.set(label, (s = { hist: newHistogram(), perUser: new Map() }));
    record(s.hist, (t - Number(sent)) * 1000);
    s.perUser.set(username, (s.perUser.get(username) ?? 0) + 1);
  });
  c.on("undecryptable", () => {
    undecryptable++;
  });
  c.on("error", (err) => {
    if (errors.length < 20) errors.push(String((err as Error)?.message ?? err));
  });
}

function client(username: string): ParleyClient {
  const c = clients.get(username);
  if (!c) throw new Error(`no client ${username} in this process`);
  return c;
}

async function send(req: Extract<E2eRequest, { cmd: "send" }>): Promise<Record<string, unknown>> {
  const c = client(req.as);
  const ack = newHistogram();
  let failed = 0;
  let firstError = "";
  const pending: Promise<void>[] = [];
  const interval = req.burst ? 0 : 1000 / req.ratePerSec;
  const t0 = now();
  let lateMs = 0;
  for (let i = 0; i < req.count; i++) {
    if (!req.burst) {
      const wait = t0 + i * interval - now();
      if (wait > 0) await sleep(wait);
      else lateMs = Math.max(lateMs, -wait);
    }
    const sent = now();
    // Not awaited: a slow send must not shift the pace of the next ones (the outbox keeps order per channel).
    pending.push(
      c.sendMessage(req.channelId, `bench|${req.label}|${i}|${sent}|${PAD}`).then(
        () => {
          record(ack, (now() - sent) * 1000);
        },
        (err: unknown) => {
          failed++;
          firstError ||= String((err as Error)?.message ?? err);
        },
      ),
    );
  }
  const issuedMs = now() - t0;
  const done = await Promise.race([Promise.all(pending).then(() => true), sleep(req.timeoutMs).then(() => false)]);
  return { type: "sent", issuedMs, allAckedMs: now() - t0, timedOut: !done, failed, firstError, maxLateMs: lateMs, ack: serialize(ack) };
}

async function collect(req: Extract<E2eRequest, { cmd: "collect" }>): Promise<Record<string, unknown>> {
  const end = Date.now() + req.timeoutMs;
  const complete = () => req.usernames.every((u) => (seen.get(req.label)?.perUser.get(u) ?? 0) >= req.expect);
  while (!complete() && Date.now() < end) await sleep(20);
  const s = seen.get(req.label);
  return {
    type: "collected",
    complete: complete(),
    perUser: Object.fromEntries(s?.perUser ?? []),
    hist: serialize(s?.hist ?? newHistogram()),
    undecryptable,
    errors: errors.slice(),
  };
}

async function handle(req: E2eRequest): Promise<Record<string, unknown>> {
  switch (req.cmd) {
    case "setupOwner": {
      const owner = await ParleyClient.setup({
        baseUrl: req.url,
        setupToken: req.setupToken,
        orgSlug: "bench",
        orgName: "Bench",
        username: "owner",
        displayName: "Owner",
        password: req.password,
        deviceName: "bench-sender",
      });
      track("owner", owner);
      const invite = await owner.api.call("createInvite", { body: { role: "member", maxUses: 50, expiresInSeconds: 3600 } });
      return { type: "owner", userId: owner.userId, invite: invite.token, codec: owner.codec.name };
    }
    case "accept": {
      const users: Record<string, { userId: string; codec: string }> = {};
      // Sequential: argon2 on the server would only queue them anyway.
      for (const u of req.users) {
        const c = await ParleyClient.acceptInvite({
          ...options(u.plain),
          baseUrl: req.url,
          token: req.invite,
          username: u.username,
          displayName: u.username,
          password: req.password,
          deviceName: "bench",
        });
        track(u.username, c);
        users[u.username] = { userId: c.userId, codec: c.codec.name };
      }
      return { type: "accepted", users };
    }
    case "live": {
      for (const c of clients.values()) c.connect();
      await Promise.all([...clients.values()].map((c) => c.waitUntilLive(60_000)));
      return { type: "live" };
    }
    case "createChannel": {
      const ch = await client(req.as).createChannel({ kind: "private", name: req.name, topic: "", members: req.members });
      return { type: "channel", id: ch.id };
    }
    case "send":
      return send(req);
    case "collect":
      return collect(req);
    case "exit": {
      await Promise.race([Promise.all([...clients.values()].map((c) => c.close())), sleep(5_000)]);
      process.exit(0);
    }
  }
}

process.on("message", (req: E2eRequest) => {
  handle(req).then(
    (reply) => process.send?.(reply),
    (err: unknown) => process.send?.({ type: "error", message: err instanceof Error ? `${err.message}` : String(err) }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send?.({ type: "started" });
