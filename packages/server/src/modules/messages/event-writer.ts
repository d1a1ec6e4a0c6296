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
 * One writer per server (created in server.ts, hung off Deps): no module state.
 */
import type { Event, EventKind } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { isUniqueViolation, type Tx } from "../../platform/db/index.ts";
import { AppError } from "../../http/errors.ts";
import { newId } from "../../platform/ids.ts";
import { findEventByClientId, toEvent, type EventRow } from "./store.ts";

/** A validated send, ready to be written. */
export interface EventDraft {
  orgId: string;
  channelId: string;
  clientId: string;
  senderId: string;
  senderDeviceId: string;
  kind: EventKind;
  /** undefined: the channel's current epoch. */
  epoch: number | undefined;
  content: Buffer;
  /** The content as the client sent it (saves re-encoding). */
  contentB64: string;
  threadRoot: number | null;
  target: number | null;
  mentions: string[];
}

export interface WriteResult { event: Event; duplicate: boolean }

export interface EventWriter {
  /** Queue a draft; resolves after the commit that persisted it (or found it already persisted). */
  submit(deps: Deps, draft: EventDraft): Promise<WriteResult>;
  /** Wait until everything queued is written. */
  close(): Promise<void>;
}

interface Job { draft: EventDraft; resolve(r: WriteResult): void; reject(e: unknown): void }

/** Most events per transaction (keeps multi-row inserts under parameter limits). */
const MAX_BATCH = 1000;
const INSERT_CHUNK = 500;

export function createEventWriter(): EventWriter {
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
    submit(deps, draft) {
      return new Promise<WriteResult>((resolve, reject) => {
        queue.push({ draft, resolve, reject });
        kick(deps);
      });
    },
    async close() {
      while (running) await running;
    },
  };
}

const keyOf = (d: EventDraft) => `${d.channelId}\n${d.clientId}`;

/** A send whose clientId is taken: the original if it is the same sender's, else a conflict. */
function duplicateOf(d: EventDraft, existing: Event): WriteResult {
  if (existing.senderId !== d.senderId) throw new AppError("already_exists", "this clientId is already used in the channel");
  return { event: existing, duplicate: true };
}

type Outcome = { ok: WriteResult; fresh: boolean } | { err: unknown };

/** Write one batch; never throws (each job is settled on its own). */
async function writeBatch(deps: Deps, jobs: Job[]): Promise<void> {
  const started = performance.now();
  let outcomes: Outcome[];
  try {
    outcomes = await deps.db.transaction().execute((tx) => writeInTx(deps, tx, jobs));
  } catch (err) {
    if (jobs.length === 1) {
      outcomes = [await settleAlone(deps, jobs[0]!.draft, err)];
    } else {
      // Something in the batch broke the transaction (e.g. another node took a
      // clientId meanwhile): write each on its own so one bad send fails alone.
      deps.log.warn({ err, batch: jobs.length }, "event batch failed; retrying its sends one by one");
      for (const job of jobs) await writeBatch(deps, [job]);
      return;
    }
  }
  deps.metrics.dbLatency.observe({ op: "event_batch" }, (performance.now() - started) / 1000);
  let persisted = 0;
  outcomes.forEach((o, i) => {
    const job = jobs[i]!;
    if ("err" in o) return job.reject(o.err);
    job.resolve(o.ok);
    if (o.fresh) {
      persisted++;
      try { deps.bus.publish("channel.event", { orgId: job.draft.orgId, event: o.ok.event }); } catch (err) { deps.log.error({ err }, "publishing channel.event failed"); }
    }
  });
  if (persisted) deps.metrics.eventsPersisted.inc(persisted);
}

/** A single send's transaction failed: a clientId race is a duplicate, anything else its error. */
async function settleAlone(deps: Deps, d: EventDraft, err: unknown): Promise<Outcome> {
  if (!isUniqueViolation(err)) return { err };
  try {
    const existing = await findEventByClientId(deps.db, d.channelId, d.clientId);
    if (!existing) return { err };
    return { ok: duplicateOf(d, toEvent(existing)), fresh: false };
  } catch (e) {
    return { err: e };
  }
}

