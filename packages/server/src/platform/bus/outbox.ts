/**
 * The bus outbox and its relay. A command's bus messages (`fx.emit`) are rows
 * of `bus_outbox` written in the command's own transaction, so they exist iff
 * the change committed. After the COMMIT the relay publishes them at once from
 * memory and drops their rows in the background (the fast path). Rows that are
 * still there after `staleMs` — their process died between COMMIT and publish,
 * or it was the CLI's offline admin, which leaves its messages to the server —
 * are claimed by whichever process sweeps first, published and deleted in one
 * transaction (PostgreSQL: FOR UPDATE SKIP LOCKED, so two nodes never take the
 * same row; SQLite: one DELETE ... RETURNING). A topic whose message repeats
 * durable rows (a channel event) is kept as a reference to them (OutboxCodec), and
 * a run of them (consecutive seqs of one channel) as one reference.
 *
 * While a networked bus (NATS) is unreachable, committed messages are delivered
 * on this node only and their rows stay; the sweep publishes them once the bus
 * is back. Delivery is at least once: a row swept while its own process is about to
 * publish it goes out twice. Every subscriber tolerates that (clients dedupe
 * channel events and stream items by seq; membership, revocation and job
 * nudges are idempotent).
 */
import { sql } from "kysely";
import type { Db, Dialect, Tx } from "../db/index.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { Bus, BusTopics, Topic } from "./bus.ts";
import { inSpan, SpanKind, tracingOn } from "../tracing.ts";

/** One bus message, as a command emits it. */
export interface Emitted<T extends Topic = Topic> {
  topic: T;
  msg: BusTopics[T];
}

/** Rows per sweep (claimed, published and deleted in one go). */
const CHUNK = 500;

/**
 * How a topic whose message repeats durable rows is kept in the outbox: a reference
 * (`compact`), turned back into the message from those rows when swept (`expand`). A
 * channel event is the `events` row itself: its outbox row names (org, channel, seq)
 * instead of carrying its ciphertext a second time.
 */
export interface OutboxCodec<T extends Topic = Topic> {
  compact(msg: BusTopics[T]): unknown;
  /**
   * Fold `msg` into `ref`, the compact form of the message(s) just before it on the same topic, or
   * return undefined when it does not fold: a run of channel events (one channel, consecutive seqs)
   * is one outbox row, so a batch of sends writes and deletes one row per channel, not one per send.
   */
  extend?(ref: unknown, msg: BusTopics[T]): unknown;
  /** The messages of each ref, in order (all a folded ref covers); rows that are gone (e.g. retention) yield nothing. */
  expand(db: Db, refs: unknown[]): Promise<Array<Array<BusTopics[T]>>>;
}

export type OutboxCodecs = { [T in Topic]?: OutboxCodec<T> };

export interface BusRelayOptions {
  db: Db;
  dialect: Dialect;
  bus: Bus;
  log: Logger;
  metrics: Metrics;
  now(): number;
  /**
   * `deliver` (a server): publish committed messages at once and sweep rows others left.
   * `leave` (the CLI's offline admin): publish nothing, leave the rows for the server's sweep.
   */
  mode: "deliver" | "leave";
  /** Rows older than this are another process's leftovers (default 5 s). */
  staleMs?: number;
  /** How often to sweep once started (default 1 s). */
  sweepMs?: number;
  /** Topics kept as references to durable rows (declared by their modules). */
  codecs?: OutboxCodecs;
}

/** What {@link BusRelay.write} did in a transaction: the rows it wrote, and published rows it deleted on the way. */
export interface OutboxWrite {
  ids: readonly number[];
  dropped: readonly number[];
}

export interface BusRelay {
  /** Write a command's messages in its transaction (their row ids are in publish order). */
  write(tx: Tx, msgs: readonly Emitted[], now: number): Promise<OutboxWrite>;
  /** The transaction of `written` committed: publish `msgs` now (fast path). */
  committed(written: OutboxWrite, msgs: readonly Emitted[]): void;
  /** Publish and delete rows older than `olderThanMs` (default staleMs); returns how many. */
  sweep(olderThanMs?: number): Promise<number>;
  /** Sweep every `sweepMs` until closed. */
  start(): void;
  /** Stop sweeping and drop the rows already published. */
  close(): Promise<void>;
}

/** Rows per DELETE of published rows (the ids are one array parameter). */
const DROP = 10_000;
/**
 * SQLite: how long published rows wait for the next write to delete them in its own transaction
 * before a transaction of their own does (each SQLite commit is an fsync; under load the next
 * write comes within milliseconds, so the drop costs no commit at all).
 */
const PIGGYBACK_MS = 200;

