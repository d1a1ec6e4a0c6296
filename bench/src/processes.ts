/**
 * Child processes of a bench run: the server under test and the load-client
 * workers. Every process started here is tracked by PID and stopped by PID
 * (SIGTERM, then SIGKILL after a grace period), also when the bench fails.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerKind, UsageReply } from "./server-child.ts";
import type { WorkerRequest } from "./client-worker.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const started = new Set<ChildProcess>();
const exitWatchers = new Set<(what: string) => void>();

/** Call `fn` when a child this module started exits while nobody was stopping it (a crash, an OOM kill). */
export function onUnexpectedExit(fn: (what: string) => void): () => void {
  exitWatchers.add(fn);
  return () => exitWatchers.delete(fn);
}

function track(child: ChildProcess, name: string): void {
  started.add(child);
  child.once("exit", (code, signal) => {
    // stopChild() takes a child out of `started` before it signals it.
    if (!started.delete(child)) return;
    for (const fn of exitWatchers) fn(`${name} (pid ${child.pid}) exited unexpectedly: ${signal ?? `code ${code}`}`);
  });
}

/** Stop one child by its PID; resolves when it has exited (SIGKILL after graceMs). */
export async function stopChild(child: ChildProcess, graceMs = 12_000): Promise<void> {
  started.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(child.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stop every child still running (on error paths). */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((c) => stopChild(c, 3_000)));
}

/**
 * Send an IPC message; throws at once if the child is gone. Its exit rejects whoever waits for a
 * reply (nextMessage), so a failure to send is not reported again (without the callback it would be
 * an unhandled 'error' event on the child, which ends this process).
 */
function post(child: ChildProcess, msg: object): void {
  if (!child.connected) throw new Error(`child ${child.pid} has exited`);
  child.send(msg, () => {});
}

/** Wait for the next IPC message of a given type (bounded). */
function nextMessage<T>(child: ChildProcess, type: string | string[], timeoutMs: number): Promise<T> {
  const types = Array.isArray(type) ? type : [type];
  return new Promise((resolve, reject) => {
    const onMsg = (msg: { type?: string; message?: string }) => {
      if (msg?.type === "error") {
        cleanup();
        reject(new Error(`child ${child.pid}: ${msg.message}`));
        return;
      }
      if (msg?.type && types.includes(msg.type)) {
        cleanup();
        resolve(msg as T);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${code}) while waiting for ${types.join("|")}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid}: no ${types.join("|")} within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMsg);
      child.off("exit", onExit);
    };
    child.on("message", onMsg);
    child.once("exit", onExit);
  });
}

export interface ServerProcess {
  kind: ServerKind;
  pid: number;
  url: string;
  /** CPU time (µs, user+system) and memory of the server process, measured inside it. */
  usage(gc?: boolean): Promise<UsageReply>;
  stop(): Promise<void>;
}

let usageId = 0;

/** `serverEntry`: another checkout's packages/server/src/index.ts to run instead of this one's (bench/src/funnel.ts). */
export async function startServerProcess(kind: ServerKind, config: Record<string, unknown>, serverEntry?: string): Promise<ServerProcess> {
  const child = fork(path.join(here, "server-child.ts"), [kind], {
    // PARLEY_BENCH_PROFILE_DIR: write a V8 CPU profile of each server (open in Chrome DevTools).
    execArgv: ["--expose-gc", ...(process.env.PARLEY_BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.PARLEY_BENCH_PROFILE_DIR}`] : [])],
    env: { ...process.env, PARLEY_BENCH_CONFIG: JSON.stringify(config), ...(serverEntry ? { PARLEY_BENCH_SERVER_ENTRY: serverEntry } : {}) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  track(child, `${kind} server`);
  const ready = await nextMessage<{ url: string }>(child, "ready", 60_000).catch(async (err: unknown) => {
    await stopChild(child, 1_000);
    throw err;
  });
  return {
    kind,
    pid: child.pid as number,
    url: ready.url,
    async usage(gc = false) {
      const id = ++usageId;
      // Sent first: a child that is gone throws here, leaving no wait behind (replies arrive on a later turn).
      post(child, { type: "usage", id, gc });
      return nextMessage<UsageReply>(child, "usage", 30_000);
    },
    stop: () => stopChild(child),
  };
}

export interface WorkerProcess {
  pid: number;
  /** Send one request and wait for its reply (one request at a time per worker). */
  call<T = Record<string, unknown>>(req: WorkerRequest, replyType: string, timeoutMs: number): Promise<T>;
  /** Wait for a message the worker sends on its own (register before the call that causes it). */
  expect<T = Record<string, unknown>>(type: string, timeoutMs: number): Promise<T>;
  /** Every message of `type` the worker sends (progress reports); returns the unsubscribe function. */
  on<T = Record<string, unknown>>(type: string, handler: (msg: T) => void): () => void;
  stop(): Promise<void>;
}

export function startWorker(): WorkerProcess {
  const child = fork(path.join(here, "client-worker.ts"), [], { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  track(child, "client worker");
  return {
    pid: child.pid as number,
    async call<T>(req: WorkerRequest, replyType: string, timeoutMs: number) {
      post(child, req);
      return nextMessage<T>(child, replyType, timeoutMs);
    },
    expect<T>(type: string, timeoutMs: number) {
      return nextMessage<T>(child, type, timeoutMs);
    },
    on<T>(type: string, handler: (msg: T) => void) {
      const listener = (msg: { type?: string }) => {
        if (msg?.type === type) handler(msg as T);
      };
      child.on("message", listener);
      return () => child.off("message", listener);
    },
    async stop() {
      if (child.connected) post(child, { cmd: "exit" } satisfies WorkerRequest);
      await stopChild(child, 2_000);
    },
  };
}

/** CPU µs used between two usage snapshots. */
export function cpuDeltaUs(a: UsageReply, b: UsageReply): number {
  return b.cpuUserUs + b.cpuSystemUs - (a.cpuUserUs + a.cpuSystemUs);
}