async function writeInTx(deps: Deps, tx: Tx, jobs: Job[]): Promise<Outcome[]> {
  const now = deps.now();
  const outcomes: Outcome[] = new Array(jobs.length);
  // Already-committed clientIds (a retry after a lost ack).
  const channelIds = [...new Set(jobs.map((j) => j.draft.channelId))];
  const clientIds = [...new Set(jobs.map((j) => j.draft.clientId))];
  const committed = new Map<string, EventRow>();
  for (const r of await tx.selectFrom("events").selectAll().where("channel_id", "in", channelIds).where("client_id", "in", clientIds).execute()) {
    committed.set(`${r.channel_id}\n${r.client_id}`, r);
  }
  // New events per channel, in arrival order; later sends of a clientId in this batch are duplicates of the first.
  const firstInBatch = new Map<string, number>();
  const perChannel = new Map<string, number[]>();
  jobs.forEach((job, i) => {
    const k = keyOf(job.draft);
    const old = committed.get(k);
    if (old) {
      try { outcomes[i] = { ok: duplicateOf(job.draft, toEvent(old)), fresh: false }; } catch (err) { outcomes[i] = { err }; }
      return;
    }
    if (firstInBatch.has(k)) return; // settled below, once the first one has its event
    firstInBatch.set(k, i);
    const list = perChannel.get(job.draft.channelId) ?? [];
    list.push(i);
    perChannel.set(job.draft.channelId, list);
  });

  const rows: EventRow[] = [];
  const mentionRows: Array<{ channel_id: string; seq: number; user_id: string }> = [];
  for (const [channelId, idxs] of perChannel) {
    // Archived meanwhile? The WHERE makes the bump and the check one step.
    const bumped = await tx.updateTable("channels").set((eb) => ({ last_seq: eb("last_seq", "+", idxs.length) }))
      .where("id", "=", channelId).where("archived_at", "is", null).returning(["last_seq", "epoch"]).executeTakeFirst();
    if (!bumped) {
      for (const i of idxs) outcomes[i] = { err: new AppError("channel_archived", "the channel is archived; unarchive it to post") };
      continue;
    }
    let seq = Number(bumped.last_seq) - idxs.length;
    for (const i of idxs) {
      const d = jobs[i]!.draft;
      seq++;
      const row: EventRow = {
        channel_id: channelId, seq, id: newId("ev"), client_id: d.clientId, sender_id: d.senderId, sender_device_id: d.senderDeviceId,
        kind: d.kind, epoch: d.epoch ?? Number(bumped.epoch), content: d.content, thread_root: d.threadRoot, target: d.target,
        mentions: JSON.stringify(d.mentions), created_at: now,
      };
      rows.push(row);
      for (const userId of d.mentions) mentionRows.push({ channel_id: channelId, seq, user_id: userId });
      outcomes[i] = { ok: { event: toEvent(row, d.contentB64), duplicate: false }, fresh: true };
    }
  }
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) await tx.insertInto("events").values(rows.slice(i, i + INSERT_CHUNK)).execute();
  for (let i = 0; i < mentionRows.length; i += INSERT_CHUNK) await tx.insertInto("mentions").values(mentionRows.slice(i, i + INSERT_CHUNK)).execute();

  // In-batch duplicates get the first send's outcome.
  jobs.forEach((job, i) => {
    if (outcomes[i]) return;
    const first = outcomes[firstInBatch.get(keyOf(job.draft))!]!;
    if ("err" in first) outcomes[i] = first;
    else {
      try { outcomes[i] = { ok: duplicateOf(job.draft, first.ok.event), fresh: false }; } catch (err) { outcomes[i] = { err }; }
    }
  });
  return outcomes;
}
