/**
 * The retention run (issue 11, docs/compliance.md): a durable job, scheduled (hourly by default) and on demand, that
 * applies each org's retention policy.
 * - Events: in every channel no hold covers, the messages, reactions, edits, deletions and
 *   history-key events older than the period are removed; an event whose sender is held moves
 *   to held_events instead (out of every member-facing read). MLS commits and proposals stay
 *   (no user content; devices that fell behind still follow the group). The channel's
 *   retention floor then moves up and every member is told (a `channel.updated` item), so
 *   their devices delete their own copies below it.
 * - Attachments older than the files period are removed (the message stays).
 * - What a released hold alone kept is removed.
 * - Audit entries older than the audit period are pruned down to the newest signed
 *   checkpoint before the cut-off; that checkpoint anchors the rest of the chain.
 * Work is done in batches, one command each: a run killed midway leaves whole batches done
 * and the floor unmoved, and the next run carries on. Blobs are removed by a durable job
 * enqueued in the batch that marked their rows, so rows and blobs end up agreeing.
 */
import type { RetentionRun } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { JobHandler, JobSchedule } from "../../platform/jobs/index.ts";
import type { EventsTable } from "../../platform/db/tables.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { RetentionPoliciesTable } from "../../platform/db/compliance-tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { deleteFilesOfEvents } from "../files/store.ts";
import { deletePinsBelow } from "../channels/pin-store.ts";
import { DELETE_BLOBS_JOB } from "../files/gc.ts";
import { channelData, tellUsers } from "../channels/notify.ts";
import { memberIds, toChannel } from "../channels/store.ts";
import { activeHolds, heldChannelIds } from "./holds.ts";
import { RETENTION_JOB, retentionRows } from "./retention.ts";
import { forgetThreads } from "../inbox/thread-activity.ts";

/** Event kinds retention removes: what users wrote, and the history keys sent with it. */
const CONTENT_KINDS: EventsTable["kind"][] = ["message", "reaction", "edit", "delete", "keys"];
const DEFAULT_BATCH = 500;

export interface RetentionOptions {
  /** The clock (tests pass one). */
  now?: number;
  /** Rows per command. */
  batch?: number;
  /** Awaited after each batch commits, before the next (a test paces a run with it, to stop the process midway). */
  afterBatch?: () => Promise<void>;
}

type Counts = { eventsDeleted: number; eventsHeld: number; filesDeleted: number; auditDeleted: number };

interface RunCtx {
  deps: Deps;
  orgId: string;
  now: number;
  batch: number;
  afterBatch: () => Promise<void>;
  /** Channels held when the run started (skipped outright; each batch checks again). */
  heldChannels: Set<string>;
  counts: Counts;
}

const system = { kind: "system" } as const;

/** Mark the run's progress (the admin page shows it; an interrupted run keeps finished_at null). */
async function saveStatus(c: RunCtx, finished: boolean, startedAt: number): Promise<void> {
  const row = {
    org_id: c.orgId,
    started_at: startedAt,
    finished_at: finished ? c.deps.now() : null,
    events_deleted: c.counts.eventsDeleted,
    events_held: c.counts.eventsHeld,
    files_deleted: c.counts.filesDeleted,
    audit_deleted: c.counts.auditDeleted,
  };
  const { org_id: _o, ...set } = row;
  await c.deps.db
    .insertInto("retention_status")
    .values(row)
    .onConflict((oc) => oc.column("org_id").doUpdateSet(set))
    .execute();
}

async function blobJob(fx: CommandEffects, ids: readonly string[]): Promise<void> {
  if (ids.length) await fx.job(DELETE_BLOBS_JOB, { ids });
}

/**
 * The holds as they stand in this batch's transaction: a hold placed while a long run is under
 * way covers what the run has not reached yet.
 */
async function holdsNow(tx: Tx, orgId: string): Promise<{ users: Set<string>; channels: Set<string> }> {
  const holds = await activeHolds(tx, orgId);
  return { users: holds.users, channels: await heldChannelIds(tx, orgId, holds) };
}

/** The first seq a member may still see: the oldest event written at or after the cut-off. */
async function newFloor(c: RunCtx, channelId: string, from: number, cutoff: number): Promise<number> {
  const first = await c.deps.db
    .selectFrom("events")
    .select("seq")
    .where("channel_id", "=", channelId)
    .where("seq", ">=", from)
    .where("created_at", ">=", cutoff)
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  if (first) return Number(first.seq);
  const ch = await c.deps.db.selectFrom("channels").select("last_seq").where("id", "=", channelId).executeTakeFirstOrThrow();
  return Number(ch.last_seq) + 1;
}

