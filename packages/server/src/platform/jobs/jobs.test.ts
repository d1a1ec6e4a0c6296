/**
 * Durable jobs in one process, on real SQLite and PostgreSQL: the outbox
 * (rollback enqueues nothing), retries with backoff into a dead letter
 * without hot-looping, a lease that expires after a crash, dedupe of periodic
 * jobs across runners, and a graceful stop that hands running claims back.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../../testing/harness.ts";
import { waitForJobsIdle, waitUntil } from "../../testing/jobs.ts";
import { openStorage, type Storage } from "../db/index.ts";
import { createLogger } from "../log.ts";
import { createMetrics } from "../metrics.ts";
import { memoryBus } from "../bus/memory.ts";
import { claimJobs } from "./claim.ts";
import { createJobRunner, enqueueJob, listJobs, retryDeadJob, type JobHandler, type JobRunnerOptions } from "./index.ts";

const log = createLogger("silent");

async function open(dialect: (typeof DIALECTS)[number]): Promise<{ db: TestDatabase; storage: Storage }> {
  const db = await createTestDatabase(dialect);
  const storage = openStorage({ url: db.url, dataDir: db.dataDir });
  await storage.migrate();
  return { db, storage };
}

function runner(storage: Storage, handlers: Record<string, JobHandler>, extra: Partial<JobRunnerOptions> = {}) {
  return createJobRunner({
    db: storage.db,
    dialect: storage.dialect,
    log,
    runnerId: `r-${Math.random().toString(36).slice(2, 8)}`,
    handlers,
    pollMs: 50,
    ...extra,
  });
}

for (const dialect of DIALECTS) {
  test(`a job enqueued in a rolled-back transaction never runs; a committed one runs once (${dialect})`, { timeout: 20_000 }, async () => {
    const { db, storage } = await open(dialect);
    const seen: unknown[] = [];
    const bus = memoryBus(() => {});
    // A long poll: only the commit's nudge can make it run quickly.
    const r = runner(
      storage,
      {
        "t.echo": async (p) => {
          seen.push(p);
        },
      },
      { pollMs: 60_000, bus },
    );
    try {
      r.start();
      await assert.rejects(
        storage.db.transaction().execute(async (tx) => {
          await enqueueJob(tx, "t.echo", { n: 1 });
          throw new Error("rollback");
        }),
        /rollback/,
      );
      assert.equal((await listJobs(storage.db)).length, 0, "the rolled-back job was not written");
      await storage.db.transaction().execute(async (tx) => {
        await enqueueJob(tx, "t.echo", { n: 2 });
      });
      bus.publish("jobs.enqueued", { name: "t.echo" });
      const t0 = Date.now();
      await waitUntil(async () => seen.length === 1, 5_000, "the committed job ran");
      assert.ok(Date.now() - t0 < 2_000, "nudged, not polled");
      await waitForJobsIdle(storage.db);
      assert.deepEqual(seen, [{ n: 2 }]);
      const [job] = await listJobs(storage.db);
      assert.equal(job!.state, "done");
      assert.equal(job!.attempts, 1);
    } finally {
      await r.stop();
      await bus.close();
      await storage.close();
      await db.drop();
    }
  });

  test(`a job that always throws is retried with backoff, then dead; no hot loop (${dialect})`, { timeout: 20_000 }, async () => {
    const { db, storage } = await open(dialect);
    const at: number[] = [];
    const metrics = createMetrics();
    const r = runner(
      storage,
      {
        "t.fail": async () => {
          at.push(Date.now());
          throw new Error("always broken");
        },
      },
      { metrics, backoff: { baseMs: 200, maxMs: 800 }, pollMs: 10 },
    );
    try {
      const id = await enqueueJob(storage.db, "t.fail", {}, { maxAttempts: 4 });
      r.start();
      await waitUntil(async () => (await listJobs(storage.db, { state: "dead" })).length === 1, 10_000, "the job is dead");
      // A window after death: a dead job is never attempted again, however often the runner polls.
      await new Promise((res) => setTimeout(res, 600));
      assert.equal(at.length, 4, "exactly max_attempts attempts");
      // Gaps grow (jitter keeps each in [half, all] of 200, 400, 800 ms).
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      for (const [i, g] of gaps.entries()) assert.ok(g >= (200 * 2 ** i) / 2 - 20, `gap ${i} was ${g} ms`);
      const [job] = await listJobs(storage.db, { state: "dead" });
      assert.equal(job!.id, id);
      assert.equal(job!.attempts, 4);
      assert.equal(job!.lastError, "always broken");
      const text = await metrics.registry.metrics();
      assert.match(text, /parley_jobs_failed_total\{name="t.fail"\} 4/);
      assert.match(text, /parley_jobs_dead_total\{name="t.fail"\} 1/);
      assert.match(text, /parley_jobs_queued 0/);

      // An operator retries it: a fresh set of attempts.
      assert.equal(await retryDeadJob(storage.db, id!), true);
      assert.equal(await retryDeadJob(storage.db, "job_nope"), false);
      await waitUntil(async () => at.length >= 5, 5_000, "the retried job ran");
    } finally {
      await r.stop();
      await storage.close();
      await db.drop();
    }
  });

  test(`a claim whose runner died runs again once its lease expires (${dialect})`, { timeout: 20_000 }, async () => {
    const { db, storage } = await open(dialect);
    const runs: number[] = [];
    const r = runner(storage, {
      "t.crash": async (_p, job) => {
        runs.push(job.attempt);
      },
    });
    try {
      await enqueueJob(storage.db, "t.crash", {});
      // A "process" claims it with a 500 ms lease and is never heard of again (kill -9).
      const claimed = await claimJobs(storage.db, storage.dialect, { runner: "ghost", names: ["t.crash"], limit: 10, now: Date.now(), leaseMs: 500 });
      assert.equal(claimed.length, 1);
      const t0 = Date.now();
      r.start();
      await waitUntil(async () => runs.length === 1, 5_000, "the job ran after the lease");
      assert.ok(Date.now() - t0 >= 400, "not before the lease expired");
      assert.deepEqual(runs, [2], "the dead claim used up attempt 1");
      await waitForJobsIdle(storage.db);
      assert.equal((await listJobs(storage.db))[0]!.state, "done");
    } finally {
      await r.stop();
      await storage.close();
      await db.drop();
    }
  });

  test(`periodic jobs: one per period however many runners; stop hands running claims back (${dialect})`, { timeout: 20_000 }, async () => {
    const { db, storage } = await open(dialect);
    let ticks = 0;
    let release: () => void = () => {};
    const hang = new Promise<void>((res) => {
      release = res;
    });
    const schedules = [{ name: "t.tick", everyMs: 3_600_000 }];
    const handlers: Record<string, JobHandler> = {
      "t.tick": async () => {
        ticks++;
      },
      "t.hang": () => hang,
    };
    const a = runner(storage, handlers, { schedules, stopTimeoutMs: 200 });
    const b = runner(storage, handlers, { schedules });
    try {
      a.start();
      b.start();
      await waitUntil(async () => ticks === 1, 5_000, "the period's job ran");
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(ticks, 1);
      assert.equal((await listJobs(storage.db)).filter((j) => j.name === "t.tick").length, 1);

      await b.stop();
      await enqueueJob(storage.db, "t.hang", {});
      a.nudge();
      await waitUntil(async () => (await listJobs(storage.db, { state: "running" })).length === 1, 5_000, "the hanging job is claimed");
      await a.stop();
      const [job] = (await listJobs(storage.db)).filter((j) => j.name === "t.hang");
      assert.equal(job!.state, "queued", "released at shutdown");
      assert.equal(job!.lockedBy, null);
    } finally {
      release();
      await a.stop();
      await b.stop();
      await storage.close();
      await db.drop();
    }
  });
}
