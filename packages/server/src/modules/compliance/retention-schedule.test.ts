/**
 * The scheduled retention run (PARLEY_RETENTION_EVERY_MINUTES): the job runner enqueues one job
 * per period, server-wide, and that job applies the policy of every org that has one; with 0 no
 * run is ever scheduled and only an on-demand run removes anything.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, type TestUser } from "../../testing/factories.ts";
import { backdateEvents } from "../../testing/retention.ts";
import { waitUntil } from "../../testing/jobs.ts";
import { RETENTION_JOB } from "./retention.ts";
import { complianceJobHandlers } from "./retention-run.ts";

const MINUTE = 60_000;

async function jobsNamed(server: TestServer, name: string): Promise<Array<{ dedupe_key: string | null; state: string; payload: string }>> {
  return server.deps.db.selectFrom("jobs").select(["dedupe_key", "state", "payload"]).where("name", "=", name).execute();
}

/** A channel with one message, back-dated 40 days; its id. */
async function oldMessage(server: TestServer, user: TestUser, name: string): Promise<string> {
  const ch = (await user.api("POST", "/channels", { name, kind: "public" })).body.id as string;
  const r = await user.api("POST", `/channels/${ch}/events`, { clientId: `c-sched-${name}-0000`, kind: "message", content: "AAAA" });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await backdateEvents(server, ch, [r.body.event.seq], 40);
  return ch;
}

async function messagesIn(server: TestServer, channelId: string): Promise<number> {
  const rows = await server.deps.db.selectFrom("events").select("seq").where("channel_id", "=", channelId).where("kind", "=", "message").execute();
  return rows.length;
}

test("a scheduled retention run applies every org's policy; 0 schedules none", { timeout: 60_000 }, async () => {
  const scheduled = await startTestServer({ dialect: "sqlite", config: { retentionEveryMinutes: 1 } });
  try {
    // The runner enqueues this minute's job on its first tick, under the period's dedupe key.
    const period = Math.floor(Date.now() / MINUTE);
    await waitUntil(async () => (await jobsNamed(scheduled, RETENTION_JOB)).some((j) => j.state === "done"), 10_000, "the scheduled job");
    const [job] = await jobsNamed(scheduled, RETENTION_JOB);
    assert.ok(
      [`${RETENTION_JOB}@${period}`, `${RETENTION_JOB}@${period + 1}`].includes(job!.dedupe_key!),
      `one job per period, keyed by the period: ${job!.dedupe_key}`,
    );
    assert.equal(job!.payload, "null", "server-wide: no org named");

    // What that job does each period: every org with a policy, and only those. (The next minute's
    // run may do it first: the rows are checked, not the run's counts.)
    const withPolicy = await bootstrapOrg(scheduled);
    const without = await makeOrg(scheduled);
    const kept = await oldMessage(scheduled, without, "kept");
    const expired = await oldMessage(scheduled, withPolicy, "expired");
    assert.equal((await withPolicy.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);
    await complianceJobHandlers(scheduled.deps)[RETENTION_JOB]!(null, { id: "job_test", name: RETENTION_JOB, attempt: 1, maxAttempts: 5 });
    assert.equal(await messagesIn(scheduled, expired), 0, "the org with a policy lost its old message");
    assert.equal(await messagesIn(scheduled, kept), 1, "the org without one kept it");
  } finally {
    await scheduled.stop();
  }

  const off = await startTestServer({ dialect: "sqlite" }); // the harness's default: retentionEveryMinutes 0
  try {
    // The runner has ticked once another schedule's job is there (the status sweep, every minute).
    await waitUntil(async () => (await jobsNamed(off, "accounts.clear_ended_statuses")).length > 0, 10_000, "the runner's first tick");
    assert.deepEqual(await jobsNamed(off, RETENTION_JOB), [], "no retention job scheduled");
  } finally {
    await off.stop();
  }
});