async function expireEvents(c: RunCtx, channelId: string, cutoff: number): Promise<void> {
  const ch = await c.deps.db.selectFrom("channels").select("retention_floor").where("id", "=", channelId).executeTakeFirstOrThrow();
  const current = Number(ch.retention_floor);
  const floor = await newFloor(c, channelId, current, cutoff);
  for (;;) {
    const done = await runCommand(c.deps, null, "compliance.retention.events", async (tx, fx) => {
      const holds = await holdsNow(tx, c.orgId);
      if (holds.channels.has(channelId)) return true; // held since the run started: leave it all, floor unmoved
      const rows = await tx
        .selectFrom("events")
        .selectAll()
        .where("channel_id", "=", channelId)
        .where("seq", "<", floor)
        .where("kind", "in", CONTENT_KINDS)
        .orderBy("seq")
        .limit(c.batch)
        .execute();
      if (rows.length === 0) {
        if (floor <= current) return true;
        // Everything below the floor is gone: move it and tell the members' devices to purge.
        const row = await tx.updateTable("channels").set({ retention_floor: floor }).where("id", "=", channelId).returningAll().executeTakeFirstOrThrow();
        // Pins of removed messages go with them (clients drop pins below the floor they are told of).
        await deletePinsBelow(tx, channelId, floor);
        const members = await memberIds(tx, channelId);
        await tellUsers({ tx, after: fx, orgId: c.orgId, channelId, now: c.now }, members, "channel.updated", {
          ...channelData(toChannel(row, members.length)),
          by: null,
          reason: "retention",
        });
        fx.audit({
          orgId: c.orgId,
          actor: system,
          action: "retention.channel.purged",
          target: { kind: "channel", id: channelId },
          result: "success",
          details: { channelId, floor, previousFloor: current },
        });
        return true;
      }
      const held = rows.filter((r) => holds.users.has(r.sender_id));
      if (held.length) {
        await tx
          .insertInto("held_events")
          .values(
            held.map((r) => ({
              org_id: c.orgId,
              channel_id: r.channel_id,
              seq: r.seq,
              id: r.id,
              client_id: r.client_id,
              sender_id: r.sender_id,
              sender_device_id: r.sender_device_id,
              kind: r.kind,
              epoch: r.epoch,
              generation: r.generation ?? 0,
              content: r.content,
              archive: r.archive ?? null,
              thread_root: r.thread_root,
              target: r.target,
              files: r.files ?? "[]",
              created_at: r.created_at,
              held_at: c.now,
            })),
          )
          .execute();
      }
      const seqs = rows.map((r) => Number(r.seq));
      const heldSeqs = held.map((r) => Number(r.seq));
      const heldFiles = await deleteFilesOfEvents(tx, channelId, heldSeqs, c.now);
      if (heldFiles.length)
        await tx
          .insertInto("held_files")
          .values(heldFiles.map((file_id) => ({ file_id, org_id: c.orgId, held_at: c.now })))
          .execute();
      const doomed = await deleteFilesOfEvents(
        tx,
        channelId,
        seqs.filter((s) => !heldSeqs.includes(s)),
        c.now,
      );
      await blobJob(fx, doomed);
      await tx.deleteFrom("mentions").where("channel_id", "=", channelId).where("seq", "in", seqs).execute();
      await forgetThreads(tx, channelId, seqs);
      await tx.deleteFrom("events").where("channel_id", "=", channelId).where("seq", "in", seqs).execute();
      fx.audit({
        orgId: c.orgId,
        actor: system,
        action: "retention.events.removed",
        target: { kind: "channel", id: channelId },
        result: "success",
        details: { channelId, fromSeq: seqs[0]!, toSeq: seqs[seqs.length - 1]!, deleted: rows.length - held.length, held: held.length, files: doomed.length },
      });
      c.counts.eventsDeleted += rows.length - held.length;
      c.counts.eventsHeld += held.length;
      c.counts.filesDeleted += doomed.length;
      c.deps.metrics.retentionRemoved.inc({ kind: "events" }, rows.length - held.length);
      c.deps.metrics.retentionRemoved.inc({ kind: "events_held" }, held.length);
      c.deps.metrics.retentionRemoved.inc({ kind: "files" }, doomed.length);
      return false;
    });
    if (done) return;
    await c.afterBatch();
  }
}

