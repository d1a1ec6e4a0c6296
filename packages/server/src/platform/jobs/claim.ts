/**
 * Claiming and settling jobs. A claim sets state `running`, bumps `attempts`
 * (so a job that crashes its process still uses up attempts) and takes a lease
 * (`locked_by`, `locked_until`). Every later write names the claim it settles
 * (runner id + attempt), so a runner whose lease expired and was taken over
 * cannot overwrite the new claim.
 *
 * PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED in a transaction, then UPDATE:
 * concurrent runners skip each other's rows instead of waiting or double-claiming.
 * SQLite: one UPDATE ... WHERE id IN (SELECT ...) RETURNING: SQLite has a single
 * writer, so the statement is atomic against every other process on the file.
 */
import { sql, type ExpressionBuilder } from "kysely";
import type { Database, JobsTable } from "../db/tables.ts";
import type { Db, Dialect } from "../db/index.ts";

/** A claimed job. */
export interface ClaimedJob {
  id: string;
  name: string;
  payload: string;
  attempts: number;
  maxAttempts: number;
}

export interface ClaimRequest {
  /** Who claims (written to locked_by). */
  runner: string;
  /** Only these job names (a runner claims only what it has handlers for). */
  names: string[];
  limit: number;
  now: number;
  leaseMs: number;
}

function claimable(eb: ExpressionBuilder<Database, "jobs">, r: ClaimRequest) {
  return eb.and([
    eb("name", "in", r.names),
    eb("attempts", "<", eb.ref("max_attempts")),
    eb.or([
      eb.and([eb("state", "=", "queued"), eb("run_at", "<=", r.now)]),
      // A lease that ran out: its runner died (kill -9) or hangs.
      eb.and([eb("state", "=", "running"), eb("locked_until", "<", r.now)]),
    ]),
  ]);
}

/** Claim up to `limit` due jobs. */
export async function claimJobs(db: Db, dialect: Dialect, r: ClaimRequest): Promise<ClaimedJob[]> {
  if (r.limit <= 0 || r.names.length === 0) return [];
  const set = { state: "running" as const, locked_by: r.runner, locked_until: r.now + r.leaseMs, attempts: sql<number>`attempts + 1`, updated_at: r.now };
  let rows: Pick<JobsTable, "id" | "name" | "payload" | "attempts" | "max_attempts">[];
  if (dialect === "postgres") {
    rows = await db.transaction().execute(async (tx) => {
      const ids = await tx
        .selectFrom("jobs")
        .select("id")
        .where((eb) => claimable(eb, r))
        .orderBy("run_at")
        .limit(r.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (ids.length === 0) return [];
      return tx
        .updateTable("jobs")
        .set(set)
        .where(
          "id",
          "in",
          ids.map((x) => x.id),
        )
        .returning(["id", "name", "payload", "attempts", "max_attempts"])
        .execute();
    });
  } else {
    rows = await db
      .updateTable("jobs")
      .set(set)
      .where("id", "in", (eb) =>
        eb
          .selectFrom("jobs")
          .select("id")
          .where((e) => claimable(e, r))
          .orderBy("run_at")
          .limit(r.limit),
      )
      .returning(["id", "name", "payload", "attempts", "max_attempts"])
      .execute();
  }
  return rows.map((x) => ({ id: x.id, name: x.name, payload: x.payload, attempts: Number(x.attempts), maxAttempts: Number(x.max_attempts) }));
}

/** Which claim a write settles. */
export interface ClaimRef {
  id: string;
  runner: string;
  attempts: number;
}

function ours(eb: ExpressionBuilder<Database, "jobs">, c: ClaimRef) {
  return eb.and([eb("id", "=", c.id), eb("state", "=", "running"), eb("locked_by", "=", c.runner), eb("attempts", "=", c.attempts)]);
}

/** The handler succeeded. Returns false if the claim was lost meanwhile. */
export async function markDone(db: Db, c: ClaimRef, now: number): Promise<boolean> {
  const res = await db
    .updateTable("jobs")
    .set({ state: "done", locked_by: null, locked_until: null, last_error: null, updated_at: now })
    .where((eb) => ours(eb, c))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The handler failed: queue it again at `retryAt`, or declare it dead when `retryAt` is undefined. */
export async function markFailed(db: Db, c: ClaimRef, error: string, now: number, retryAt: number | undefined): Promise<boolean> {
  const res = await db
    .updateTable("jobs")
    .set(
      retryAt === undefined
        ? { state: "dead", locked_by: null, locked_until: null, last_error: error, updated_at: now }
        : { state: "queued", locked_by: null, locked_until: null, last_error: error, run_at: retryAt, updated_at: now },
    )
    .where((eb) => ours(eb, c))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Extend the lease of a job still running. */
export async function renewLease(db: Db, c: ClaimRef, until: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable("jobs")
    .set({ locked_until: until, updated_at: now })
    .where((eb) => ours(eb, c))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Hand a claim back (graceful stop): due now, its attempt kept. */
export async function releaseClaim(db: Db, c: ClaimRef, now: number): Promise<void> {
  await db
    .updateTable("jobs")
    .set({ state: "queued", locked_by: null, locked_until: null, run_at: now, updated_at: now, last_error: "released at shutdown" })
    .where((eb) => ours(eb, c))
    .execute();
}

/**
 * Jobs whose lease expired on their last attempt are dead: the process running
 * them died (or they hang) every time. Returns how many, by name.
 */
export async function buryExpired(db: Db, now: number): Promise<string[]> {
  const rows = await db
    .updateTable("jobs")
    .set({
      state: "dead",
      locked_by: null,
      locked_until: null,
      last_error: "lease expired on the last attempt (the runner died or the job hung)",
      updated_at: now,
    })
    .where("state", "=", "running")
    .where("locked_until", "<", now)
    .where((eb) => eb("attempts", ">=", eb.ref("max_attempts")))
    .returning("name")
    .execute();
  return rows.map((r) => r.name);
}

/** Delete done jobs last updated before `before`, at most `limit` of them. */
export async function purgeDone(db: Db, before: number, limit: number): Promise<number> {
  const res = await db
    .deleteFrom("jobs")
    .where("id", "in", (eb) => eb.selectFrom("jobs").select("id").where("state", "=", "done").where("updated_at", "<", before).limit(limit))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
