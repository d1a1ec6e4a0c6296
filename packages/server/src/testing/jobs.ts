/**
 * Test helpers for durable jobs: wait until the queue is idle instead of
 * sleeping, and a recording table whose primary key catches a second run.
 */
import type { ChildProcess } from "node:child_process";
import { sql } from "kysely";
import type { Db } from "../platform/db/index.ts";
import { jobsIdle } from "../platform/jobs/index.ts";

/** Resolve once no job is due or running (polling the database); throw after `timeoutMs`. */
export async function waitForJobsIdle(db: Db, timeoutMs = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!(await jobsIdle(db))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`jobs still due or running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolve once `cond` holds, polling every 20 ms; throw after `timeoutMs`. */
export async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `waitUntil` for a condition a child process brings about: its ending first fails at once, with its exit code or signal. */
export async function waitWhileRunning(child: ChildProcess, cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(
    async () => {
      if (await cond()) return true;
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the child process ended (${child.exitCode ?? child.signalCode}) before ${what}`);
      return false;
    },
    timeoutMs,
    what,
  );
}

/** Test-only tables: `job_runs` (one row per job run; its key makes a second run fail) and `job_attempts` (every attempt). */
export async function createRecordingTables(db: Db): Promise<void> {
  await sql`CREATE TABLE job_runs (job_id text PRIMARY KEY, runner text NOT NULL)`.execute(db);
  await sql`CREATE TABLE job_attempts (job_id text NOT NULL, runner text NOT NULL, at bigint NOT NULL)`.execute(db);
}

/** Rows of a recording table. */
export async function countRows(db: Db, table: "job_runs" | "job_attempts"): Promise<number> {
  const r = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db);
  return Number(r.rows[0]!.n);
}
