/**
 * From a committed message to the pushes it causes. The send's transaction enqueues one
 * `notify.fanout` job per channel run of new messages (only when the org has push
 * subscriptions at all, so orgs without push pay one indexed read per batch); the job reads
 * the messages, the members' subscriptions on devices that may read the channel now
 * (access/offline-read.ts: a live session, an active user, the org's policies) and their settings, and enqueues one `push.send` job per
 * subscription to notify — in one transaction, each with a dedupe key, so a retried fan-out
 * never pushes twice. A subscription pushed within PARLEY_PUSH_MIN_INTERVAL_SECONDS is skipped
 * (its next_push_at is moved in the same conditional UPDATE): a busy channel does not flood.
 */
import type { Deps } from "../../context.ts";
import type { CommandEffects } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import type { NewEvent } from "../timeline/append.ts";
import { runCommand } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import { channelLevels, memberSubscriptions, settingsOf } from "./store.ts";
import { devicesMayRead } from "../access/offline-read.ts";
import { shouldNotify } from "@parley/protocol";
import { PUSH_SEND_JOB, type PushJob } from "./push-send.ts";
import { queueMentionEmails } from "./mention-email.ts";

const FANOUT_JOB = "notify.fanout";

interface FanoutJob {
  orgId: string;
  channelId: string;
  from: number;
  to: number;
}

/** In a send's transaction: the mention-email checks, and the fan-out job for the new messages (none when their orgs have no push subscription). */
export async function queueNotifications(tx: Tx, fx: Pick<CommandEffects, "job">, fresh: readonly NewEvent[]): Promise<void> {
  await queueMentionEmails(tx, fx, fresh);
  const runs = new Map<string, FanoutJob>();
  for (const { orgId, row } of fresh) {
    if (row.kind !== "message") continue;
    const run = runs.get(row.channel_id);
    if (run) {
      run.from = Math.min(run.from, row.seq);
      run.to = Math.max(run.to, row.seq);
    } else runs.set(row.channel_id, { orgId, channelId: row.channel_id, from: row.seq, to: row.seq });
  }
  if (!runs.size) return;
  const orgs = [...new Set([...runs.values()].map((r) => r.orgId))];
  const withPush = await tx.selectFrom("push_subscriptions").select("org_id").distinct().where("org_id", "in", orgs).execute();
  const pushOrgs = new Set(withPush.map((r) => r.org_id));
  for (const run of runs.values())
    if (pushOrgs.has(run.orgId)) await fx.job(FANOUT_JOB, run, { dedupeKey: `${FANOUT_JOB}:${run.channelId}:${run.from}`, maxAttempts: 5 });
}

async function fanout(deps: Deps, job: FanoutJob): Promise<void> {
  const channel = await deps.db.selectFrom("channels").select(["kind"]).where("id", "=", job.channelId).where("org_id", "=", job.orgId).executeTakeFirst();
  if (!channel) return;
  const events = await deps.db
    .selectFrom("events")
    .select(["seq", "sender_id", "mentions"])
    .where("channel_id", "=", job.channelId)
    .where("seq", ">=", job.from)
    .where("seq", "<=", job.to)
    .where("kind", "=", "message")
    .orderBy("seq")
    .execute();
  if (!events.length) return;
  const direct = channel.kind === "dm" || channel.kind === "group_dm";
  const now = deps.now();
  const members = await memberSubscriptions(deps.db, job.channelId);
  // Only devices that could read the channel now: a live session, an active user, the org's policies.
  const readers = await devicesMayRead(
    deps,
    job.orgId,
    job.channelId,
    members.map((s) => ({ userId: s.user_id, deviceId: s.device_id })),
  );
  const subs = members.filter((s) => readers.has(s.device_id));
  if (!subs.length) return;
  const users = [...new Set(subs.map((s) => s.user_id))];
  const [settings, overrides] = await Promise.all([settingsOf(deps.db, job.orgId, users), channelLevels(deps.db, job.channelId, users)]);
  // Per subscription, the latest message of the run its owner should hear about.
  const chosen = new Map<string, PushJob>();
  for (const ev of events) {
    const msg = { senderId: ev.sender_id, mentions: JSON.parse(ev.mentions) as string[], direct };
    for (const s of subs)
      if (shouldNotify(s.user_id, msg, settings.get(s.user_id)!, overrides.get(s.user_id), now))
        chosen.set(s.id, { subscriptionId: s.id, orgId: job.orgId, channelId: job.channelId, seq: Number(ev.seq), senderId: ev.sender_id });
  }
  if (!chosen.size) return;
  const interval = deps.config.pushMinIntervalSeconds * 1000;
  await runCommand(deps, systemActor(job.orgId, "server"), FANOUT_JOB, async (tx, fx) => {
    for (const push of chosen.values()) {
      const res = await tx
        .updateTable("push_subscriptions")
        .set({ next_push_at: now + interval })
        .where("id", "=", push.subscriptionId)
        .where("next_push_at", "<=", now)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) continue; // pushed recently (or deleted): rate limited
      await fx.job(PUSH_SEND_JOB, push, { dedupeKey: `${PUSH_SEND_JOB}:${push.subscriptionId}:${push.channelId}:${push.seq}`, maxAttempts: 6 });
    }
  });
}

export function fanoutJobHandlers(deps: Deps): Record<string, JobHandler> {
  return { [FANOUT_JOB]: (payload) => fanout(deps, payload as FanoutJob) };
}
