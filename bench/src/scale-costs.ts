/**
 * Costs that grew the wrong way (issue 12), before and after in one run:
 *
 * - reconnect: what a hello's replay costs a member of CHANNELS channels when nothing is
 *   new. Before: the channel list, then one events query per channel (the old shape, kept
 *   here) on Kysely over better-sqlite3 preparing every statement anew (the old dialect,
 *   kept here); after: the server's listMyChannelHeads on openStorage (statement cache),
 *   and no events query because every head is at the cursor.
 * - unread: one channel listing (myChannelRows) of a heavy poster who sent HEAVY messages
 *   after their read receipt. Before: the old unread subquery (kept here, sender filtered
 *   before the cap); after: the server's myChannelRows.
 *   Both in this process on one SQLite file: CPU is this process's process.cpuUsage().
 * - fanout: CPU per delivery of the server process (bench/src/fanout.ts; 40k deliveries/s
 *   offered at 1,000 receivers = 40 sends/s, 10k/s at 100 receivers = 100 sends/s) for the
 *   bare `ws` server, the baseline commit's Parley (git archive, default HEAD) and the current
 *   Parley, windows alternating between the three. Current is this checkout, or with
 *   `--overlay FILE,...` the baseline with just those files taken from this checkout (to
 *   measure one change while the tree holds other unfinished work).
 *
 *   node bench/src/scale-costs.ts [--only reconnect,unread,fanout] [--receivers 100,1000] [--baseline REV] [--overlay FILE,...]
 *
 * Prints the figures and writes bench/results/scale-costs.json; gates nothing.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kysely, SqliteDialect } from "kysely";
import type BetterSqlite3 from "better-sqlite3";
import { openStorage, type Db, type Storage } from "../../packages/server/src/platform/db/index.ts";
import type { Database } from "../../packages/server/src/platform/db/tables.ts";
import { listMyChannelHeads } from "../../packages/server/src/modules/channels/commands.ts";
import { myChannelRows } from "../../packages/server/src/modules/channels/store.ts";
import { listEventsAfter } from "../../packages/server/src/modules/messages/commands.ts";
import type { DeviceActor } from "../../packages/server/src/context.ts";
import { DEFAULT_LIMITS } from "@parley/protocol";
import { startPrepared, type Prepared } from "./prepared.ts";
import { DEFAULT_FANOUT, runFanout } from "./fanout.ts";
import { stopAll } from "./processes.ts";
import { extractBaseline } from "./baseline.ts";
import { loadAverage, machine, median, round } from "./results.ts";
import { arg, log } from "./report.ts";
import type { ServerKind } from "./server-child.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ONLY = new Set(arg("only", "reconnect,unread,fanout").split(","));
const RECEIVERS = arg("receivers", "100,1000").split(",").map(Number);
const BASELINE = arg("baseline", "HEAD");
const OVERLAY = arg("overlay", "").split(",").filter(Boolean);
const CHANNELS = 2000;
const HEAVY = 200_000;
const ROUNDS = 15;

/** CPU µs (user+system) of this process while `fn` runs. */
async function cpuOf(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.cpuUsage();
  await fn();
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}

/** Alternate before/after ROUNDS times (after one warm-up each); median CPU µs per run. */
async function compare(before: () => Promise<unknown>, after: () => Promise<unknown>): Promise<{ beforeUs: number; afterUs: number; ratio: number }> {
  await before();
  await after();
  const b: number[] = [];
  const a: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    if (i % 2 === 0) {
      b.push(await cpuOf(before));
      a.push(await cpuOf(after));
    } else {
      a.push(await cpuOf(after));
      b.push(await cpuOf(before));
    }
  }
  const beforeUs = median(b);
  const afterUs = median(a);
  return { beforeUs: round(beforeUs), afterUs: round(afterUs), ratio: round(beforeUs / Math.max(1, afterUs), 1) };
}

