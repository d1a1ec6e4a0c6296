/**
 * End-to-end latency: `client.sendMessage()` on one SDK client -> the
 * decrypted `message` event at another member's SDK client, against a real
 * Parley server (SQLite) in its own child process, in three configurations of
 * the same run: MLS 2 members, MLS 10 members (1 sender, 9 receivers), and the
 * UNENCRYPTED PlainCodec baseline (named explicitly) of the core issue.
 * The sender clients live in one process, every receiver client in another,
 * so 9 receivers decrypting do not delay the sender's encryption and sends.
 *
 *   node bench/src/e2e/run.ts [--messages 500] [--rate 25] [--burst 100] [--no-record]
 *   node bench/src/run-all.ts --only e2e
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServerProcess, type ServerProcess, cpuDeltaUs } from "../processes.ts";
import { BENCH_SETUP_TOKEN } from "../parley-setup.ts";
import { mergeInto, newHistogram, summaryMs, type SerializedHistogram } from "../histogram.ts";
import { log } from "../report.ts";
import { freePort } from "@parley/server/testing/ports";
import { startClientProc, stopClientProcs, type ClientProc } from "./procs.ts";
import { recordE2e, type E2eResults, type ConfigResult, type PhaseResult } from "./record.ts";

const PASSWORD = "bench-password-0123456789";
const RECEIVERS = 9;

export interface E2eOptions {
  messages: number;
  ratePerSec: number;
  burst: number;
  warmup: number;
}
export const DEFAULT_E2E: E2eOptions = { messages: 500, ratePerSec: 25, burst: 100, warmup: 10 };

interface Config {
  name: "e2ee-2" | "e2ee-10" | "plain";
  codec: string;
  channelId: string;
  sender: string;
  receivers: string[];
}
interface Sent {
  issuedMs: number;
  allAckedMs: number;
  timedOut: boolean;
  failed: number;
  firstError: string;
  maxLateMs: number;
  ack: SerializedHistogram;
}
interface Collected {
  complete: boolean;
  perUser: Record<string, number>;
  hist: SerializedHistogram;
  undecryptable: number;
  errors: string[];
}

function serverConfig(port: number, dataDir: string): Record<string, unknown> {
  // As run-all.ts's parleyConfig: limits that would throttle a bench client raised, the rest default.
  return {
    host: "127.0.0.1",
    port,
    dataDir,
    logLevel: "warn",
    setupToken: BENCH_SETUP_TOKEN,
    rateLimitIp: 1_000_000,
    rateLimitUser: 1_000_000,
    wsFramesPerSecond: 100_000,
    wsMaxBufferedBytes: 64 * 1048576,
    accessTokenTtl: 3600,
    sqliteSynchronous: "FULL",
  };
}

const summary = (h: SerializedHistogram) => {
  const x = newHistogram();
  mergeInto(x, h);
  return summaryMs(x);
};

/** Send `count` messages (paced, or all at once) and wait for every receiver to decrypt them. */
async function phase(
  server: ServerProcess,
  sender: ClientProc,
  receivers: ClientProc,
  cfg: Config,
  label: string,
  count: number,
  ratePerSec: number,
  burst: boolean,
): Promise<PhaseResult> {
  const before = await server.usage();
  const timeoutMs = 60_000 + count * 200;
  const sent = await sender.call<Sent>(
    { cmd: "send", as: cfg.sender, channelId: cfg.channelId, label, count, ratePerSec, burst, timeoutMs },
    "sent",
    timeoutMs + 10_000,
  );
  const got = await receivers.call<Collected>({ cmd: "collect", label, usernames: cfg.receivers, expect: count, timeoutMs: 60_000 }, "collected", 70_000);
  const after = await server.usage();
  const delivered = Object.values(got.perUser).reduce((a, b) => a + b, 0);
  return {
    label,
    messages: count,
    burst,
    ratePerSec: burst ? undefined : ratePerSec,
    complete: got.complete && !sent.timedOut && sent.failed === 0,
    latency: summary(got.hist),
    sendAck: summary(sent.ack),
    issuedMs: Math.round(sent.issuedMs),
    allAckedMs: Math.round(sent.allAckedMs),
    maxPaceLagMs: Math.round(sent.maxLateMs),
    sendFailures: sent.failed,
    firstSendError: sent.firstError || undefined,
    deliveries: delivered,
    expectedDeliveries: count * cfg.receivers.length,
    undecryptableSoFar: got.undecryptable,
    serverCpuUsPerMessage: Math.round(cpuDeltaUs(before, after) / count),
    clientErrors: got.errors.length ? got.errors : undefined,
  };
}

