/**
 * The rows a channel deletion removes, children first (foreign keys point at channels.id).
 * Compliance copies that outlive their channel on purpose stay: held_events and held_files
 * (a released hold's copies), archive key entries and exports, and audit entries. Members'
 * stream items stay too (their seqs are part of each user's stream).
 */
import type { Tx } from "../../platform/db/index.ts";

/** Tables keyed by channel_id whose rows go with the channel, in deletion order. */
const CHANNEL_TABLES = [
  "channel_pins",
  "channel_notification_settings",
  "threads",
  "thread_follows",
  "mentions",
  "events",
  "mls_welcomes",
  "mls_pending_removals",
  "mls_leaves",
  "mls_groups",
  "locker_entries",
  "channel_restrictions",
  "scim_group_channels",
  "scim_channel_grants",
  "ldap_channel_grants",
  "sso_channel_grants",
  "retention_policies",
  "channel_members",
] as const;

/** Delete the channel and everything keyed by it; returns the file ids whose blobs must go and how many events went. */
export async function deleteChannelRows(tx: Tx, orgId: string, channelId: string): Promise<{ blobIds: string[]; events: number }> {
  const files = await tx.selectFrom("files").select(["id", "deleted_at"]).where("channel_id", "=", channelId).execute();
  const held = new Set(
    files.length === 0
      ? []
      : (
          await tx
            .selectFrom("held_files")
            .select("file_id")
            .where(
              "file_id",
              "in",
              files.map((f) => f.id),
            )
            .execute()
        ).map((r) => r.file_id),
  );
  let events = 0;
  for (const table of CHANNEL_TABLES) {
    const r = await tx.deleteFrom(table).where("channel_id", "=", channelId).executeTakeFirst();
    if (table === "events") events = Number(r.numDeletedRows);
  }
  await tx.deleteFrom("files").where("channel_id", "=", channelId).execute();
  await tx.deleteFrom("channels").where("id", "=", channelId).where("org_id", "=", orgId).execute();
  // Blobs of files already deleted with their message are gone (or queued) already; held ones stay.
  return { blobIds: files.filter((f) => f.deleted_at === null && !held.has(f.id)).map((f) => f.id), events };
}

/** Which of the `held` users are members of the channel or sent an event in it. */
export async function heldUsersIn(tx: Tx, channelId: string, held: string[]): Promise<Set<string>> {
  const members = await tx.selectFrom("channel_members").select("user_id as id").where("channel_id", "=", channelId).where("user_id", "in", held).execute();
  const senders = await tx
    .selectFrom("events")
    .select("sender_id as id")
    .distinct()
    .where("channel_id", "=", channelId)
    .where("sender_id", "in", held)
    .execute();
  return new Set([...members, ...senders].map((r) => r.id));
}
