/**
 * Start test/support/child-server.ts in a child process on a free port below
 * 32768 (tests never bind the ephemeral range), over a given data dir or
 * PostgreSQL database, and kill it the hard or the polite way.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import readline from "node:readline";

import { childEnv } from "@parley/server/testing/child-env";
import { freePort } from "@parley/server/testing/ports";

export { freePort };

const SCRIPT = fileURLToPath(new URL("./child-server.ts", import.meta.url));

export interface ChildServer {
  url: string;
  port: number;
  setupToken: string | null;
  /** The node id this process chose (the prefix of its WebSocket connection ids). */
  nodeId: string;
  proc: ChildProcess;
  /** Everything the server logged (stderr). */
  logs(): string;
  /** Resolves with the exit code or signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** kill -9: no shutdown code runs. */
  kill9(): Promise<void>;
  /** SIGTERM: the graceful shutdown path. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  port?: number;
  setupToken?: string;
  env?: Record<string, string>;
}

export async function startChildServer(opts: ChildOptions): Promise<ChildServer> {
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...childEnv(),
    PARLEY_HOST: "127.0.0.1",
    PARLEY_PORT: String(port),
    PARLEY_DATA_DIR: opts.dataDir,
    PARLEY_LOG_LEVEL: "info",
    PARLEY_RATE_LIMIT_IP: "1000000",
    PARLEY_RATE_LIMIT_USER: "1000000",
    PARLEY_WS_FRAMES_PER_SECOND: "100000",
    // These tests drive the transport with opaque test bytes, not MLS ciphertext.
    PARLEY_CHECK_MLS_FRAMING: "false",
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...(opts.setupToken ? { PARLEY_SETUP_TOKEN: opts.setupToken } : {}),
    ...opts.env,
  };
  const proc = spawn(process.execPath, [SCRIPT], { env, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => {
    logs += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const ready = await new Promise<{ url: string; setupToken: string | null; node: string }>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout! });
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`child server did not start in 30s:\n${logs.slice(-4000)}`));
    }, 30_000);
    rl.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; setupToken: string | null; node: string });
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`child server exited (${code ?? signal}) before listening:\n${logs.slice(-4000)}`));
    });
  });
  return {
    url: ready.url,
    port,
    setupToken: ready.setupToken,
    nodeId: ready.node,
    proc,
    exited,
    logs: () => logs,
    async kill9() {
      proc.kill("SIGKILL");
      await exited;
    },
    async terminate() {
      proc.kill("SIGTERM");
      return exited;
    },
  };
}
