/**
 * Group commit for channel events. Validated sends are queued; one flush
 * writes everything queued in ONE transaction (one fsync for many events),
 * and every send that arrives while a flush runs goes into the next one.
 * Each caller's promise resolves only after its transaction committed; the
 * "channel.event" bus messages go out after that.
 *
 * Per channel, seqs stay gap-free: the batch bumps channels.last_seq by the
 * number of new events with UPDATE ... RETURNING inside the transaction (on
 * PostgreSQL the row lock serialises writers across nodes).
 *
 * Validation that needs the database also runs inside the batch, on rows
 * loaded in bulk (batch-reads.ts): a few queries per batch rather than
 * several per send, and a bad send is settled alone without failing the rest.
 *
 * One writer per server (created in server.ts, hung off Deps): no module state.
 */
import { channelResourceOf } from "../access/authorize.ts";
import { appendEvents, type NewEvent } from "../timeline/append.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { auditActor } from "../audit/actors.ts";
import { claimSeqs } from "../timeline/sequence.ts";
import { DEFAULT_EDIT_POLICY, type Event, type SendEvent } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { isUniqueViolation, type Tx } from "../../platform/db/index.ts";
import { AppError } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { findEventByClientId, toEvent, type EventRow } from "./store.ts";
import { loadBatchRows } from "./batch-reads.ts";
import { checkSend, type EventDraft } from "./validate-send.ts";
import { attachFiles, checkAttachments, detachDeleted, type AttachmentRequest } from "../files/links.ts";
import { keepHeldFiles } from "../compliance/holds.ts";
import { unpinDeleted } from "../channels/pins.ts";
import { deleteBlobs } from "../files/gc.ts";
import type { LoadedChannel } from "../channels/access.ts";
import { queueNotifications } from "../notifications/fanout.ts";
import { recordInboxActivity } from "../inbox/thread-activity.ts";

export interface WriteResult {
  event: Event;
  duplicate: boolean;
}

/** A send that passed the database-free checks (checkShape). */
export interface SendRequest {
  principal: DeviceActor;
  channelId: string;
  input: SendEvent;
  content: Buffer;
  generation: number | undefined;
  archive: Buffer | null;
}

export interface EventWriter {
  /** Queue a send; resolves after the commit that persisted it (or found it already persisted). */
  submit(deps: Deps, req: SendRequest): Promise<WriteResult>;
  /** Wait until everything queued is written. */
  close(): Promise<void>;
}

interface Job {
  req: SendRequest;
  resolve(r: WriteResult): void;
  reject(e: unknown): void;
}

/** Most events per transaction (keeps multi-row inserts under parameter limits). */
const MAX_BATCH = 1000;
const INSERT_CHUNK = 500;

function createEventWriter(): EventWriter {
  const queue: Job[] = [];
  let running: Promise<void> | undefined;

  function kick(deps: Deps): void {
    if (running) return;
    running = (async () => {
      // Let requests parsed in the same I/O turn join the first batch.
      await new Promise<void>((r) => setImmediate(r));
      while (queue.length) await writeBatch(deps, queue.splice(0, MAX_BATCH));
    })().finally(() => {
      running = undefined;
      if (queue.length) kick(deps);
    });
  }

  return {
    submit(deps, req) {
      return new Promise<WriteResult>((resolve, reject) => {
        queue.push({ req, resolve, reject });
        kick(deps);
      });
    },
    async close() {
      while (running) await running;
    },
  };
}

// One writer per server (per Deps): the module owns it, so Deps stays platform seams only.
const writers = new WeakMap<Deps, EventWriter>();

/** This server's group-commit writer for channel events (made on first use). */
export function eventWriterOf(deps: Deps): EventWriter {
  let w = writers.get(deps);
  if (!w) writers.set(deps, (w = createEventWriter()));
  return w;
}

/** Wait until everything queued by this server's writer is written (shutdown). */
export async function closeEventWriter(deps: Deps): Promise<void> {
  await writers.get(deps)?.close();
}

const keyOf = (r: SendRequest) => `${r.channelId}\n${r.input.clientId}`;

/** A send whose clientId is taken: the original if it is the same sender's, else a conflict. */
function duplicateOf(r: SendRequest, existing: Event): WriteResult {
  if (existing.senderId !== r.principal.userId) throw new AppError("already_exists", "this clientId is already used in the channel");
  return { event: existing, duplicate: true };
}

type Outcome = { ok: WriteResult; fresh: boolean } | { err: unknown };

/**
 * Write one batch; never throws (each job is settled on its own). `retrying`:
 * the jobs come from a batch whose transaction reported an error; if that
 * COMMIT in fact succeeded (a dropped connection after commit), the retry finds
 * the events as duplicates, and the bus outbox is swept at once: their outbox
 * rows committed with them and nobody published them (clients dedupe by seq).
 */
