/**
 * A real Redis (Debian `redis-server`) on 127.0.0.1 for tests: a free port below 32768, no
 * persistence, stopped by its PID. `stop()` + `start()` restart it on the same port (empty).
 * Fails with one line when the binary is missing (scripts/test.sh installs it).
 */
import fs from "node:fs";
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, waitForListening } from "./ports.ts";

const REDIS_SERVER = "/usr/bin/redis-server";

export interface TestRedis {
  /** `redis://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Stop the process (Redis is "down"); `start()` brings a fresh one back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP the process: Redis stops answering but its connections stay open (a hung Redis) until `thaw()`. */
  freeze(): void;
  thaw(): void;
}

export async function startTestRedis(): Promise<TestRedis> {
  if (!fs.existsSync(REDIS_SERVER)) throw new Error("Redis tests need Debian's redis-server: run 'sudo apt-get install -y redis-server'");
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const c = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    child = c;
    await waitForListening(port, { child: c, what: "redis-server", ms: 5000 });
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.pid === undefined) return;
    const gone = new Promise((r) => c.once("exit", r));
    process.kill(c.pid, "SIGTERM");
    await gone;
  };
  const signal = (sig: NodeJS.Signals) => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid, sig);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, freeze: () => signal("SIGSTOP"), thaw: () => signal("SIGCONT") };
}
