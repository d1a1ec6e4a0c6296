/**
 * `parley admin jobs`: the server's durable jobs (platform/jobs), read from the
 * database directly, so it works whether or not a server runs. Jobs are
 * server-wide (not one org's), which is why this is an operator command and
 * not an org admin's REST route. `retry` gives a dead job a fresh set of
 * attempts; a running server claims it at its next poll.
 */
import type { JobView } from "@parley/server";
import { int, str, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { openOffline } from "../offline.ts";
import { SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

const STATES = ["queued", "running", "done", "dead"] as const;
type State = (typeof STATES)[number];

function line(j: JobView): string {
  const when = new Date(j.updatedAt).toISOString();
  const err = j.lastError ? `  ${j.lastError.split("\n")[0]!.slice(0, 120)}` : "";
  return `${j.id}  ${j.state.padEnd(7)}  ${j.name}  attempts ${j.attempts}/${j.maxAttempts}  ${when}${err}`;
}

export const jobsAdminCommands: Command[] = [
  {
    name: ["admin", "jobs"],
    usage: "[--state queued|running|done|dead] [--limit N]",
    summary: "List the server's durable jobs (newest first) and how many are in each state; dead jobs are the ones to look at",
    options: { ...SERVER_OPTIONS, state: { type: "string" }, limit: { type: "string" } },
    async run(ctx) {
      const state = str(ctx.opts, "state");
      if (state !== undefined && !STATES.includes(state as State)) throw new UsageError(`--state must be one of ${STATES.join(", ")}`);
      const limit = int(str(ctx.opts, "limit"), "--limit") ?? 50;
      const db = await openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
      try {
        const [counts, jobs] = await Promise.all([
          db.server.countJobs(db.deps.db),
          db.server.listJobs(db.deps.db, { ...(state ? { state: state as State } : {}), limit }),
        ]);
        ctx.out.result({ counts, jobs }, () => [STATES.map((s) => `${s} ${counts[s]}`).join("  "), ...jobs.map(line)]);
      } finally {
        await db.close();
      }
    },
  },
  {
    name: ["admin", "jobs", "retry"],
    usage: "JOB_ID",
    min: 1,
    summary: "Give a dead job a fresh set of attempts (a running server runs it at its next poll, or the next server start does)",
    options: { ...SERVER_OPTIONS },
    async run(ctx) {
      const id = ctx.args[0]!;
      const db = await openOffline(serverConfigFromFlags(ctx.opts), ctx.env, (name) => ctx.out.note(`migrating database: applied ${name}`));
      try {
        if (!(await db.server.retryDeadJob(db.deps.db, id))) {
          throw new CliError("not_found", `no dead job ${id}`, "list dead jobs with `parley admin jobs --state dead`");
        }
      } finally {
        await db.close();
      }
      ctx.out.result({ retried: id }, `job ${id} queued again`);
    },
  },
];
