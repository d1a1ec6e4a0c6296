/**
 * The job runner: one per server process. A bounded loop claims a small batch
 * of due jobs (claim.ts), runs each through its handler with the lease renewed
 * while it runs, and settles it: done, queued again after a backoff, or dead
 * after its last attempt. It wakes every `pollMs`, and at once when a commit on
 * this node enqueued a job (the bus topic "jobs.enqueued") or a slot freed up
 * while more work was waiting. Several processes may run on one database: the
 * claim gives each job to one of them, and an expired lease (its process was
 * killed) makes the job claimable again, so handlers must be idempotent.
 */
import type { Db, Dialect } from "../db/index.ts";
import type { Bus } from "../bus/bus.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { DEFAULT_BACKOFF, retryDelay, type Backoff } from "./backoff.ts";
import { buryExpired, claimJobs, markDone, markFailed, purgeDone, releaseClaim, renewLease, type ClaimRef, type ClaimedJob } from "./claim.ts";
import { enqueueSchedules, type JobSchedule } from "./schedule.ts";
import { annotateSpan, inSpan, SpanKind } from "../tracing.ts";

/** What a handler learns about the job it runs. */
export interface JobInfo {
  id: string;
  name: string;
  attempt: number;
  maxAttempts: number;
}

/** Runs one job; throwing means "failed, retry later". Must be idempotent (a job may run again after a crash). */
export type JobHandler = (payload: unknown, job: JobInfo) => Promise<void>;

export interface JobRunnerOptions {
  db: Db;
  dialect: Dialect;
  log: Logger;
  /** This process's id (written to locked_by). */
  runnerId: string;
  handlers: Record<string, JobHandler>;
  schedules?: JobSchedule[];
  metrics?: Metrics;
  /** Nudges from commits ("jobs.enqueued"). */
  bus?: Bus;
  /** Longest wait between claims when nothing nudges (default 1 s). */
  pollMs?: number;
  /** Lease per claim, renewed every third of it while the handler runs (default 60 s). */
  leaseMs?: number;
  /** Jobs run at once by this process (default 4). */
  concurrency?: number;
  backoff?: Backoff;
  /** How long stop() waits for running handlers before releasing their claims (default 10 s). */
  stopTimeoutMs?: number;
  /** How long done jobs are kept (dedupe keys of periodic jobs must outlive their period; default 1 h). */
  doneRetentionMs?: number;
  now?: () => number;
}

export interface JobRunner {
  /** Begin claiming. */
  start(): void;
  /** Claim now rather than at the next poll. */
  nudge(): void;
  /** Stop claiming, wait (bounded) for running handlers, release the claims of those still running. */
  stop(): Promise<void>;
}

const MAINTENANCE_EVERY_MS = 5_000;

