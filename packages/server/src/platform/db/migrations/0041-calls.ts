/**
 * 0041: voice and video calls (issue 14). `calls` holds each call of a channel or DM: its kind
 * (p2p for a DM's 1:1 call, sfu for group calls), who started it and when it ended and why.
 * `call_participants` holds each device's stay in a call (a device that leaves and joins again
 * gets a new row) with its media state; `left_at` null means the device is in the call now.
 * `call_rings` holds who a call rang and how they answered. No media, no keys: metadata only.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";

export function calls(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("calls")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("started_by", "text", (c) => c.notNull())
        .addColumn("started_device", "text", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("answered_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("end_reason", "text")
        // One active call per channel: `active_channel` is the channel id while the call goes on and null once it ended.
        .addColumn("active_channel", "text", (c) => c.unique())
        .execute();
      await db.schema.createIndex("calls_org_active").on("calls").columns(["org_id", "ended_at"]).execute();
      await db.schema
        .createTable("call_participants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("call_id", "text", (c) => c.notNull().references("calls.id"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("joined_at", "bigint", (c) => c.notNull())
        .addColumn("left_at", "bigint")
        .addColumn("leave_reason", "text")
        .addColumn("audio_muted", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("video_muted", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("screen_sharing", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("hand_raised", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex("call_participants_call").on("call_participants").columns(["call_id", "left_at"]).execute();
      await db.schema.createIndex("call_participants_device").on("call_participants").columns(["device_id", "left_at"]).execute();
      await db.schema
        .createTable("call_rings")
        .addColumn("call_id", "text", (c) => c.notNull().references("calls.id"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("answer", "text")
        .addColumn("answered_at", "bigint")
        .addPrimaryKeyConstraint("call_rings_pk", ["call_id", "user_id"])
        .execute();
    },
  };
}