/** Insert rows with raw statements, filling NOT NULL columns without a default (constraints off while seeding). */
function inserter(raw: BetterSqlite3.Database, table: string): (row: Record<string, unknown>) => void {
  const cols = raw.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; type: string; notnull: number; dflt_value: unknown }>;
  const filler: Record<string, unknown> = {};
  for (const c of cols) {
    if (!c.notnull || c.dflt_value !== null) continue;
    filler[c.name] = /int/i.test(c.type) ? 0 : /blob/i.test(c.type) ? Buffer.alloc(0) : "x";
  }
  const stmts = new Map<string, BetterSqlite3.Statement>();
  return (row) => {
    const full = { ...filler, ...row };
    const names = Object.keys(full);
    const key = names.join(",");
    let s = stmts.get(key);
    if (!s) {
      s = raw.prepare(`INSERT INTO ${table} (${key}) VALUES (${names.map((n) => `@${n}`).join(",")})`);
      stmts.set(key, s);
    }
    s.run(full);
  };
}

interface Seeded {
  storage: Storage;
  /** Kysely over the same handle as before this change: every statement prepared anew. */
  uncached: Db;
  member: DeviceActor;
  heavy: DeviceActor;
  cursors: Record<string, number>;
  dir: string;
}

/** One SQLite file: `member` in CHANNELS channels of 3 events each; `heavy` posted HEAVY messages after their read receipt. */
async function seed(): Promise<Seeded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-scale-"));
  const storage = openStorage({ url: `sqlite:${path.join(dir, "bench.db")}`, dataDir: dir, sqliteSynchronous: "NORMAL" });
  await storage.migrate();
  const raw = storage.sqlite!;
  const uncached = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  const orgId = "org_bench";
  const actor = (userId: string) => ({ userId, orgId, deviceId: `dev_${userId}`, sessionId: `ses_${userId}` }) as unknown as DeviceActor;
  const member = actor("usr_member");
  const heavy = actor("usr_heavy");
  const other = "usr_other";
  const channel = inserter(raw, "channels");
  const membership = inserter(raw, "channel_members");
  const event = inserter(raw, "events");
  const content = Buffer.alloc(64, 1);
  let n = 0;
  const ev = (channelId: string, seq: number, sender: string) =>
    event({
      channel_id: channelId,
      seq,
      id: `evt_${++n}`,
      client_id: `c${n}`,
      sender_id: sender,
      sender_device_id: "d",
      kind: "message",
      epoch: 0,
      content,
      created_at: n,
    });
  raw.pragma("foreign_keys = OFF");
  const cursors: Record<string, number> = {};
  raw.transaction(() => {
    for (let i = 0; i < CHANNELS; i++) {
      const id = `chn_${String(i).padStart(5, "0")}`;
      channel({ id, org_id: orgId, kind: "public", name: `c${i}`, topic: "", created_by: member.userId, created_at: i, last_seq: 3 });
      membership({ channel_id: id, user_id: member.userId, org_id: orgId, role: "member", joined_at: 0, read_seq: 0 });
      for (let s = 1; s <= 3; s++) ev(id, s, other);
      cursors[id] = 3;
    }
    // The heavy poster's channel: 10 messages of someone else, then HEAVY of their own, receipt at 0.
    const big = "chn_heavy";
    channel({ id: big, org_id: orgId, kind: "public", name: "heavy", topic: "", created_by: heavy.userId, created_at: 0, last_seq: HEAVY + 10 });
    membership({ channel_id: big, user_id: heavy.userId, org_id: orgId, role: "member", joined_at: 0, read_seq: 0 });
    for (let s = 1; s <= HEAVY + 10; s++) ev(big, s, s <= 10 ? other : heavy.userId);
    // A few ordinary channels in the heavy poster's list too.
    for (let i = 0; i < 10; i++)
      membership({ channel_id: `chn_${String(i).padStart(5, "0")}`, user_id: heavy.userId, org_id: orgId, role: "member", joined_at: 0, read_seq: 0 });
  })();
  raw.pragma("foreign_keys = ON");
  raw.exec("ANALYZE");
  return { storage, uncached, member, heavy, cursors, dir };
}