/** Build a runner; nothing happens until start(). */
export function createJobRunner(o: JobRunnerOptions): JobRunner {
  const pollMs = o.pollMs ?? 1_000;
  const leaseMs = o.leaseMs ?? 60_000;
  const concurrency = o.concurrency ?? 4;
  const now = o.now ?? Date.now;
  const names = Object.keys(o.handlers);
  const log = o.log.child({ module: "jobs", runner: o.runnerId });
  const running = new Map<string, { ref: ClaimRef; done: Promise<void> }>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let nudged = false;
  let wake: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let lastMaintenance = 0;
  let moreWaiting = false;
  const schedulePeriods = new Map<string, number>();
  const queuedSource = async () => {
    const r = await o.db.selectFrom("jobs").select(o.db.fn.countAll<number>().as("n")).where("state", "=", "queued").executeTakeFirstOrThrow();
    return Number(r.n);
  };

  function nudge(): void {
    nudged = true;
    wake?.();
  }

  function sleep(ms: number): Promise<void> {
    if (nudged || stopping) {
      nudged = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        nudged = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });
  }

  async function maintain(t: number): Promise<void> {
    lastMaintenance = t;
    for (const name of await buryExpired(o.db, t)) {
      o.metrics?.jobsDead.inc({ name });
      log.error({ job: name }, "job dead: its lease expired on the last attempt");
    }
    await purgeDone(o.db, t - (o.doneRetentionMs ?? 3_600_000), 500);
    if (o.schedules?.length) await enqueueSchedules(o.db, o.schedules, t, schedulePeriods);
  }

  async function tick(): Promise<void> {
    const t = now();
    if (t - lastMaintenance >= MAINTENANCE_EVERY_MS) await maintain(t);
    const free = concurrency - running.size;
    if (free <= 0 || stopping) return;
    const jobs = await claimJobs(o.db, o.dialect, { runner: o.runnerId, names, limit: free, now: now(), leaseMs });
    moreWaiting = jobs.length === free;
    for (const job of jobs) {
      const ref: ClaimRef = { id: job.id, runner: o.runnerId, attempts: job.attempts };
      running.set(job.id, {
        ref,
        // A span per run when tracing is on (platform/tracing.ts): name, attempt, outcome.
        done: inSpan(
          `job ${job.name}`,
          { "parley.job.name": job.name, "parley.job.id": job.id, "parley.job.attempt": job.attempts, "parley.job.max_attempts": job.maxAttempts },
          () => run(job, ref),
          SpanKind.CONSUMER,
        ).finally(() => {
          running.delete(job.id);
          if (moreWaiting) nudge();
        }),
      });
    }
  }

  async function run(job: ClaimedJob, ref: ClaimRef): Promise<void> {
    const handler = o.handlers[job.name]!;
    const started = performance.now();
    const renew = setInterval(
      () => {
        renewLease(o.db, ref, now() + leaseMs, now()).catch((err: unknown) => log.warn({ err, jobId: job.id }, "renewing a job lease failed"));
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renew.unref();
    try {
      await handler(JSON.parse(job.payload) as unknown, { id: job.id, name: job.name, attempt: job.attempts, maxAttempts: job.maxAttempts });
      clearInterval(renew);
      o.metrics?.jobsRun.inc({ name: job.name });
      annotateSpan({ "parley.job.outcome": "done" });
      if (!(await markDone(o.db, ref, now()))) log.warn({ jobId: job.id, job: job.name }, "job finished after its claim was lost (it may run again)");
    } catch (err) {
      clearInterval(renew);
      o.metrics?.jobsFailed.inc({ name: job.name });
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 2000);
      const dead = job.attempts >= job.maxAttempts;
      const retryAt = dead ? undefined : now() + retryDelay(job.attempts, o.backoff ?? DEFAULT_BACKOFF);
      annotateSpan({ "parley.job.outcome": dead ? "dead" : "retry" }, err);
      try {
        const settled = await markFailed(o.db, ref, message, now(), retryAt);
        if (dead && settled) {
          o.metrics?.jobsDead.inc({ name: job.name });
          log.error({ err, jobId: job.id, job: job.name, attempts: job.attempts }, "job dead: out of attempts");
        } else {
          log.warn({ err, jobId: job.id, job: job.name, attempt: job.attempts, retryAt }, "job failed; will retry");
        }
      } catch (e) {
        // The lease runs out and the job is claimed again.
        log.error({ err: e, jobId: job.id }, "recording a job failure failed");
      }
    } finally {
      o.metrics?.jobDuration.observe({ name: job.name }, (performance.now() - started) / 1000);
    }
  }

  async function runLoop(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      try {
        await tick();
        failures = 0;
      } catch (err) {
        failures++;
        log.warn({ err }, "claiming jobs failed");
      }
      if (stopping) break;
      if (moreWaiting && running.size < concurrency && failures === 0) continue;
      // Back off while the database fails, up to 30 s.
      await sleep(failures ? Math.min(30_000, pollMs * 2 ** Math.min(failures, 5)) : pollMs);
    }
  }

  return {
    nudge,
    start() {
      if (loop) return;
      unsubscribe = o.bus?.subscribe("jobs.enqueued", (m) => {
        if (m.name in o.handlers) nudge();
      });
      o.metrics?.jobsQueuedSources.add(queuedSource);
      loop = runLoop();
    },
    async stop() {
      stopping = true;
      wake?.();
      unsubscribe?.();
      o.metrics?.jobsQueuedSources.delete(queuedSource);
      await loop;
      const inFlight = [...running.values()];
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(inFlight.map((r) => r.done)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, o.stopTimeoutMs ?? 10_000);
        }),
      ]);
      clearTimeout(timer);
      for (const { ref } of running.values()) {
        await releaseClaim(o.db, ref, now()).catch((err: unknown) => log.warn({ err, jobId: ref.id }, "releasing a job claim failed"));
      }
    },
  };
}
