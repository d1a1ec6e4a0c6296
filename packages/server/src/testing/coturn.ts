/**
 * A real coturn (Debian's `turnserver`) per test file, started by the project's own
 * scripts/coturn.sh on 127.0.0.1: free ports below 32768 for the listener, its CLI and a small
 * relay range, a fresh shared secret, loopback peers allowed, optionally TURN over TLS with a
 * self-signed certificate, config and PID file in a temp dir.
 * `stop()` runs the script's stop (by PID).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { freePort } from "./ports.ts";
import { selfSignedCertificate } from "./certs.ts";

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, "../../../../scripts/coturn.sh");

export interface TestCoturn {
  /** TURN/STUN over UDP and TCP on 127.0.0.1:port. */
  port: number;
  /** The telnet CLI's port and password (allocation counts). */
  cliPort: number;
  cliPassword: string;
  /** The shared secret (coturn's static-auth-secret). */
  secret: string;
  realm: string;
  /** With `tls`: TURN over TLS on 127.0.0.1:tlsPort, its self-signed certificate (PEM) to trust. */
  tlsPort: number | undefined;
  caPem: string | undefined;
  /** The coturn PID (from its PID file). */
  pid(): number;
  stop(): Promise<void>;
}

export async function startTestCoturn(o: { tls?: boolean } = {}): Promise<TestCoturn> {
  if (!fs.existsSync("/usr/bin/turnserver"))
    throw new Error("the TURN tests need Debian's coturn: run 'sudo apt-get install -y --no-install-recommends coturn'");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-coturn-"));
  const port = await freePort();
  let cliPort = await freePort();
  while (cliPort === port) cliPort = await freePort();
  // A 20-port relay range somewhere in [20000, 32000); a clash with another test's is harmless
  // (coturn skips ports it cannot bind).
  const minPort = 20000 + Math.floor(Math.random() * 600) * 20;
  const secret = crypto.randomBytes(24).toString("hex");
  const cliPassword = crypto.randomBytes(12).toString("hex");
  const cert = o.tls ? selfSignedCertificate(dir) : undefined;
  const tlsPort = o.tls ? await freePort() : undefined;
  const env = {
    ...process.env,
    ...(cert && tlsPort ? { PARLEY_COTURN_CERT: cert.certFile, PARLEY_COTURN_KEY: cert.keyFile, PARLEY_COTURN_TLS_PORT: String(tlsPort) } : {}),
    PARLEY_COTURN_DIR: dir,
    PARLEY_COTURN_PORT: String(port),
    PARLEY_COTURN_CLI_PORT: String(cliPort),
    PARLEY_COTURN_MIN_PORT: String(minPort),
    PARLEY_COTURN_MAX_PORT: String(minPort + 19),
    PARLEY_COTURN_CLI_PASSWORD: cliPassword,
    PARLEY_TURN_SECRET: secret,
    PARLEY_TURN_REALM: "parley.test",
    PARLEY_COTURN_LOOPBACK: "1",
  };
  await run("bash", [SCRIPT, "start"], { env });
  return {
    port,
    cliPort,
    cliPassword,
    secret,
    realm: "parley.test",
    tlsPort,
    caPem: cert?.cert,
    pid: () => Number(fs.readFileSync(path.join(dir, "turnserver.pid"), "utf8")),
    async stop() {
      await run("bash", [SCRIPT, "stop"], { env });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