/** The reconnect's channel queries before issue 12: the id list, then one events page per channel. */
async function reconnectBefore(db: Db, p: DeviceActor, cursors: Record<string, number>): Promise<number> {
  const rows = await db.selectFrom("channel_members").select("channel_id").where("user_id", "=", p.userId).where("org_id", "=", p.orgId).execute();
  let events = 0;
  for (const { channel_id } of rows.sort((a, b) => (a.channel_id < b.channel_id ? -1 : 1))) {
    const page = await listEventsAfter(db, channel_id, cursors[channel_id] ?? 0, DEFAULT_LIMITS.pageSize, DEFAULT_LIMITS.syncPageBytes);
    events += page.events.length;
  }
  return events;
}

/** After: one query for the heads; only channels whose head is past the cursor are read. */
async function reconnectAfter(db: Db, p: DeviceActor, cursors: Record<string, number>): Promise<number> {
  const heads = await listMyChannelHeads(db, p);
  let events = 0;
  for (const [id, head] of heads) {
    if (head <= (cursors[id] ?? 0)) continue;
    events += (await listEventsAfter(db, id, cursors[id] ?? 0, DEFAULT_LIMITS.pageSize, DEFAULT_LIMITS.syncPageBytes)).events.length;
  }
  return events;
}

/** The channel listing's unread count before issue 12 (sender filtered before the cap). */
async function unreadBefore(db: Db, userId: string) {
  return db
    .selectFrom("channel_members as m")
    .innerJoin("channels as c", "c.id", "m.channel_id")
    .selectAll("c")
    .select(["m.role as my_role", "m.read_seq as read_seq"])
    .select((eb) => [
      eb.selectFrom("channel_members as mm").whereRef("mm.channel_id", "=", "c.id").select(eb.fn.countAll<number>().as("n")).as("member_count"),
      eb
        .selectFrom(
          eb
            .selectFrom("events as e")
            .whereRef("e.channel_id", "=", "c.id")
            .whereRef("e.seq", ">", "m.read_seq")
            .where("e.sender_id", "<>", userId)
            .where("e.kind", "=", "message")
            .select("e.seq")
            .limit(1000)
            .as("u"),
        )
        .select(eb.fn.countAll<number>().as("n"))
        .as("unread"),
      eb
        .selectFrom("mentions as x")
        .whereRef("x.channel_id", "=", "c.id")
        .whereRef("x.seq", ">", "m.read_seq")
        .where("x.user_id", "=", userId)
        .select(eb.fn.countAll<number>().as("n"))
        .as("mention_count"),
    ])
    .where("m.user_id", "=", userId)
    .orderBy("c.created_at")
    .orderBy("c.id")
    .execute();
}

