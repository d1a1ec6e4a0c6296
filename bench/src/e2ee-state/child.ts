/**
 * One configuration of the state-persistence bench in its own process (run.ts starts
 * one per configuration and channel size): its own server on 127.0.0.1, org, devices
 * and channel, set up once; then one round per request from the parent, so the parent
 * can interleave the configurations round by round. The SDK is loaded from `--sdk-root`
 * (this checkout, or the baseline's extracted tree).
 *
 *   node bench/src/e2ee-state/child.ts --members 1000 --mode batched [--sdk-root DIR]   (IPC only)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startTestServer } from "@parley/server/testing/harness";
import type * as SdkNode from "@parley/sdk/node";
import { REPO } from "./baseline.ts";
import { prepareOrg } from "./bulk.ts";
import { countFlushes, countingKeyStore, emptyStats, type WriteStats } from "./instrument.ts";
import { MODES, round, setupChannel, type OpenProfile, type RoundResult } from "./scenario.ts";

/** Parent -> child. */
export type ChildRequest = { t: "round"; messages: number } | { t: "stop" };
/** Child -> parent. */
export type ChildReply =
  { t: "ready"; setupMs: number } | { t: "result"; result: RoundResult; writes: Record<"send" | "receive", WriteStats> } | { t: "error"; message: string };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const send = (m: ChildReply) => process.send!(m);
const members = Number(arg("members") ?? 2);
const mode = MODES.find((m) => m.name === arg("mode"))!;
const sdk = (await import(pathToFileURL(path.join(arg("sdk-root") ?? REPO, "packages/sdk/src/node.ts")).href)) as typeof SdkNode;
const server = await startTestServer({ config: { logLevel: "warn" } });
const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-state-bench-"));
// Where each device's writes are counted: a throwaway sink outside the measured phases.
let target: Record<"alice" | "bob", WriteStats> = { alice: emptyStats(), bob: emptyStats() };
const open: OpenProfile = async (device) => {
  const dir = path.join(root, device);
  return {
    store: countFlushes(await sdk.FileStore.open(dir), () => target[device]),
    keyStore: countingKeyStore(await sdk.openDeviceKeyStore(dir), () => target[device]),
  };
};

async function stop(code: number): Promise<never> {
  await server.stop().catch(() => undefined);
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(code);
}

let seq = 0;
let channelId = "";
try {
  const t0 = performance.now();
  const org = await prepareOrg(server, members - 2);
  const ch = await setupChannel(sdk, { baseUrl: server.url, ...org, bulkUserId: members > 2 ? org.bulkUserId : undefined, open });
  channelId = ch.channelId;
  seq = (await round(sdk, open, mode, channelId, ch.lastSeq + 1, 50)).nextSeq; // warm-up
  send({ t: "ready", setupMs: Math.round(performance.now() - t0) });
} catch (err) {
  send({ t: "error", message: String((err as Error).stack ?? err) });
  await stop(1);
}

process.on("message", (m: ChildRequest) => {
  if (m.t === "stop") return void stop(0);
  void (async () => {
    const writes = { send: emptyStats(), receive: emptyStats() };
    target = { alice: emptyStats(), bob: emptyStats() };
    try {
      const { result, nextSeq } = await round(sdk, open, mode, channelId, seq, m.messages, {
        onPhase: (p) => {
          if (p === "send") target.alice = writes.send;
          else target.bob = writes.receive;
        },
      });
      seq = nextSeq;
      send({ t: "result", result, writes });
    } catch (err) {
      send({ t: "error", message: String((err as Error).stack ?? err) });
    }
  })();
});
