/**
 * Test support: run the real `parley` binary as a child process, and start
 * `parley start` on a free port below 32768 (stopped by PID).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { childEnv } from "@parley/server/testing/child-env";
import { freePort } from "@parley/server/testing/ports";
import assert from "node:assert/strict";
import { startTestServer, TEST_SETUP_TOKEN, type TestServer } from "@parley/server/testing/harness";

export const BIN = fileURLToPath(new URL("../../bin/parley.js", import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test convenience: the assertions check the shape
  json(): any;
}

/** What the child wrote to stderr so far, for input that answers a prompt. */
export interface Progress {
  /** Resolves once stderr matches `re` (rejects if the child exits first). */
  stderrMatch(re: RegExp): Promise<RegExpExecArray>;
}

/**
 * Run `parley ARGS` to completion; never throws on a non-zero exit. `input` (stdin) may arrive
 * later, as a promise, or from a function that reads the child's stderr first (a secret it
 * printed before asking for a code).
 */
export function parley(
  args: string[],
  opts: { env?: Record<string, string>; input?: string | Promise<string> | ((p: Progress) => Promise<string>); timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // A private HOME so no test touches the real ~/.config/parley.
      env: { ...childEnv(), HOME: scratchHome(), ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const waiters = new Set<() => void>();
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
      for (const w of waiters) w();
    });
    const progress: Progress = {
      stderrMatch: (re) =>
        new Promise((resolve, reject) => {
          const check = () => {
            const m = re.exec(stderr);
            if (m) {
              waiters.delete(check);
              resolve(m);
            }
          };
          waiters.add(check);
          child.once("close", () => {
            if (waiters.delete(check)) reject(new Error(`stderr never matched ${re}:\n${stderr}`));
          });
          check();
        }),
    };
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    // Input that arrives after the child exited must not crash the test with EPIPE.
    child.stdin.on("error", () => undefined);
    const input = typeof opts.input === "function" ? opts.input(progress) : opts.input;
    void Promise.resolve(input ?? "").then(
      (input) => child.stdin.end(input),
      () => child.stdin.end(),
    );
  });
}

let home: string | undefined;
function scratchHome(): string {
  if (!home) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-cli-home-"));
    process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  return home;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `parley-cli-${prefix}-`));
}

export { freePort };

export interface StartedServer {
  child: ChildProcess;
  url: string;
  ready: { url: string; apiDocs: string; setupToken: string | null };
  stderr(): string;
  /** SIGTERM by PID; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `parley start --json` in a child process; resolves once it printed its ready line. */
export async function startParley(args: string[], env: Record<string, string> = {}): Promise<StartedServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "start", "--json", "--port", String(port), "--log-level", "warn", ...args], {
    env: { ...childEnv(), HOME: scratchHome(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const ready = await new Promise<StartedServer["ready"]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parley start did not get ready:\n${err}`)), 60_000);
    child.stdout!.on("data", (d) => {
      out += String(d);
      for (const line of out.split("\n")) {
        if (!line.includes('"event":"ready"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`parley start exited with ${code}:\n${err}`));
    });
  });
  return {
    child,
    url: ready.url,
    ready,
    stderr: () => err,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      process.kill(child.pid!, signal);
      return exited;
    },
  };
}

/** The password of the owner {@link cliOwnerOrg} sets up. */
export const CLI_OWNER_PASSWORD = "olga-secret-pw-123";

/**
 * A test server on SQLite (stopped when the test ends) whose org the CLI set up: `owner(args)`
 * runs `parley` as its owner ("owner" in org "acme"), from a profile in a temporary directory.
 */
export async function cliOwnerOrg(
  t: { after(fn: () => unknown): void },
  name: string,
  serverOpts: Omit<NonNullable<Parameters<typeof startTestServer>[0]>, "dialect"> = {},
): Promise<{ server: TestServer; dir: string; owner: (args: string[], opts?: { env?: Record<string, string> }) => Promise<Run> }> {
  const server = await startTestServer({ dialect: "sqlite", ...serverOpts });
  const dir = tempDir(name);
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const owner = (args: string[], opts: { env?: Record<string, string> } = {}) => parley(["--profile-dir", path.join(dir, "owner"), ...args], opts);
  const setup = await owner(
    ["setup", "--server", server.url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { env: { PARLEY_PASSWORD: CLI_OWNER_PASSWORD } },
  );
  assert.equal(setup.code, 0, setup.stderr);
  return { server, dir, owner };
}