async function expireFiles(c: RunCtx, channelId: string, cutoff: number): Promise<void> {
  for (;;) {
    const n = await runCommand(c.deps, null, "compliance.retention.files", async (tx, fx) => {
      const holds = await holdsNow(tx, c.orgId);
      if (holds.channels.has(channelId)) return 0;
      let q = tx
        .selectFrom("files")
        .select("id")
        .where("channel_id", "=", channelId)
        .where("deleted_at", "is", null)
        .where("event_seq", "is not", null)
        .where("created_at", "<", cutoff);
      if (holds.users.size) q = q.where("uploader_id", "not in", [...holds.users]);
      const ids = (await q.orderBy("created_at").limit(c.batch).execute()).map((r) => r.id);
      if (!ids.length) return 0;
      await tx.updateTable("files").set({ deleted_at: c.now }).where("id", "in", ids).execute();
      await blobJob(fx, ids);
      fx.audit({
        orgId: c.orgId,
        actor: system,
        action: "retention.files.removed",
        target: { kind: "channel", id: channelId },
        result: "success",
        details: { channelId, files: ids },
      });
      return ids.length;
    });
    c.counts.filesDeleted += n;
    c.deps.metrics.retentionRemoved.inc({ kind: "files" }, n);
    if (n < c.batch) return;
    await c.afterBatch();
  }
}

/** Remove what only a released hold kept: held events and held attachments no active hold covers. */
async function purgeReleased(c: RunCtx): Promise<void> {
  for (;;) {
    const n = await runCommand(c.deps, null, "compliance.retention.released", async (tx, fx) => {
      const holds = await holdsNow(tx, c.orgId);
      const users = [...holds.users];
      const channels = [...holds.channels];
      let ev = tx.selectFrom("held_events").select(["channel_id", "seq"]).where("org_id", "=", c.orgId);
      if (channels.length) ev = ev.where("channel_id", "not in", channels);
      if (users.length) ev = ev.where("sender_id", "not in", users);
      const events = await ev.orderBy("channel_id").orderBy("seq").limit(c.batch).execute();
      for (const e of events) await tx.deleteFrom("held_events").where("channel_id", "=", e.channel_id).where("seq", "=", e.seq).execute();
      let fq = tx.selectFrom("held_files as h").innerJoin("files as f", "f.id", "h.file_id").select("h.file_id").where("h.org_id", "=", c.orgId);
      if (channels.length) fq = fq.where("f.channel_id", "not in", channels);
      if (users.length) fq = fq.where("f.uploader_id", "not in", users);
      const files = (await fq.limit(c.batch).execute()).map((r) => r.file_id);
      if (files.length) await tx.deleteFrom("held_files").where("file_id", "in", files).execute();
      await blobJob(fx, files);
      if (events.length || files.length) {
        fx.audit({
          orgId: c.orgId,
          actor: system,
          action: "retention.released.removed",
          target: { kind: "org", id: c.orgId },
          result: "success",
          details: { events: events.length, files: files.length },
        });
      }
      c.counts.eventsDeleted += events.length;
      c.counts.filesDeleted += files.length;
      c.deps.metrics.retentionRemoved.inc({ kind: "events" }, events.length);
      c.deps.metrics.retentionRemoved.inc({ kind: "files" }, files.length);
      return Math.max(events.length, files.length);
    });
    if (n < c.batch) return;
    await c.afterBatch();
  }
}

