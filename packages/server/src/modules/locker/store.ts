/** SQL of the key lockers: one row per user, and the sealed entries their devices append. */
import type { Db, Tx } from "../../platform/db/index.ts";
import type { Selectable } from "kysely";
import type { LockerEntriesTable, UserLockersTable } from "../../platform/db/tables.ts";

type Q = Db | Tx;
export type LockerRow = UserLockersTable;
export type NewLockerEntry = Omit<LockerEntriesTable, "id">;

/** Rows per INSERT (keeps multi-row inserts under the databases' parameter limits). */
const INSERT_CHUNK = 250;

/** The user's locker, looked up within their org. */
export function findLocker(q: Q, orgId: string, userId: string): Promise<LockerRow | undefined> {
  return q.selectFrom("user_lockers").selectAll().where("org_id", "=", orgId).where("user_id", "=", userId).executeTakeFirst();
}

export async function insertLocker(tx: Tx, row: LockerRow): Promise<void> {
  await tx.insertInto("user_lockers").values(row).execute();
}

export async function replaceRecoveryBlob(tx: Tx, userId: string, blob: Uint8Array, at: number): Promise<void> {
  await tx.updateTable("user_lockers").set({ recovery_blob: blob, updated_at: at }).where("user_id", "=", userId).execute();
}

/** Of `channelIds`, those the user is a member of (in their org). */
export async function memberChannels(q: Q, orgId: string, userId: string, channelIds: string[]): Promise<Set<string>> {
  if (channelIds.length === 0) return new Set();
  const rows = await q
    .selectFrom("channel_members")
    .select("channel_id")
    .where("org_id", "=", orgId)
    .where("user_id", "=", userId)
    .where("channel_id", "in", channelIds)
    .execute();
  return new Set(rows.map((r) => r.channel_id));
}

/** Appends entries; returns their ids in ascending order. */
export async function insertEntries(tx: Tx, rows: NewLockerEntry[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const out = await tx
      .insertInto("locker_entries")
      .values(rows.slice(i, i + INSERT_CHUNK))
      .returning("id")
      .execute();
    ids.push(...out.map((r) => Number(r.id)));
  }
  return ids.sort((a, b) => a - b);
}

/** The user's entries with id > after, oldest first, at most `limit` (+1 to tell whether more follow). */
export function entriesAfter(q: Q, orgId: string, userId: string, after: number, limit: number): Promise<Selectable<LockerEntriesTable>[]> {
  return q
    .selectFrom("locker_entries")
    .selectAll()
    .where("user_id", "=", userId)
    .where("org_id", "=", orgId)
    .where("id", ">", after)
    .orderBy("id", "asc")
    .limit(limit + 1)
    .execute();
}
