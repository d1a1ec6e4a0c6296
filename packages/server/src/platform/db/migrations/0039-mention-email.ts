/**
 * 0039: email about unread mentions and sealed keywords (issue 13, docs/architecture.md
 * "Notifications"). Per user: whether mention email is on, after how many minutes offline, and
 * when the last one was sent (at most one per PARLEY_MENTION_EMAIL_WINDOW_MINUTES); and the
 * user's notification keywords as an opaque blob their devices seal to their key locker's
 * public key (the server cannot read it).
 */
import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import type { MigrationContext } from "./context.ts";

export function mentionEmail(_ctx: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable("notification_settings")
        .addColumn("email_enabled", "integer", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable("notification_settings")
        .addColumn("email_delay_minutes", "integer", (c) => c.notNull().defaultTo(15))
        .execute();
      await db.schema.alterTable("notification_settings").addColumn("email_sent_at", "bigint").execute();
      await db.schema.alterTable("notification_settings").addColumn("keywords_sealed", "text").execute();
    },
  };
}
