/**
 * 0035: notifications (issue 13, docs/architecture.md "Notifications"): each user's
 * notification settings (default level, time zone, do-not-disturb schedule, snooze), their
 * per-channel overrides, and their devices' Web Push subscriptions. The VAPID key pair lives
 * in `meta` (private half sealed by platform/kms); no table here holds message content or
 * keywords.
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function notifications(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("notification_settings")
        .addColumn("user_id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("level", "text", (c) => c.notNull())
        .addColumn("time_zone", "text", (c) => c.notNull())
        .addColumn("dnd_schedule", "text", (c) => c.notNull())
        .addColumn("snooze_until", "bigint")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("channel_notification_settings")
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("level", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("channel_notification_settings_pk", ["user_id", "channel_id"])
        .execute();
      await db.schema.createIndex("channel_notification_settings_channel").on("channel_notification_settings").column("channel_id").execute();
      await db.schema
        .createTable("push_subscriptions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("org_id", "text", (c) => c.notNull())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("device_id", "text", (c) => c.notNull())
        .addColumn("endpoint", "text", (c) => c.notNull())
        .addColumn("p256dh", "text", (c) => c.notNull())
        .addColumn("auth", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("next_push_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("push_subscriptions_device_endpoint").on("push_subscriptions").columns(["device_id", "endpoint"]).unique().execute();
      await db.schema.createIndex("push_subscriptions_user").on("push_subscriptions").columns(["org_id", "user_id"]).execute();
    },
  };
}
