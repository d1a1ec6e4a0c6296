/**
 * A job runner in its own process, for the multi-process and kill -9 tests of
 * platform/jobs: the real runner over the real database named by
 * DATABASE_URL (a postgres:// URL or an SQLite file), already migrated, with
 * the recording tables of testing/jobs.ts. Handlers:
 * - "test.once": waits JOB_WORK_MS, records the run in job_runs with a plain INSERT (a second run
 *   of the same job fails on the key, so exactly-once is checked by the data);
 * - "test.idempotent": records the attempt, waits JOB_WORK_MS, then records
 *   completion with INSERT ... ON CONFLICT DO NOTHING (safe to run again).
 * Prints "ready" on stdout once claiming; SIGTERM stops it gracefully.
 */
import { sql } from "kysely";
import { openStorage } from "../platform/db/index.ts";
import { createLogger } from "../platform/log.ts";
import { createJobRunner, type JobInfo } from "../platform/jobs/index.ts";

const env = process.env;
const runnerId = env.RUNNER_ID ?? `worker-${process.pid}`;
const storage = openStorage({ url: env.DATABASE_URL, dataDir: env.PARLEY_DATA_DIR ?? ".", pgPoolSize: 12 });
const workMs = Number(env.JOB_WORK_MS ?? "0");

const runner = createJobRunner({
  db: storage.db,
  dialect: storage.dialect,
  log: createLogger("warn", process.stderr),
  runnerId,
  pollMs: Number(env.JOB_POLL_MS ?? "50"),
  leaseMs: Number(env.JOB_LEASE_MS ?? "60000"),
  concurrency: Number(env.JOB_CONCURRENCY ?? "8"),
  handlers: {
    async "test.once"(_p: unknown, job: JobInfo) {
      if (workMs) await new Promise((r) => setTimeout(r, workMs));
      await sql`INSERT INTO job_runs (job_id, runner) VALUES (${job.id}, ${runnerId})`.execute(storage.db);
    },
    async "test.idempotent"(_p: unknown, job: JobInfo) {
      await sql`INSERT INTO job_attempts (job_id, runner, at) VALUES (${job.id}, ${runnerId}, ${Date.now()})`.execute(storage.db);
      if (workMs) await new Promise((r) => setTimeout(r, workMs));
      await sql`INSERT INTO job_runs (job_id, runner) VALUES (${job.id}, ${runnerId}) ON CONFLICT (job_id) DO NOTHING`.execute(storage.db);
    },
  },
});
runner.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void runner
    .stop()
    .then(() => storage.close())
    .then(() => process.exit(0));
});