async function writeBatch(deps: Deps, jobs: Job[], retrying = false): Promise<void> {
  const started = performance.now();
  let outcomes: Outcome[];
  let failed = retrying;
  // Blobs of files whose message was deleted: removed only once the deletion committed.
  const doomedBlobs: string[] = [];
  try {
    outcomes = await runCommand(deps, null, "messages.send", async (tx, after) => {
      return writeInTx(deps, tx, after, jobs, doomedBlobs);
    });
  } catch (err) {
    failed = true;
    if (jobs.length === 1) {
      outcomes = [await settleAlone(deps, jobs[0]!.req, err)];
    } else {
      // Something in the batch broke the transaction (e.g. another node took a
      // clientId meanwhile): write each on its own so one bad send fails alone.
      deps.log.warn({ err, batch: jobs.length }, "event batch failed; retrying its sends one by one");
      for (const job of jobs) await writeBatch(deps, [job], true);
      return;
    }
  }
  deps.metrics.dbLatency.observe({ op: "event_batch" }, (performance.now() - started) / 1000);
  let persisted = 0;
  let duplicates = 0;
  outcomes.forEach((o, i) => {
    const job = jobs[i]!;
    if ("err" in o) return job.reject(o.err);
    job.resolve(o.ok);
    if (o.fresh) persisted++;
    else duplicates++;
  });
  if (persisted) deps.metrics.eventsPersisted.inc(persisted);
  // A duplicate found after a failed transaction may be that transaction's own write (its COMMIT
  // went through, the answer was lost): its outbox rows committed too but nobody published them yet.
  if (failed && duplicates) void deps.relay.sweep(0).catch((err: unknown) => deps.log.warn({ err }, "bus outbox sweep failed; the periodic sweep retries"));
  if (doomedBlobs.length) void deleteBlobs(deps, doomedBlobs);
}

/** A single send's transaction failed: a clientId race is a duplicate, anything else its error. */
async function settleAlone(deps: Deps, r: SendRequest, err: unknown): Promise<Outcome> {
  if (!isUniqueViolation(err)) return { err };
  try {
    const existing = await findEventByClientId(deps.db, r.channelId, r.input.clientId);
    if (!existing) return { err };
    return { ok: duplicateOf(r, toEvent(existing)), fresh: false };
  } catch (e) {
    return { err: e };
  }
}

/** Check one send against the batch's rows: a draft, a duplicate, or an error. */
function settleRequest(r: SendRequest, rows: Awaited<ReturnType<typeof loadBatchRows>>, requireArchive: boolean, now: number): EventDraft | Outcome {
  const p = r.principal;
  const row = rows.channels.get(r.channelId);
  if (!row || row.org_id !== p.orgId) return { err: new AppError("not_found", "channel not found") };
  const membership = rows.memberships.get(`${r.channelId}\n${p.userId}`);
  // A retry after a lost ack gets the original, even if the channel was archived meanwhile.
  const old = membership ? rows.committed.get(keyOf(r)) : undefined;
  if (old) return { ok: duplicateOf(r, toEvent(old)), fresh: false };
  const ch: LoadedChannel = {
    row,
    membership,
    resource: channelResourceOf(row, membership?.role ?? null),
  };
  return checkSend(
    p,
    ch,
    r.input,
    { content: r.content, generation: r.generation, archive: r.archive },
    {
      eventRef: (channelId, seq) => rows.refs.get(`${channelId}\n${seq}`),
      activeUser: (orgId, userId) => rows.users.get(userId) === orgId,
      editPolicy: (orgId) => rows.editPolicies.get(orgId) ?? DEFAULT_EDIT_POLICY,
      now,
    },
    requireArchive,
  );
}

/** A channel's drafts split by the group generation they were encrypted for (undefined: whatever is current). */
function byGeneration<T extends { draft: EventDraft }>(items: T[]): T[][] {
  const groups = new Map<number | undefined, T[]>();
  for (const it of items) groups.set(it.draft.generation, [...(groups.get(it.draft.generation) ?? []), it]);
  return [...groups.values()];
}

/** Why the seq bump matched no row: the channel was archived, or its encryption was reset after the content was encrypted. */
async function whyNotBumped(tx: Tx, channelId: string): Promise<AppError> {
  const c = await tx.selectFrom("channels").select(["archived_at", "mls_generation"]).where("id", "=", channelId).executeTakeFirst();
  if (!c || c.archived_at !== null) return new AppError("channel_archived", "the channel is archived; unarchive it to post");
  return new AppError(
    "encryption_reset",
    "the channel's encryption was reset after this content was encrypted: encrypt it for the new group and send it again",
    { generation: Number(c.mls_generation) },
  );
}

