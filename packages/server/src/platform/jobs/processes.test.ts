/**
 * Durable jobs across processes, on one real PostgreSQL database and on one
 * SQLite file: two runner processes (testing/job-worker.ts) claim 200 jobs at
 * once and each runs exactly once (a second run would fail on job_runs' key);
 * a runner killed with SIGKILL mid-work is replaced and every job completes
 * exactly once (the handler is idempotent; expired leases are claimed again).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import readline from "node:readline";
import path from "node:path";
import { sql } from "kysely";
import { childEnv } from "../../testing/child-env.ts";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../../testing/harness.ts";
import { countRows, createRecordingTables, waitUntil } from "../../testing/jobs.ts";
import { openStorage, type Storage } from "../db/index.ts";
import { enqueueJob, listJobs } from "./index.ts";

const WORKER = fileURLToPath(new URL("../../testing/job-worker.ts", import.meta.url));

interface Worker {
  proc: ChildProcess;
  exited: Promise<unknown>;
  logs(): string;
}

async function startWorker(url: string, runnerId: string, env: Record<string, string>): Promise<Worker> {
  const proc = spawn(process.execPath, [WORKER], { env: { ...childEnv(), DATABASE_URL: url, RUNNER_ID: runnerId, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  proc.stderr!.setEncoding("utf8");
  proc.stderr!.on("data", (d: string) => {
    logs += d;
  });
  const exited = new Promise((resolve) => proc.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`worker did not start:\n${logs}`));
    }, 15_000);
    readline.createInterface({ input: proc.stdout! }).once("line", () => {
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`worker exited before ready:\n${logs}`));
    });
  });
  return { proc, exited, logs: () => logs };
}

async function stopWorker(w: Worker | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!w || w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill(signal);
  await w.exited;
}

async function setup(dialect: (typeof DIALECTS)[number]): Promise<{ db: TestDatabase; storage: Storage; url: string }> {
  const db = await createTestDatabase(dialect);
  const url = db.url ?? path.join(db.dataDir, "parley.db");
  const storage = openStorage({ url, dataDir: db.dataDir });
  await storage.migrate();
  await createRecordingTables(storage.db);
  return { db, storage, url };
}

async function enqueueMany(storage: Storage, name: string, n: number): Promise<void> {
  await storage.db.transaction().execute(async (tx) => {
    for (let i = 0; i < n; i++) await enqueueJob(tx, name, { i });
  });
}

for (const dialect of DIALECTS) {
  test(`two processes claim 200 jobs at once: each runs exactly once (${dialect})`, { timeout: 60_000 }, async () => {
    const { db, storage, url } = await setup(dialect);
    const workers: Worker[] = [];
    try {
      // Each job takes a little while, so one runner cannot drain the queue before the other polls
      // (on SQLite a busy writer can otherwise starve the other process's claims for a moment).
      const env = { JOB_POLL_MS: "50", JOB_CONCURRENCY: "4", JOB_WORK_MS: "20" };
      workers.push(await startWorker(url, "A", env), await startWorker(url, "B", env));
      await enqueueMany(storage, "test.once", 200);
      await waitUntil(async () => (await listJobs(storage.db, { state: "done", limit: 1000 })).length === 200, 30_000, "200 jobs done");
      const jobs = await listJobs(storage.db, { limit: 1000 });
      assert.deepEqual(
        jobs.filter((j) => j.state !== "done" || j.attempts !== 1),
        [],
        "every job done on its first attempt (a second run fails on the key)",
      );
      assert.equal(await countRows(storage.db, "job_runs"), 200);
      const by = await sql<{ runner: string; n: number | string }>`SELECT runner, count(*) AS n FROM job_runs GROUP BY runner ORDER BY runner`.execute(
        storage.db,
      );
      assert.deepEqual(
        by.rows.map((r) => r.runner),
        ["A", "B"],
        `both processes claimed jobs: ${JSON.stringify(by.rows)}`,
      );
    } finally {
      for (const w of workers) await stopWorker(w, "SIGTERM");
      await storage.close();
      await db.drop();
    }
  });

  test(`kill -9 of a runner mid-work: after a restart every job completes exactly once (${dialect})`, { timeout: 60_000 }, async () => {
    const { db, storage, url } = await setup(dialect);
    let first: Worker | undefined;
    let second: Worker | undefined;
    try {
      const env = { JOB_POLL_MS: "50", JOB_CONCURRENCY: "8", JOB_WORK_MS: "100", JOB_LEASE_MS: "1000" };
      await enqueueMany(storage, "test.idempotent", 60);
      first = await startWorker(url, "first", env);
      await waitUntil(async () => (await countRows(storage.db, "job_attempts")) >= 12, 15_000, "the first runner is working");
      await stopWorker(first, "SIGKILL");
      const interrupted = (await listJobs(storage.db, { state: "running", limit: 1000 })).map((j) => j.id);
      assert.ok(interrupted.length > 0, "jobs were running when the process died");
      second = await startWorker(url, "second", env);
      await waitUntil(async () => (await listJobs(storage.db, { state: "done", limit: 1000 })).length === 60, 30_000, "60 jobs done");
      assert.equal(await countRows(storage.db, "job_runs"), 60, "each job completed once");
      const jobs = await listJobs(storage.db, { limit: 1000 });
      for (const id of interrupted) assert.equal(jobs.find((j) => j.id === id)!.attempts, 2, "an interrupted job ran again after its lease");
    } finally {
      await stopWorker(first, "SIGKILL");
      await stopWorker(second, "SIGTERM");
      await storage.close();
      await db.drop();
    }
  });
}
