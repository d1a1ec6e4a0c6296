/**
 * The e2e bench's SDK client processes (bench/src/e2e/client-proc.ts): forked,
 * driven one request at a time over IPC, every wait bounded, stopped by PID
 * through processes.ts's stopChild (also on error paths, via stopClientProcs).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopChild } from "../processes.ts";
import type { E2eRequest } from "./client-proc.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const running = new Set<ChildProcess>();

export interface ClientProc {
  pid: number;
  call<T = Record<string, unknown>>(req: E2eRequest, replyType: string, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

function next<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (msg: { type?: string; message?: string }) => {
      if (msg?.type === "error") {
        done();
        reject(new Error(`client process ${child.pid}: ${msg.message}`));
      } else if (msg?.type === type) {
        done();
        resolve(msg as T);
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`client process ${child.pid} exited (${code}) while waiting for ${type}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`client process ${child.pid}: no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off("message", onMsg);
      child.off("exit", onExit);
    };
    child.on("message", onMsg);
    child.once("exit", onExit);
  });
}

export async function startClientProc(): Promise<ClientProc> {
  const child = fork(path.join(here, "client-proc.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  running.add(child);
  await next(child, "started", 30_000).catch(async (err: unknown) => {
    await stopChild(child, 1_000);
    throw err;
  });
  return {
    pid: child.pid as number,
    call<T>(req: E2eRequest, replyType: string, timeoutMs: number) {
      const reply = next<T>(child, replyType, timeoutMs);
      child.send(req);
      return reply;
    },
    async stop() {
      running.delete(child);
      if (child.connected) child.send({ cmd: "exit" } satisfies E2eRequest);
      await stopChild(child, 8_000);
    },
  };
}

/** Stop every client process still running (error paths). */
export async function stopClientProcs(): Promise<void> {
  const list = [...running];
  running.clear();
  await Promise.all(list.map((c) => stopChild(c, 3_000)));
}