async function writeInTx(deps: Deps, tx: Tx, fx: CommandEffects, jobs: Job[], doomedBlobs: string[]): Promise<Outcome[]> {
  const now = deps.now();
  const outcomes: Outcome[] = new Array(jobs.length);
  const rows = await loadBatchRows(
    tx,
    jobs.map(({ req: r }) => ({
      orgId: r.principal.orgId,
      userId: r.principal.userId,
      channelId: r.channelId,
      clientId: r.input.clientId,
      refs: [r.input.target, r.input.threadRoot].filter((x): x is number => typeof x === "number"),
      mentions: r.input.mentions ?? [],
      edit: r.input.kind === "edit",
    })),
  );
  // New events per channel, in arrival order; later sends of a clientId in this batch share the first one's outcome.
  const firstInBatch = new Map<string, number>();
  const perChannel = new Map<string, Array<{ i: number; draft: EventDraft }>>();
  jobs.forEach((job, i) => {
    const k = keyOf(job.req);
    if (firstInBatch.has(k)) return; // settled below
    firstInBatch.set(k, i);
    let settled: EventDraft | Outcome;
    try {
      settled = settleRequest(job.req, rows, deps.config.checkMlsFraming, now);
    } catch (err) {
      settled = { err };
    }
    if ("err" in settled || "ok" in settled) {
      outcomes[i] = settled;
      return;
    }
    const list = perChannel.get(settled.channelId) ?? [];
    list.push({ i, draft: settled });
    perChannel.set(settled.channelId, list);
  });

  // Attachments: checked in bulk; a send with a bad file fails alone.
  const withFiles = new Map<number, AttachmentRequest>();
  for (const items of perChannel.values()) for (const { i, draft: d } of items) if (d.files.length) withFiles.set(i, d);
  const fileErrors = await checkAttachments(tx, withFiles);
  for (const [channelId, items] of perChannel) {
    const kept = items.filter(({ i }) => !fileErrors.has(i));
    for (const { i } of items) if (fileErrors.has(i)) outcomes[i] = { err: fileErrors.get(i) };
    if (kept.length) perChannel.set(channelId, kept);
    else perChannel.delete(channelId);
  }

  const fresh: NewEvent[] = [];
  const freshJob: number[] = [];
  const mentionRows: Array<{ channel_id: string; seq: number; user_id: string; created_at: number }> = [];
  for (const [channelId, all] of perChannel) {
    for (const items of byGeneration(all)) {
      // Archived or reset meanwhile? The WHERE makes the bump and the checks one step.
      const g = items[0]!.draft.generation;
      const bumped = await claimSeqs(tx, { channelId, count: items.length, active: true, ...(g !== undefined ? { generation: g } : {}) });
      if (!bumped) {
        const err = await whyNotBumped(tx, channelId);
        for (const { i } of items) outcomes[i] = { err };
        continue;
      }
      let seq = bumped.first - 1;
      for (const { i, draft: d } of items) {
        seq++;
        const row: EventRow = {
          channel_id: channelId,
          seq,
          id: newId("ev"),
          client_id: d.clientId,
          sender_id: d.senderId,
          sender_device_id: d.senderDeviceId,
          kind: d.kind,
          epoch: d.epoch ?? bumped.epoch,
          generation: bumped.generation,
          content: d.content,
          archive: d.archive,
          thread_root: d.threadRoot,
          target: d.target,
          mentions: JSON.stringify(d.mentions),
          created_at: now,
          files: JSON.stringify(d.files),
        };
        fresh.push({ orgId: jobs[i]!.req.principal.orgId, row, contentB64: d.contentB64 });
        freshJob.push(i);
        await attachFiles(tx, channelId, d.files, seq);
        if (d.kind === "delete" && d.target !== null) {
          const deleted = await detachDeleted(tx, channelId, [d.target], now);
          const p = jobs[i]!.req.principal;
          await unpinDeleted(tx, fx, { orgId: p.orgId, channelId, seqs: [d.target], by: p.userId, now });
          // A legal hold keeps the blobs of what it covers (held_files); members can no longer fetch them.
          const kept = await keepHeldFiles(tx, p.orgId, channelId, d.target, deleted, now);
          doomedBlobs.push(...deleted.filter((id) => !kept.includes(id)));
          for (const fileId of deleted) {
            fx.audit({
              orgId: p.orgId,
              actor: auditActor(p),
              action: "file.deleted",
              target: { kind: "file", id: fileId },
              result: "success",
              details: { channelId, eventSeq: d.target, reason: "message_deleted", ...(kept.includes(fileId) ? { keptForLegalHold: true } : {}) },
            });
          }
        }
        for (const userId of d.mentions) mentionRows.push({ channel_id: channelId, seq, user_id: userId, created_at: now });
      }
    }
  }
  (await appendEvents(tx, fx, fresh)).forEach((event, k) => {
    outcomes[freshJob[k]!] = { ok: { event, duplicate: false }, fresh: true };
  });
  await queueNotifications(tx, fx, fresh);
  for (let i = 0; i < mentionRows.length; i += INSERT_CHUNK)
    await tx
      .insertInto("mentions")
      .values(mentionRows.slice(i, i + INSERT_CHUNK))
      .execute();
  // Thread counters and followers, deleted messages' mentions (the inbox) commit with the events.
  await recordInboxActivity(
    tx,
    fresh.map((f) => f.row),
  );

  jobs.forEach((job, i) => {
    if (outcomes[i]) return;
    const first = outcomes[firstInBatch.get(keyOf(job.req))!]!;
    if ("err" in first) outcomes[i] = first;
    else {
      try {
        outcomes[i] = { ok: duplicateOf(job.req, first.ok.event), fresh: false };
      } catch (err) {
        outcomes[i] = { err };
      }
    }
  });
  return outcomes;
}
