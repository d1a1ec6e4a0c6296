/**
 * A real NATS server (Debian's `nats-server`) for bus tests: its own process on 127.0.0.1, a free
 * port below 32768, JetStream on with its store in a temp dir. `stop()` kills it by PID (and
 * waits); `start()` again brings it back on the same port and store (a NATS restart).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { freePort, waitForListening } from "./ports.ts";

const BINARY = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

export interface TestNats {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Kill the server (SIGKILL by PID) and wait until it is gone. */
  stop(): Promise<void>;
  /** Start it again on the same port and store. */
  start(): Promise<void>;
  /** Stop it and remove its store. */
  cleanup(): Promise<void>;
}

function binary(): string {
  const found = BINARY.find((b) => fs.existsSync(b));
  if (!found) throw new Error("the NATS tests need Debian's nats-server: run 'sudo apt-get install -y nats-server'");
  return found;
}

export async function startTestNats(): Promise<TestNats> {
  const bin = binary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-nats-"));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const stderr: string[] = [];

  async function start(): Promise<void> {
    if (child) return;
    const c = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: ["ignore", "ignore", "pipe"] });
    c.stderr!.on("data", (d: Buffer) => stderr.push(String(d)));
    child = c;
    try {
      await waitForListening(port, { child: c, what: "nats-server" });
    } catch (err) {
      c.kill("SIGKILL");
      child = null;
      throw new Error(`${(err as Error).message}\n${stderr.join("").slice(-2000)}`, { cause: err });
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c) return;
    child = null;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    process.kill(c.pid!, "SIGKILL");
    await gone;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    start,
    async cleanup() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