/** Prune audit entries older than the cut-off, down to the newest signed checkpoint before it. */
async function pruneAudit(c: RunCtx, cutoff: number): Promise<void> {
  const db = c.deps.db;
  const cp = await db
    .selectFrom("audit_checkpoints as c")
    .innerJoin("audit_log as l", (j) => j.onRef("l.org_id", "=", "c.org_id").onRef("l.seq", "=", "c.seq"))
    .select("c.seq")
    .where("c.org_id", "=", c.orgId)
    .where("l.at", "<", cutoff)
    .orderBy("c.seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const floorRow = await db.selectFrom("audit_prune_floors").select("seq").where("org_id", "=", c.orgId).executeTakeFirst();
  const floor = Math.max(Number(floorRow?.seq ?? 0), Number(cp?.seq ?? 0));
  if (floor === 0) return;
  for (;;) {
    const n = await runCommand(c.deps, null, "compliance.retention.audit", async (tx, fx) => {
      // The floor moves first: the append-only trigger lets through only deletes at or below it.
      if (!floorRow)
        await tx
          .insertInto("audit_prune_floors")
          .values({ org_id: c.orgId, seq: floor, at: c.now })
          .onConflict((oc) => oc.doNothing())
          .execute();
      else if (Number(floorRow.seq) < floor) await tx.updateTable("audit_prune_floors").set({ seq: floor, at: c.now }).where("org_id", "=", c.orgId).execute();
      const first = await tx.selectFrom("audit_log").select("seq").where("org_id", "=", c.orgId).orderBy("seq").limit(1).executeTakeFirst();
      if (!first || Number(first.seq) > floor) return 0;
      const upTo = Math.min(floor, Number(first.seq) + c.batch - 1);
      const res = await tx.deleteFrom("audit_log").where("org_id", "=", c.orgId).where("seq", "<=", upTo).executeTakeFirst();
      const deleted = Number(res.numDeletedRows);
      fx.audit({
        orgId: c.orgId,
        actor: system,
        action: "audit.pruned",
        target: { kind: "org", id: c.orgId },
        result: "success",
        details: { fromSeq: Number(first.seq), throughSeq: upTo, checkpointSeq: floor, deleted },
      });
      return deleted;
    });
    c.counts.auditDeleted += n;
    c.deps.metrics.retentionRemoved.inc({ kind: "audit" }, n);
    if (n === 0) return;
    await c.afterBatch();
  }
}

/** Apply one org's retention policy now; returns what it removed. */
export async function runRetention(deps: Deps, orgId: string, opts: RetentionOptions = {}): Promise<RetentionRun> {
  const now = opts.now ?? deps.now();
  const { org, channels: overrides } = await retentionRows(deps.db, orgId);
  const holds = await activeHolds(deps.db, orgId);
  const c: RunCtx = {
    deps,
    orgId,
    now,
    batch: opts.batch ?? DEFAULT_BATCH,
    afterBatch: opts.afterBatch ?? (async () => {}),
    heldChannels: await heldChannelIds(deps.db, orgId, holds),
    counts: { eventsDeleted: 0, eventsHeld: 0, filesDeleted: 0, auditDeleted: 0 },
  };
  const startedAt = deps.now();
  await saveStatus(c, false, startedAt);
  const byChannel = new Map<string, RetentionPoliciesTable>(overrides.map((o) => [o.channel_id, o]));
  const channels = await deps.db.selectFrom("channels").select("id").where("org_id", "=", orgId).orderBy("id").execute();
  for (const { id } of channels) {
    if (c.heldChannels.has(id)) continue;
    const policy = byChannel.get(id) ?? org;
    if (!policy) continue;
    if (policy.events_ms !== null) await expireEvents(c, id, now - Number(policy.events_ms));
    if (policy.files_ms !== null) await expireFiles(c, id, now - Number(policy.files_ms));
  }
  await purgeReleased(c);
  if (org?.audit_ms != null) await pruneAudit(c, now - Number(org.audit_ms));
  await saveStatus(c, true, startedAt);
  deps.log.info({ orgId, ...c.counts }, "retention run finished");
  return { startedAt, finishedAt: deps.now(), ...c.counts };
}

/** Every `minutes` (hourly by default), server-wide (whichever process claims the period's job); none for 0. */
export function retentionSchedules(minutes: number): JobSchedule[] {
  return minutes > 0 ? [{ name: RETENTION_JOB, everyMs: minutes * 60_000, maxAttempts: 5 }] : [];
}

/** The retention job: one org (`{ orgId }`, on demand), or every org with a policy or held rows (scheduled). */
export function complianceJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [RETENTION_JOB](payload) {
      const one = (payload as { orgId?: string } | null)?.orgId;
      const orgIds = one
        ? [one]
        : [
            ...new Set([
              ...(await deps.db.selectFrom("retention_policies").select("org_id").distinct().execute()).map((r) => r.org_id),
              ...(await deps.db.selectFrom("held_events").select("org_id").distinct().execute()).map((r) => r.org_id),
              ...(await deps.db.selectFrom("held_files").select("org_id").distinct().execute()).map((r) => r.org_id),
            ]),
          ];
      for (const orgId of orgIds) await runRetention(deps, orgId);
    },
  };
}