async function inProcess(out: Record<string, unknown>): Promise<void> {
  log(`seeding: ${CHANNELS} channels x 3 events, one channel with ${HEAVY.toLocaleString("en")} messages of its heavy poster`);
  const s = await seed();
  try {
    if (ONLY.has("reconnect")) {
      const before = await reconnectBefore(s.uncached, s.member, s.cursors);
      const after = await reconnectAfter(s.storage.db, s.member, s.cursors);
      if (before !== 0 || after !== 0) throw new Error(`nothing is new, yet ${before}/${after} events replayed`);
      // One new event in one channel: both replay exactly it.
      const c = { ...s.cursors, chn_00007: 2 };
      if ((await reconnectBefore(s.uncached, s.member, c)) !== 1 || (await reconnectAfter(s.storage.db, s.member, c)) !== 1)
        throw new Error("one new event expected");
      const r = await compare(
        () => reconnectBefore(s.uncached, s.member, s.cursors),
        () => reconnectAfter(s.storage.db, s.member, s.cursors),
      );
      // The old query shape on the new (caching) dialect: how much of the gain is the shape.
      const shapeOnly = await compare(
        () => reconnectBefore(s.storage.db, s.member, s.cursors),
        () => reconnectAfter(s.storage.db, s.member, s.cursors),
      );
      out.reconnect = { channels: CHANNELS, ...r, oldShapeCachedUs: shapeOnly.beforeUs };
      log(
        `reconnect, ${CHANNELS} channels, nothing new: before ${round(r.beforeUs / 1000, 2)} ms CPU, after ${round(r.afterUs / 1000, 2)} ms (${r.ratio}x less); old shape with cached statements ${round(shapeOnly.beforeUs / 1000, 2)} ms`,
      );
    }
    if (ONLY.has("unread")) {
      const before = (await unreadBefore(s.uncached, s.heavy.userId)).find((r) => r.id === "chn_heavy");
      const after = (await myChannelRows(s.storage.db, s.heavy.userId)).find((r) => r.id === "chn_heavy");
      if (Number(before?.unread) !== 10 || Number(after?.unread) !== 10)
        throw new Error(`unread: before ${before?.unread}, after ${after?.unread}; expected 10`);
      const r = await compare(
        () => unreadBefore(s.uncached, s.heavy.userId),
        () => myChannelRows(s.storage.db, s.heavy.userId),
      );
      out.unread = { heavyMessages: HEAVY, channelsListed: 11, ...r };
      log(
        `channel listing of a heavy poster (${HEAVY.toLocaleString("en")} own messages after the receipt, 11 channels): before ${round(r.beforeUs / 1000, 2)} ms CPU, after ${round(r.afterUs / 1000, 2)} ms (${r.ratio}x less)`,
      );
    }
  } finally {
    await s.uncached.destroy().catch(() => undefined);
    await s.storage.close().catch(() => undefined);
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
}

async function fanout(out: Record<string, unknown>): Promise<void> {
  const base = extractBaseline(ROOT, BASELINE);
  let overlay: { dir: string; entry: string } | undefined;
  if (OVERLAY.length) {
    overlay = extractBaseline(ROOT, BASELINE);
    for (const f of OVERLAY) fs.copyFileSync(path.join(ROOT, f), path.join(overlay.dir, f));
    out.overlay = OVERLAY;
  }
  try {
    for (const receivers of RECEIVERS) {
      const rate = receivers >= 1000 ? 40_000 : receivers * 100;
      log(`fan-out 1 -> ${receivers}: bare, Parley ${BASELINE}, Parley current (${rate}/s offered, windows alternate)`);
      const list: Array<{ label: string; prepared: Prepared }> = [];
      try {
        list.push({ label: "bare", prepared: await startPrepared("bare", 10) });
        list.push({ label: "baseline", prepared: await startPrepared("parley", 10, undefined, base.entry) });
        list.push({ label: "current", prepared: await startPrepared("parley", 10, undefined, overlay?.entry) });
        // runFanout keys its results by the server's kind: give each side its label.
        const servers = list.map((x) => ({ server: { ...x.prepared.server, kind: x.label as ServerKind }, target: x.prepared.target }));
        const r = (await runFanout(servers, { ...DEFAULT_FANOUT, receivers, fixedRate: rate, rampSends: [] })) as Record<
          string,
          { at40k: { serverCpuUsPerDelivery: number; latency: unknown } }
        >;
        const cpu = (label: string) => r[label]?.at40k.serverCpuUsPerDelivery ?? NaN;
        const row = {
          offeredDeliveriesPerSec: rate,
          bareUs: cpu("bare"),
          baselineUs: cpu("baseline"),
          currentUs: cpu("current"),
          baselineRatio: round(cpu("baseline") / cpu("bare"), 2),
          currentRatio: round(cpu("current") / cpu("bare"), 2),
          detail: r,
        };
        out[`fanout${receivers}`] = row;
        log(
          `fan-out 1 -> ${receivers}: CPU µs per delivery bare ${row.bareUs}, Parley ${BASELINE} ${row.baselineUs} (${row.baselineRatio}x), current ${row.currentUs} (${row.currentRatio}x)`,
        );
      } finally {
        for (const x of list) await x.prepared.cleanup();
      }
    }
  } finally {
    fs.rmSync(base.dir, { recursive: true, force: true });
    if (overlay) fs.rmSync(overlay.dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const loadAverageAtStart = loadAverage();
  log(`scale costs (issue 12): load average at start ${loadAverageAtStart.join(" ")}, node ${process.version}, baseline ${BASELINE}`);
  const out: Record<string, unknown> = { date: new Date().toISOString(), machine: machine(), loadAverageAtStart, baseline: BASELINE };
  if (ONLY.has("reconnect") || ONLY.has("unread")) await inProcess(out);
  if (ONLY.has("fanout")) await fanout(out);
  out.loadAverageAtEnd = loadAverage();
  const file = path.join(ROOT, "bench/results/scale-costs.json");
  fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
