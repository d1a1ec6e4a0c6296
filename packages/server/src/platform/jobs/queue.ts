/**
 * Writing and reading job rows. `enqueueJob` takes the caller's transaction:
 * the job commits or rolls back with the change that needs it (an outbox), so
 * a rolled-back command never leaves work behind and a committed one never
 * loses it, whatever happens to the process afterwards.
 */
import type { Kysely } from "kysely";
import type { Database, JobsTable, JobState } from "../db/tables.ts";
import { newId } from "../ids.ts";

/** Attempts before a failing job is declared dead, unless the enqueuer says otherwise. */
const DEFAULT_MAX_ATTEMPTS = 8;

/** Anything that can run queries: the Db or a transaction of it. */
export type Queryable = Kysely<Database>;

export interface EnqueueOptions {
  /** Not before this time (ms); default: now. */
  runAt?: number;
  /** Default DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /** At most one job with this key exists (done rows included, until purged): a second enqueue is a no-op. */
  dedupeKey?: string;
  /** The clock (ms). */
  now?: number;
}

/**
 * Enqueue a job in `tx` (pass the command's transaction). Returns the job id,
 * or undefined when `dedupeKey` already names a job.
 */
export async function enqueueJob(tx: Queryable, name: string, payload: unknown, opts: EnqueueOptions = {}): Promise<string | undefined> {
  const now = opts.now ?? Date.now();
  const id = newId("job");
  const row: JobsTable = {
    id,
    name,
    payload: JSON.stringify(payload ?? null),
    state: "queued",
    attempts: 0,
    max_attempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_at: opts.runAt ?? now,
    locked_by: null,
    locked_until: null,
    last_error: null,
    created_at: now,
    updated_at: now,
    dedupe_key: opts.dedupeKey ?? null,
  };
  const res = await tx
    .insertInto("jobs")
    .values(row)
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0 ? id : undefined;
}

/** A job as operators see it (the CLI). */
export interface JobView {
  id: string;
  name: string;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  lockedBy: string | null;
  lockedUntil: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  dedupeKey: string | null;
}

function jobView(r: JobsTable): JobView {
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    runAt: Number(r.run_at),
    lockedBy: r.locked_by,
    lockedUntil: r.locked_until === null ? null : Number(r.locked_until),
    lastError: r.last_error,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    dedupeKey: r.dedupe_key,
  };
}

/** Jobs, newest first, optionally of one state. */
export async function listJobs(db: Queryable, opts: { state?: JobState; limit?: number } = {}): Promise<JobView[]> {
  let q = db.selectFrom("jobs").selectAll();
  if (opts.state) q = q.where("state", "=", opts.state);
  const rows = await q
    .orderBy("updated_at", "desc")
    .orderBy("id")
    .limit(opts.limit ?? 100)
    .execute();
  return rows.map(jobView);
}

/** How many jobs are in each state. */
export async function countJobs(db: Queryable): Promise<Record<JobState, number>> {
  const rows = await db
    .selectFrom("jobs")
    .select(["state", db.fn.countAll<number>().as("n")])
    .groupBy("state")
    .execute();
  const out: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 };
  for (const r of rows) out[r.state] = Number(r.n);
  return out;
}

/**
 * Give a dead job a fresh set of attempts, due now. Returns false when no dead
 * job has this id (only dead jobs are retried: a queued or running one already will be).
 */
export async function retryDeadJob(db: Queryable, id: string, now = Date.now()): Promise<boolean> {
  const res = await db
    .updateTable("jobs")
    .set({ state: "queued", attempts: 0, run_at: now, updated_at: now, locked_by: null, locked_until: null })
    .where("id", "=", id)
    .where("state", "=", "dead")
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** No job due now or running (tests wait for this instead of sleeping). */
export async function jobsIdle(db: Queryable, now = Date.now()): Promise<boolean> {
  const row = await db
    .selectFrom("jobs")
    .select(db.fn.countAll<number>().as("n"))
    .where((eb) => eb.or([eb("state", "=", "running"), eb.and([eb("state", "=", "queued"), eb("run_at", "<=", now)])]))
    .executeTakeFirstOrThrow();
  return Number(row.n) === 0;
}
