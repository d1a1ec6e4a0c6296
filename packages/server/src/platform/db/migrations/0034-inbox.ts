/**
 * 0034: the inbox (issue 13). `mentions.created_at` (copied from the event) orders a user's
 * mentions across channels on one index. `threads` keeps one row per thread root that has
 * replies or followers (reply count, last reply), written with the replies in the event
 * writer's batch. `thread_follows` is a user's state in a thread: `following` 1 (took part,
 * was mentioned, or followed), 0 (unfollowed: replying later does not follow again) or null
 * (only a read position), and `read_seq`, the last reply they have read. Existing threads are
 * backfilled: their root authors and repliers follow them, read up to the last reply.
 */
import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function inbox(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("mentions")
        .addColumn("created_at", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("mentions_user_time").on("mentions").columns(["user_id", "created_at", "channel_id", "seq"]).execute();

      await db.schema
        .createTable("threads")
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("root_seq", "bigint", (c) => c.notNull())
        .addColumn("root_sender_id", "text", (c) => c.notNull())
        .addColumn("replies", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("last_reply_seq", "bigint", (c) => c.notNull())
        .addColumn("last_reply_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("threads_pk", ["channel_id", "root_seq"])
        .execute();
      await db.schema
        .createTable("thread_follows")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("root_seq", "bigint", (c) => c.notNull())
        .addColumn("following", "integer")
        .addColumn("read_seq", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("thread_follows_pk", ["user_id", "channel_id", "root_seq"])
        .execute();
      await db.schema.createIndex("thread_follows_thread").on("thread_follows").columns(["channel_id", "root_seq"]).execute();

      await backfillInbox(db);
    },
  };
}

/** Fill the inbox from existing rows: mention times, threads with replies, their authors' and repliers' follows (read up to the last reply). */
export async function backfillInbox(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE mentions SET created_at = COALESCE((SELECT e.created_at FROM events e WHERE e.channel_id = mentions.channel_id AND e.seq = mentions.seq), 0)`.execute(
    db,
  );
  await sql`INSERT INTO threads (channel_id, root_seq, root_sender_id, replies, last_reply_seq, last_reply_at)
    SELECT r.channel_id, r.thread_root, root.sender_id, COUNT(*), MAX(r.seq), MAX(r.created_at)
    FROM events r JOIN events root ON root.channel_id = r.channel_id AND root.seq = r.thread_root
    WHERE r.thread_root IS NOT NULL AND r.kind = 'message'
    GROUP BY r.channel_id, r.thread_root, root.sender_id`.execute(db);
  await sql`INSERT INTO thread_follows (user_id, channel_id, root_seq, following, read_seq, updated_at)
    SELECT p.user_id, p.channel_id, p.root_seq, 1, t.last_reply_seq, t.last_reply_at
    FROM (
      SELECT sender_id AS user_id, channel_id, thread_root AS root_seq FROM events WHERE thread_root IS NOT NULL AND kind = 'message'
      UNION
      SELECT root_sender_id, channel_id, root_seq FROM threads
    ) p JOIN threads t ON t.channel_id = p.channel_id AND t.root_seq = p.root_seq`.execute(db);
}
