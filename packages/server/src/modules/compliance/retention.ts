/**
 * Retention policies (issue 11, docs/compliance.md): how long the org keeps channel events,
 * attachments and audit entries, with per-channel overrides of the first two. The run that
 * applies them is retention-run.ts; every change here is audited with both values.
 */
import type { ChannelRetention, OrgRetention, RetentionRun } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { RetentionPoliciesTable } from "../../platform/db/compliance-tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { notFound } from "../../core/errors.ts";
import { requireCompliance } from "./holds.ts";

type Q = Tx | Deps["db"];
const DAY_MS = 86_400_000;
/** The org's default row has channel_id ''. */
const ORG_DEFAULT = "";

const toDays = (ms: number | null) => (ms === null ? null : Math.round(Number(ms) / DAY_MS));
const toMs = (days: number | null) => (days === null ? null : days * DAY_MS);

/** The org default and the channel overrides, as stored. */
export async function retentionRows(q: Q, orgId: string): Promise<{ org: RetentionPoliciesTable | undefined; channels: RetentionPoliciesTable[] }> {
  const rows = await q.selectFrom("retention_policies").selectAll().where("org_id", "=", orgId).execute();
  return { org: rows.find((r) => r.channel_id === ORG_DEFAULT), channels: rows.filter((r) => r.channel_id !== ORG_DEFAULT) };
}

function orgView(r: RetentionPoliciesTable | undefined): OrgRetention {
  return { eventsDays: toDays(r?.events_ms ?? null), filesDays: toDays(r?.files_ms ?? null), auditDays: toDays(r?.audit_ms ?? null) };
}

export async function getRetention(deps: Deps, p: Actor): Promise<{ org: OrgRetention; channels: ChannelRetention[]; lastRun: RetentionRun | null }> {
  requireCompliance(p);
  const { org, channels } = await retentionRows(deps.db, p.orgId);
  const names = channels.length
    ? new Map(
        (
          await deps.db
            .selectFrom("channels")
            .select(["id", "name"])
            .where(
              "id",
              "in",
              channels.map((c) => c.channel_id),
            )
            .execute()
        ).map((c) => [c.id, c.name]),
      )
    : new Map<string, string>();
  const run = await deps.db.selectFrom("retention_status").selectAll().where("org_id", "=", p.orgId).executeTakeFirst();
  return {
    org: orgView(org),
    channels: channels
      .map((c) => ({
        channelId: c.channel_id,
        channelName: names.get(c.channel_id) ?? c.channel_id,
        eventsDays: toDays(c.events_ms),
        filesDays: toDays(c.files_ms),
        updatedAt: Number(c.updated_at),
      }))
      .sort((a, b) => a.channelName.localeCompare(b.channelName)),
    lastRun: run
      ? {
          startedAt: Number(run.started_at),
          finishedAt: run.finished_at === null ? null : Number(run.finished_at),
          eventsDeleted: Number(run.events_deleted),
          eventsHeld: Number(run.events_held),
          filesDeleted: Number(run.files_deleted),
          auditDeleted: Number(run.audit_deleted),
        }
      : null,
  };
}

async function upsert(tx: Tx, row: RetentionPoliciesTable): Promise<void> {
  await tx
    .insertInto("retention_policies")
    .values(row)
    .onConflict((oc) =>
      oc.columns(["org_id", "channel_id"]).doUpdateSet({
        events_ms: row.events_ms,
        files_ms: row.files_ms,
        audit_ms: row.audit_ms,
        updated_by: row.updated_by,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function setRetention(deps: Deps, p: Actor, input: OrgRetention): Promise<OrgRetention> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.setRetention", async (tx, fx) => {
    const before = orgView((await retentionRows(tx, p.orgId)).org);
    await upsert(tx, {
      org_id: p.orgId,
      channel_id: ORG_DEFAULT,
      events_ms: toMs(input.eventsDays),
      files_ms: toMs(input.filesDays),
      audit_ms: toMs(input.auditDays),
      updated_by: actorRef(p),
      updated_at: deps.now(),
    });
    fx.audit({ action: "retention.policy.set", target: { kind: "org", id: p.orgId }, result: "success", details: { from: before, to: input } });
    return input;
  });
}

async function channelName(tx: Tx, orgId: string, channelId: string): Promise<string> {
  const ch = await tx.selectFrom("channels").select("name").where("org_id", "=", orgId).where("id", "=", channelId).executeTakeFirst();
  if (!ch) throw notFound("channel");
  return ch.name;
}

export async function setChannelRetention(
  deps: Deps,
  p: Actor,
  channelId: string,
  input: { eventsDays: number | null; filesDays: number | null },
): Promise<ChannelRetention> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.setChannelRetention", async (tx, fx) => {
    const name = await channelName(tx, p.orgId, channelId);
    const now = deps.now();
    await upsert(tx, {
      org_id: p.orgId,
      channel_id: channelId,
      events_ms: toMs(input.eventsDays),
      files_ms: toMs(input.filesDays),
      audit_ms: null,
      updated_by: actorRef(p),
      updated_at: now,
    });
    fx.audit({ action: "retention.channel.set", target: { kind: "channel", id: channelId }, result: "success", details: { channelId, ...input } });
    return { channelId, channelName: name, ...input, updatedAt: now };
  });
}

export async function clearChannelRetention(deps: Deps, p: Actor, channelId: string): Promise<void> {
  requireCompliance(p);
  await runCommand(deps, p, "compliance.clearChannelRetention", async (tx, fx) => {
    await channelName(tx, p.orgId, channelId);
    const res = await tx.deleteFrom("retention_policies").where("org_id", "=", p.orgId).where("channel_id", "=", channelId).executeTakeFirst();
    if (Number(res.numDeletedRows) > 0)
      fx.audit({ action: "retention.channel.cleared", target: { kind: "channel", id: channelId }, result: "success", details: { channelId } });
  });
}

/** The durable job that runs an org's retention (retention-run.ts handles it). */
export const RETENTION_JOB = "compliance.retention";

/** Enqueue the org's retention run now (a durable job; the answer names it). */
export async function requestRetentionRun(deps: Deps, p: Actor): Promise<{ jobId: string }> {
  requireCompliance(p);
  return runCommand(deps, p, "compliance.runRetention", async (_tx, fx) => {
    const jobId = (await fx.job(RETENTION_JOB, { orgId: p.orgId }, { maxAttempts: 5 }))!;
    fx.audit({ action: "retention.run.requested", target: { kind: "org", id: p.orgId }, result: "success", details: { jobId } });
    return { jobId };
  });
}
