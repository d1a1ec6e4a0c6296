/**
 * Periodic jobs. Every runner enqueues, once per period, the period's job
 * under the dedupe key `name@period`: whichever process gets there first
 * writes it, the others' inserts are no-ops, so N processes still run it once
 * per period (as long as done rows are kept longer than the period).
 */
import type { Db } from "../db/index.ts";
import { enqueueJob } from "./queue.ts";

/** A job enqueued every `everyMs` (periods aligned to the epoch, not to the process start). */
export interface JobSchedule {
  name: string;
  everyMs: number;
  payload?: unknown;
  maxAttempts?: number;
}

/**
 * Enqueue the current period's job of each schedule not yet enqueued by this
 * runner; `lastPeriod` (the runner's own, by schedule name) saves the insert otherwise.
 */
export async function enqueueSchedules(db: Db, schedules: JobSchedule[], now: number, lastPeriod: Map<string, number>): Promise<void> {
  for (const s of schedules) {
    const period = Math.floor(now / s.everyMs);
    if (lastPeriod.get(s.name) === period) continue;
    await enqueueJob(db, s.name, s.payload ?? null, { dedupeKey: `${s.name}@${period}`, now, ...(s.maxAttempts ? { maxAttempts: s.maxAttempts } : {}) });
    lastPeriod.set(s.name, period);
  }
}
