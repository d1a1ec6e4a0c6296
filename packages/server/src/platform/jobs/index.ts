/**
 * Durable jobs in the database: enqueue in the caller's transaction, run by a
 * JobRunner per process with leases, retries with backoff and dead letters.
 * docs/architecture.md ("Jobs") explains the model; docs/operations.md how to
 * see and retry dead jobs.
 */
export { enqueueJob, listJobs, countJobs, retryDeadJob, jobsIdle, DEFAULT_MAX_ATTEMPTS, type EnqueueOptions, type JobView } from "./queue.ts";
export { createJobRunner, type JobRunner, type JobRunnerOptions, type JobHandler, type JobInfo } from "./runner.ts";
export { type JobSchedule } from "./schedule.ts";
export { retryDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff.ts";
