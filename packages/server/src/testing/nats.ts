/**
 * A real NATS server (Debian's `nats-server`) for bus tests: its own process on 127.0.0.1, a free
 * port below 32768, JetStream on with its store in a temp dir. `stop()` kills it by PID (and
 * waits); `start()` again brings it back on the same port and store (a NATS restart).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { connect, headers } from "@nats-io/transport-node";
import { freePort, waitForListening } from "./ports.ts";

const BINARY = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

export interface TestNats {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The running server's PID (undefined while stopped), e.g. to read its CPU time. */
  pid(): number | undefined;
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
    pid: () => child?.pid,
    stop,
    start,
    async cleanup() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Publish one message to `url` as a foreign NATS client would, with the given headers (a test
 * shaping what another node, or a stranger, puts on the wire); resolves once the server has it.
 */
export async function publishRaw(url: string, subject: string, payload: string, hdrs: Record<string, string> = {}): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const h = headers();
    for (const [k, v] of Object.entries(hdrs)) h.set(k, v);
    nc.publish(subject, payload, { headers: h });
    await nc.flush();
  } finally {
    await nc.close();
  }
}

/** A message seen on the wire by {@link watchRaw}. */
export interface RawMessage {
  subject: string;
  /** Its NATS headers, or undefined when it had none. */
  headers: Record<string, string> | undefined;
  data: string;
}

/** Record every message on `subject` (wildcards allowed) as a foreign NATS client sees it. */
export async function watchRaw(url: string, subject: string): Promise<{ messages: RawMessage[]; close(): Promise<void> }> {
  const nc = await connect({ servers: url });
  const messages: RawMessage[] = [];
  nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) return;
      const h = msg.headers;
      messages.push({ subject: msg.subject, headers: h ? Object.fromEntries(h.keys().map((k) => [k, h.get(k)])) : undefined, data: msg.string() });
    },
  });
  await nc.flush();
  return { messages, close: () => nc.close() };
}