export function createBusRelay(o: BusRelayOptions): BusRelay {
  /** Delete rows by id: on PostgreSQL as one array parameter (`= any`), on SQLite as an IN list. */
  async function deleteIds(db: Db | Tx, ids: number[]): Promise<void> {
    if (o.dialect === "postgres") await sql`delete from bus_outbox where id = any(${ids}::bigint[])`.execute(db);
    else await sql`delete from bus_outbox where id in (select value from json_each(${JSON.stringify(ids)}))`.execute(db);
  }

  const staleMs = o.staleMs ?? 5_000;
  /** Published rows not yet deleted. */
  const published = new Set<number>();
  let dropping: Promise<void> | null = null;
  /** Ends the wait of a pending SQLite drop at once (close). */
  let wake: (() => void) | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let sweeping: Promise<number> | null = null;
  let closed = false;

  function publish(topic: Topic, msg: unknown): void {
    try {
      o.bus.publish(topic, msg as never);
    } catch (err) {
      o.log.error({ err, topic }, "publishing a committed change failed");
    }
  }

  /** Run `send` (publishing `batch`) in a "bus publish" span when tracing is on (platform/tracing.ts). */
  function traced(path: "immediate" | "sweep", batch: ReadonlyArray<{ topic: string }>, send: () => void): void {
    if (!tracingOn()) return send();
    const topics = [...new Set(batch.map((m) => m.topic))];
    const attributes = {
      "messaging.operation.type": "send",
      "messaging.batch.message_count": batch.length,
      "parley.bus.path": path,
      "parley.bus.topics": topics,
    };
    inSpan("bus publish", attributes, send, SpanKind.PRODUCER);
  }

  /** Up to DROP published ids, taken out of the set. */
  function takePublished(): number[] {
    const ids: number[] = [];
    for (const id of published) {
      if (ids.length === DROP) break;
      ids.push(id);
    }
    for (const id of ids) published.delete(id);
    return ids;
  }

  /**
   * Delete published rows in batches, off the command's path: on PostgreSQL one statement per batch of
   * commits; on SQLite only rows no write deleted within PIGGYBACK_MS (see write()).
   */
  function scheduleDrop(): void {
    if (dropping) return;
    dropping = (async () => {
      await new Promise<void>((resolve) => {
        if (o.dialect !== "sqlite" || closed) return setImmediate(resolve);
        const t = setTimeout(() => {
          wake = null;
          resolve();
        }, PIGGYBACK_MS);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      while (published.size) {
        const ids = takePublished();
        try {
          await deleteIds(o.db, ids);
        } catch (err) {
          // The rows stay; a later sweep publishes them again (at least once).
          o.log.warn({ err: (err as Error).message, rows: ids.length }, "dropping published bus outbox rows failed");
        }
      }
    })().finally(() => {
      dropping = null;
    });
  }

  async function sweepOnce(olderThanMs: number): Promise<number> {
    // Rows wait while the bus is unreachable (swept, they would reach no other node).
    if (!o.bus.ready()) return 0;
    const cutoff = o.now() - olderThanMs;
    // Usually there is nothing: look before taking any lock (no write, no transaction every second).
    const any = await o.db.selectFrom("bus_outbox").select("id").where("created_at", "<=", cutoff).limit(1).executeTakeFirst();
    if (!any) return 0;
    if (o.dialect === "postgres") {
      // Publish inside the claiming transaction: the rows go only once the publish happened.
      return o.db.transaction().execute(async (tx) => {
        const claimed = await tx
          .selectFrom("bus_outbox")
          .select(["id", "topic", "payload"])
          .where("created_at", "<=", cutoff)
          .orderBy("id")
          .limit(CHUNK)
          .forUpdate()
          .skipLocked()
          .execute();
        if (claimed.length) {
          await publishRows(tx, claimed);
          await deleteIds(
            tx,
            claimed.map((r) => Number(r.id)),
          );
        }
        return claimed.length;
      });
    }
    // SQLite: one DELETE ... RETURNING (a read-then-write transaction would fail with SQLITE_BUSY
    // against another process's writer instead of waiting), published in the same tick; the bus is
    // in-process, so a crash in between loses nothing a subscriber could still have received.
    const rows = await o.db
      .deleteFrom("bus_outbox")
      .where("id", "in", (eb) => eb.selectFrom("bus_outbox").select("id").where("created_at", "<=", cutoff).orderBy("id").limit(CHUNK))
      .returning(["id", "topic", "payload"])
      .execute();
    rows.sort((a, b) => Number(a.id) - Number(b.id));
    await publishRows(o.db, rows);
    return rows.length;
  }

  /** Publish swept rows in order, references expanded from their durable rows. */
  async function publishRows(db: Db, rows: ReadonlyArray<{ topic: string; payload: string }>): Promise<void> {
    const parsed: unknown[] = rows.map((r) => JSON.parse(r.payload));
    const msgs: unknown[][] = parsed.map((m) => [m]);
    const byTopic = new Map<Topic, number[]>();
    rows.forEach((r, i) => {
      const topic = r.topic as Topic;
      if (!o.codecs?.[topic]) return;
      const at = byTopic.get(topic);
      if (at) at.push(i);
      else byTopic.set(topic, [i]);
    });
    for (const [topic, at] of byTopic) {
      const expanded = await (o.codecs![topic] as OutboxCodec).expand(
        db,
        at.map((i) => parsed[i]),
      );
      at.forEach((i, k) => {
        msgs[i] = expanded[k] ?? [];
      });
    }
    let published = 0;
    traced("sweep", rows, () =>
      rows.forEach((r, i) => {
        for (const m of msgs[i]!) publish(r.topic as Topic, m);
        published += msgs[i]!.length;
      }),
    );
    if (published) o.metrics.busRelayed.inc({ path: "sweep" }, published);
  }

  const relay: BusRelay = {
    async write(tx, msgs, now) {
      if (!msgs.length) return { ids: [], dropped: [] };
      const topics: string[] = [];
      const refs: unknown[] = [];
      for (const m of msgs) {
        const codec = o.codecs?.[m.topic] as OutboxCodec | undefined;
        const last = refs.length - 1;
        const folded = codec?.extend && topics[last] === m.topic ? codec.extend(refs[last], m.msg) : undefined;
        if (folded !== undefined) {
          refs[last] = folded;
          continue;
        }
        topics.push(m.topic);
        refs.push(codec ? codec.compact(m.msg) : m.msg);
      }
      const payloads = refs.map((r) => JSON.stringify(r));
      // The whole batch as two array parameters (PostgreSQL arrays, SQLite JSON arrays): one short statement
      // to build, bind and parse, whatever the batch's size (a VALUES list of 500 rows, built and compiled
      // by Kysely, costs the server process more CPU than the insert itself).
      const out =
        o.dialect === "postgres"
          ? await sql<{ id: string | number }>`insert into bus_outbox (topic, payload, created_at)
              select t.topic, t.payload, ${now}::bigint from unnest(${topics}::text[], ${payloads}::text[]) with ordinality as t(topic, payload, n)
              order by t.n returning id`.execute(tx)
          : await sql<{ id: string | number }>`insert into bus_outbox (topic, payload, created_at)
              select m.value ->> 0, m.value ->> 1, ${now} from json_each(${JSON.stringify(topics.map((t, k) => [t, payloads[k]]))}) as m
              order by m.key returning id`.execute(tx);
      // SQLite runs one transaction at a time: rows published after earlier commits are deleted in this
      // one (they stay in `published` until it commits, so a rollback leaves them for the next try).
      // PostgreSQL drops them in the background instead: two transactions deleting one row would wait on each other.
      const dropped = o.dialect === "sqlite" && published.size ? [...published].slice(0, DROP) : [];
      if (dropped.length) await deleteIds(tx, dropped);
      return { ids: out.rows.map((r) => Number(r.id)).sort((a, b) => a - b), dropped };
    },
    committed(written, msgs) {
      for (const id of written.dropped) published.delete(id);
      if (o.mode === "leave") return;
      // A networked bus that is down delivers to this node only: the rows stay for the sweep,
      // which publishes them everywhere once it is back (this node's clients dedupe the repeat).
      const reachable = o.bus.ready();
      traced("immediate", msgs, () => {
        for (const m of msgs) publish(m.topic, m.msg);
      });
      o.metrics.busRelayed.inc({ path: "immediate" }, msgs.length);
      if (!reachable) return;
      for (const id of written.ids) published.add(id);
      scheduleDrop();
    },
    sweep(olderThanMs = staleMs) {
      if (o.mode === "leave") return Promise.resolve(0);
      // One sweep at a time per process; a second caller waits for it and sweeps again.
      const run = async (): Promise<number> => {
        if (sweeping) await sweeping.catch(() => 0);
        let n = 0;
        for (let got = CHUNK; got === CHUNK && !closed;) n += got = await sweepOnce(olderThanMs);
        return n;
      };
      const p = run();
      sweeping = p;
      return p.finally(() => {
        if (sweeping === p) sweeping = null;
      });
    },
    start() {
      if (timer || o.mode === "leave") return;
      timer = setInterval(() => {
        if (sweeping) return;
        relay.sweep().catch((err: unknown) => o.log.warn({ err: (err as Error).message }, "bus outbox sweep failed; retrying at the next tick"));
      }, o.sweepMs ?? 1_000);
      timer.unref();
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      await sweeping?.catch(() => 0);
      wake?.();
      await dropping;
      scheduleDrop();
      await dropping;
    },
  };
  return relay;
}
