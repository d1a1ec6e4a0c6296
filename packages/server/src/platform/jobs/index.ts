/**
 * Durable jobs in the database: enqueue in the caller's transaction, run by a
 * JobRunner per process with leases, retries with backoff and dead letters.
 * docs/architecture.md ("Jobs") explains the model; docs/operations.md how to
 * see and retry dead jobs.
 */
export { enqueueJob, listJobs, countJobs, retryDeadJob, jobsIdle, type EnqueueOptions, type JobView } from "./queue.ts";
export { createJobRunner, type JobRunnerOptions, type JobHandler, type JobInfo } from "./runner.ts";
export { type JobSchedule } from "./schedule.ts";
