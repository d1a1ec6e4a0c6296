/**
 * A server under test, started in its own process and prepared for a bench: Parley with
 * an org, users and a channel made through its HTTP API (or the bare ws server).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "@parley/server/testing/ports";
import { startServerProcess, type ServerProcess } from "./processes.ts";
import { bareTarget, type BenchTarget } from "./target.ts";
import { BENCH_SETUP_TOKEN, prepareParley } from "./parley-setup.ts";
import { log } from "./report.ts";
import type { ServerKind } from "./server-child.ts";

/** Parley tuned for load: limits that would throttle a benchmark client raised, everything else default. */
export function parleyConfig(port: number, dataDir: string, databaseUrl?: string): Record<string, unknown> {
  return {
    host: "127.0.0.1",
    port,
    dataDir,
    ...(databaseUrl ? { databaseUrl } : {}),
    logLevel: "warn",
    setupToken: BENCH_SETUP_TOKEN,
    rateLimitIp: 1_000_000,
    rateLimitUser: 1_000_000,
    wsFramesPerSecond: 100_000,
    wsMaxBufferedBytes: 64 * 1048576,
    accessTokenTtl: 3600,
    // FULL (the server's default: every acknowledged send survives power loss); PARLEY_BENCH_SQLITE_SYNCHRONOUS=NORMAL shows what the fsyncs cost.
    sqliteSynchronous: process.env.PARLEY_BENCH_SQLITE_SYNCHRONOUS === "NORMAL" ? "NORMAL" : "FULL",
    // The idle benchmark opens 1,000 sockets per user (10,000 over 10 users).
    wsMaxConnectionsPerDevice: 1_000_000,
    wsMaxConnectionsPerUser: 1_000_000,
    // The transport benchmarks send opaque bytes (a timestamp), not MLS ciphertext;
    // bench/src/e2e measures the full E2EE path with the framing check on.
    checkMlsFraming: false,
  };
}

export interface Prepared {
  server: ServerProcess;
  target: BenchTarget;
  cleanup(): Promise<void>;
}

/** Start one server in its own process and prepare it (Parley: org, users, channel through the HTTP API). */
export async function startPrepared(kind: ServerKind, users: number, databaseUrl?: string, serverEntry?: string): Promise<Prepared> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-"));
  const cleanup = async (server?: ServerProcess) => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let server: ServerProcess | undefined;
  try {
    // Servers under test listen on 127.0.0.1 below 32768, like every server we start.
    const port = await freePort();
    server = await startServerProcess(kind, kind === "bare" ? { port } : parleyConfig(port, dataDir, databaseUrl), serverEntry);
    log(`${kind} server pid ${server.pid} at ${server.url}`);
    const target = kind === "bare" ? bareTarget(server.url) : await prepareParley(server.url, users);
    const s = server;
    return { server: s, target, cleanup: () => cleanup(s) };
  } catch (err) {
    await cleanup(server);
    throw err;
  }
}
