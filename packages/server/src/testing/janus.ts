/**
 * A real Janus (Debian's `janus`, VideoRoom + WebSocket transport only) per test file, started
 * by the project's own scripts/janus.sh on 127.0.0.1: a free API port and a small RTP range
 * below 32768, fresh API secret and VideoRoom admin key, config and PID file in a temp dir.
 * `kill()` SIGKILLs it by PID (a crash), `start()` brings it back on the same port with no
 * state, `stop()` runs the script's stop (by PID).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort } from "./ports.ts";

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, "../../../../scripts/janus.sh");

export interface TestJanus {
  /** ws://127.0.0.1:PORT */
  url: string;
  apiSecret: string;
  adminKey: string;
  /** Start it (again) on the same port. */
  start(): Promise<void>;
  /** SIGKILL by PID and wait until it is gone. */
  kill(): Promise<void>;
  /** The Janus PID (from its PID file; the SFU benchmark reads its CPU from /proc). */
  pid(): number;
  stop(): Promise<void>;
}

/** `rtpPorts`: the size of Janus's RTP port range (default 40; each publisher or subscriber session takes one). */
export async function startTestJanus(o: { rtpPorts?: number } = {}): Promise<TestJanus> {
  if (!fs.existsSync("/usr/bin/janus")) throw new Error("the SFU tests need Debian's Janus: run 'sudo apt-get install -y --no-install-recommends janus'");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-janus-"));
  const port = await freePort();
  const rtpPorts = o.rtpPorts ?? 40;
  const rtpMin = 20000 + Math.floor(Math.random() * Math.floor(12000 / rtpPorts)) * rtpPorts;
  const apiSecret = crypto.randomBytes(16).toString("hex");
  const adminKey = crypto.randomBytes(16).toString("hex");
  const env = {
    ...process.env,
    PARLEY_JANUS_DIR: dir,
    PARLEY_JANUS_WS_PORT: String(port),
    PARLEY_JANUS_RTP_MIN: String(rtpMin),
    PARLEY_JANUS_RTP_MAX: String(rtpMin + rtpPorts - 1),
    PARLEY_JANUS_API_SECRET: apiSecret,
    PARLEY_JANUS_ADMIN_KEY: adminKey,
  };
  const start = async () => {
    await run("bash", [SCRIPT, "start"], { env });
  };
  await start();
  return {
    url: `ws://127.0.0.1:${port}`,
    apiSecret,
    adminKey,
    start,
    pid: () => Number(fs.readFileSync(path.join(dir, "janus.pid"), "utf8")),
    async kill() {
      const pidFile = path.join(dir, "janus.pid");
      if (!fs.existsSync(pidFile)) return;
      const pid = Number(fs.readFileSync(pidFile, "utf8"));
      process.kill(pid, "SIGKILL");
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      fs.rmSync(pidFile, { force: true });
    },
    async stop() {
      await run("bash", [SCRIPT, "stop"], { env });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