export async function runE2e(opts: E2eOptions = DEFAULT_E2E, record = true): Promise<E2eResults> {
  const started = Date.now();
  const loadAverageAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  log(`e2e: load average at start ${loadAverageAtStart.join(" ")} (${os.cpus().length} cores)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-e2e-"));
  let server: ServerProcess | undefined;
  const procs: ClientProc[] = [];
  try {
    server = await startServerProcess("parley", serverConfig(await freePort(), dataDir));
    log(`e2e: parley server pid ${server.pid} at ${server.url} (SQLite)`);
    const sender = await startClientProc();
    procs.push(sender);
    const receivers = await startClientProc();
    procs.push(receivers);
    log(`e2e: sender process pid ${sender.pid}, receiver process pid ${receivers.pid}`);

    const owner = await sender.call<{ userId: string; invite: string; codec: string }>(
      { cmd: "setupOwner", url: server.url, setupToken: BENCH_SETUP_TOKEN, password: PASSWORD },
      "owner",
      60_000,
    );
    const sUsers = await sender.call<{ users: Record<string, { userId: string; codec: string }> }>(
      { cmd: "accept", url: server.url, invite: owner.invite, password: PASSWORD, users: [{ username: "psender", plain: true }] },
      "accepted",
      60_000,
    );
    const rNames = Array.from({ length: RECEIVERS }, (_, i) => `r${i}`);
    const rUsers = await receivers.call<{ users: Record<string, { userId: string; codec: string }> }>(
      {
        cmd: "accept",
        url: server.url,
        invite: owner.invite,
        password: PASSWORD,
        users: [...rNames.map((username) => ({ username, plain: false })), { username: "preceiver", plain: true }],
      },
      "accepted",
      120_000,
    );
    log(
      `e2e: ${2 + RECEIVERS + 1} accounts (owner ${owner.codec}, psender ${sUsers.users.psender!.codec}, r0 ${rUsers.users.r0!.codec}, preceiver ${rUsers.users.preceiver!.codec})`,
    );
    await Promise.all([sender.call({ cmd: "live" }, "live", 90_000), receivers.call({ cmd: "live" }, "live", 90_000)]);
    const id = (u: string) => rUsers.users[u]!.userId;
    const channel = async (as: string, name: string, members: string[]) =>
      (await sender.call<{ id: string }>({ cmd: "createChannel", as, name, members }, "channel", 120_000)).id;
    const configs: Config[] = [
      {
        name: "plain",
        codec: "plain-unencrypted",
        channelId: await channel("psender", "plain", [id("preceiver")]),
        sender: "psender",
        receivers: ["preceiver"],
      },
      { name: "e2ee-2", codec: "mls", channelId: await channel("owner", "e2ee-2", [id("r0")]), sender: "owner", receivers: ["r0"] },
      { name: "e2ee-10", codec: "mls", channelId: await channel("owner", "e2ee-10", rNames.map(id)), sender: "owner", receivers: rNames },
    ];
    log("e2e: channels created (MLS groups: init + one add commit each)");

    const results: ConfigResult[] = [];
    for (const cfg of configs) {
      // Warm-up: receivers have joined from their Welcome and decrypted a few messages before measuring.
      const warm = await phase(server, sender, receivers, cfg, `${cfg.name}-warmup`, opts.warmup, 10, false);
      if (!warm.complete) throw new Error(`${cfg.name}: warm-up not delivered (${warm.deliveries}/${warm.expectedDeliveries})`);
      log(`e2e ${cfg.name}: steady ${opts.messages} msgs at ${opts.ratePerSec}/s to ${cfg.receivers.length} receiver(s)`);
      const steady = await phase(server, sender, receivers, cfg, `${cfg.name}-steady`, opts.messages, opts.ratePerSec, false);
      log(
        `e2e ${cfg.name}: steady p50 ${steady.latency.p50Ms} ms, p99 ${steady.latency.p99Ms} ms, max ${steady.latency.maxMs} ms (${steady.deliveries}/${steady.expectedDeliveries} delivered)`,
      );
      const burst = await phase(server, sender, receivers, cfg, `${cfg.name}-burst`, opts.burst, 0, true);
      log(
        `e2e ${cfg.name}: burst of ${opts.burst}: p50 ${burst.latency.p50Ms} ms, p99 ${burst.latency.p99Ms} ms, all acked in ${burst.allAckedMs} ms (${burst.deliveries}/${burst.expectedDeliveries} delivered)`,
      );
      results.push({ name: cfg.name, codec: cfg.codec, members: cfg.receivers.length + 1, receiversMeasured: cfg.receivers.length, steady, burst });
    }
    const out: E2eResults = {
      kind: "parley-bench-e2e",
      startedAt: new Date(started).toISOString(),
      durationSec: 0,
      loadAverageAtStart,
      loadAverageAtEnd: [],
      layout: "server, sender process (owner MLS + psender plain clients), receiver process (r0..r8 MLS + preceiver plain clients): 3 processes on 127.0.0.1",
      options: { ...opts },
      configs: results,
      ratios: {},
    };
    return recordE2e(out, started, record);
  } finally {
    for (const p of procs) await p.stop();
    await stopClientProcs();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts: E2eOptions = {
    messages: arg("messages") ?? DEFAULT_E2E.messages,
    ratePerSec: arg("rate") ?? DEFAULT_E2E.ratePerSec,
    burst: arg("burst") ?? DEFAULT_E2E.burst,
    warmup: DEFAULT_E2E.warmup,
  };
  runE2e(opts, !process.argv.includes("--no-record")).catch(async (err: unknown) => {
    log(`e2e bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    await stopClientProcs();
    process.exitCode = 1;
  });
}
