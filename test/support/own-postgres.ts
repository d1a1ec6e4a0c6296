/**
 * A PostgreSQL server of the test's own (Debian's binaries, a fresh data directory, a free
 * port below 32768), so a chaos test can stop and restart it without disturbing the suite's
 * shared one (scripts/pg.sh). Run as the postgres user when the test runs as root.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./child.ts";

const execAsync = promisify(execFile);

export interface OwnPostgres {
  url: string;
  /** Fast shutdown then start on the same port and data (connections drop; committed data stays). */
  restart(): Promise<void>;
  /** Fast shutdown (the data stays; `up()` starts it again). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** Shut down and delete the data. */
  stop(): Promise<void>;
}

function binDir(): string {
  const dirs = fs.existsSync("/usr/lib/postgresql") ? fs.readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b)) : [];
  const bin = dirs.length ? `/usr/lib/postgresql/${dirs.at(-1)}/bin` : "";
  if (!bin || !fs.existsSync(`${bin}/pg_ctl`))
    throw new Error("PostgreSQL server binaries are missing: apt-get install postgresql (scripts/pg.sh installs it)");
  return bin;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-own-pg-"));
  const data = path.join(dir, "data");
  fs.mkdirSync(data);
  if (root) execFileSync("chown", ["-R", "postgres", dir]);
  // Asynchronous, so servers in this process keep running (and notice) while PostgreSQL stops and starts.
  const run = async (cmd: string, args: string[]) => {
    await (root ? execAsync("runuser", ["-u", "postgres", "--", `${bin}/${cmd}`, ...args]) : execAsync(`${bin}/${cmd}`, args));
  };
  await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
  const port = await freePort();
  const start = () =>
    run("pg_ctl", [
      "-D",
      data,
      "-l",
      path.join(data, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
      "-o",
      `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c max_connections=200 -c fsync=on`,
    ]);
  const stop = () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      await stop();
      await start();
    },
    down: stop,
    up: start,
    async stop() {
      try {
        await stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
