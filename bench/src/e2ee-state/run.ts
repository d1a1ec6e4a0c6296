/**
 * E2EE state persistence through the SDK (issue 7): messages/s that one device's
 * `E2eeEngine` sends and receives with its group state persisted as in production —
 * the encrypted file key store (`openDeviceKeyStore`) and the FileStore history — in a
 * 2-member and a 1,000-member channel. Three configurations (scenario.ts MODES): the SDK
 * of the commit before this change ("today", baseline.ts), this SDK saving after every
 * message, and this SDK saving per batch. Each runs in its own process with its own
 * server and channel (child.ts), set up once; the parent then asks them for one round
 * at a time, rotating the order every round, so background load hits all alike. Every
 * key-store write and local-store flush is counted and timed too.
 *
 *   node bench/src/e2ee-state/run.ts [--members 2,1000] [--messages 1000,600] [--rounds 3]
 *     [--modes "today,per message,batched"] [--baseline d4878d5] [--no-record]
 *
 * Writes bench/results/e2ee-state.json and a row per channel size in bench/RESULTS.md.
 * Setup (server, org, the 998 other devices, the 1,000-member commit) is not measured.
 */
import { fork, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { log } from "../report.ts";
import { machine } from "../results.ts";
import { BASELINE_COMMIT, dropBaseline, prepareBaseline } from "./baseline.ts";
import type { ChildReply, ChildRequest } from "./child.ts";
import { perMessageWrites, recordState, type RoundWithWrites, type StateResults } from "./record.ts";
import { MODES, summarize } from "./scenario.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const sizes = arg("members", "2,1000").split(",").map(Number);
const messageCounts = arg("messages", "1000,600").split(",").map(Number);
const rounds = Number(arg("rounds", "3"));
const baselineCommit = arg("baseline", BASELINE_COMMIT);
const noRecord = process.argv.includes("--no-record");
const modes = MODES.filter((m) =>
  arg("modes", MODES.map((x) => x.name).join(","))
    .split(",")
    .includes(m.name),
);
const loadavg = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const childPath = path.join(path.dirname(fileURLToPath(import.meta.url)), "child.ts");

/** A configuration's process, answering one request at a time. */
class Child {
  readonly #proc: ChildProcess;
  #waiting: ((m: ChildReply) => void) | undefined;
  constructor(members: number, mode: string, sdkRoot?: string) {
    this.#proc = fork(childPath, ["--members", String(members), "--mode", mode, ...(sdkRoot ? ["--sdk-root", sdkRoot] : [])], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.#proc.on("message", (m: ChildReply) => this.#waiting?.(m));
    this.#proc.on("exit", (code) => this.#waiting?.({ t: "error", message: `child exited with ${code}` }));
  }
  next(req?: ChildRequest): Promise<ChildReply> {
    return new Promise((resolve) => {
      this.#waiting = (m) => {
        this.#waiting = undefined;
        resolve(m);
      };
      if (req) this.#proc.send(req);
    });
  }
  stop(): void {
    if (this.#proc.connected) this.#proc.send({ t: "stop" } satisfies ChildRequest);
  }
}

async function runSize(members: number, messages: number, baselineRoot: string | undefined): Promise<StateResults["sizes"][number]> {
  const children = new Map<string, Child>();
  try {
    // One after another: setting up a 1,000-member channel takes a core for a while.
    for (const mode of modes) {
      const child = new Child(members, mode.name, mode.baseline ? baselineRoot : undefined);
      children.set(mode.name, child);
      const ready = await child.next();
      if (ready.t !== "ready") throw new Error(`${mode.name} (${members} members): ${ready.t === "error" ? ready.message : ready.t}`);
      log(`${members} members, ${mode.name}: set up in ${ready.setupMs} ms`);
    }
    const results: RoundWithWrites[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = modes.map((_, i) => modes[(i + r) % modes.length]!);
      for (const mode of order) {
        const reply = await children.get(mode.name)!.next({ t: "round", messages });
        if (reply.t !== "result") throw new Error(`${mode.name} (${members} members): ${reply.t === "error" ? reply.message : reply.t}`);
        const { result, writes } = reply;
        results.push({ ...result, writes });
        log(
          `${members} members, round ${r + 1}, ${mode.name}: send ${Math.round((messages * 1000) / result.sendMs)}/s, receive ${Math.round((messages * 1000) / result.receiveMs)}/s; ` +
            `key-store writes send ${writes.send.keyStorePuts} (${Math.round(writes.send.keyStoreBytes / 1024)} KiB), receive ${writes.receive.keyStorePuts} (${Math.round(writes.receive.keyStoreBytes / 1024)} KiB); load ${loadavg().join(" ")}`,
        );
      }
    }
    return { members, messages, rounds, summary: summarize(results), writes: perMessageWrites(results), results };
  } finally {
    for (const c of children.values()) c.stop();
  }
}

const startedAt = new Date().toISOString();
const loadAverageAtStart = loadavg();
const baselineRoot = modes.some((m) => m.baseline) ? prepareBaseline(baselineCommit) : undefined;
const out: StateResults = { kind: "e2ee-state", startedAt, machine: machine(), baseline: baselineCommit, loadAverageAtStart, loadAverageAtEnd: [], sizes: [] };
try {
  for (const [i, members] of sizes.entries()) out.sizes.push(await runSize(members, messageCounts[i] ?? messageCounts[0]!, baselineRoot));
} finally {
  if (baselineRoot) dropBaseline(baselineRoot);
}
out.loadAverageAtEnd = loadavg();
for (const s of out.sizes) {
  for (const [mode, v] of Object.entries(s.summary)) {
    log(
      `${s.members} members, ${mode}: send ${v.send}/s (${v.sendCpu}/CPU-s), receive ${v.receive}/s (${v.receiveCpu}/CPU-s); per message: ${JSON.stringify(s.writes[mode])}`,
    );
  }
}
log(`load average ${loadAverageAtStart.join(" ")} at start, ${out.loadAverageAtEnd.join(" ")} at end`);
if (noRecord)
  console.log(
    JSON.stringify(
      out.sizes.map((s) => ({ members: s.members, summary: s.summary, writes: s.writes })),
      null,
      2,
    ),
  );
else recordState(out);
