/** SQL of the personal store: one row per (user, kind, key), and each user's change counter. */
import type { Selectable } from "kysely";
import type { PersonalItem } from "@parley/protocol";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { PersonalItemsTable } from "../../platform/db/personal-tables.ts";

type Q = Db | Tx;
export type PersonalItemRow = Selectable<PersonalItemsTable>;

export function findItem(q: Q, userId: string, kind: string, key: string): Promise<PersonalItemRow | undefined> {
  return q.selectFrom("personal_items").selectAll().where("user_id", "=", userId).where("kind", "=", kind).where("item_key", "=", key).executeTakeFirst();
}

/** Live (not deleted) items of a kind the user holds. */
export async function countLiveItems(q: Q, userId: string, kind: string): Promise<number> {
  const row = await q
    .selectFrom("personal_items")
    .select((eb) => eb.fn.countAll().as("n"))
    .where("user_id", "=", userId)
    .where("kind", "=", kind)
    .where("sealed", "is not", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * The user's next change number. The upsert takes the head row's lock, so concurrent changes
 * of one user (two devices at once) get distinct, increasing versions on PostgreSQL too.
 */
export async function nextVersion(tx: Tx, userId: string): Promise<number> {
  const row = await tx
    .insertInto("personal_heads")
    .values({ user_id: userId, version: 1 })
    .onConflict((oc) => oc.column("user_id").doUpdateSet((eb) => ({ version: eb("personal_heads.version", "+", 1) })))
    .returning("version")
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

export async function upsertItem(tx: Tx, row: PersonalItemsTable): Promise<void> {
  const { user_id: _u, kind: _k, item_key: _i, org_id: _o, ...changes } = row;
  await tx
    .insertInto("personal_items")
    .values(row)
    .onConflict((oc) => oc.columns(["user_id", "kind", "item_key"]).doUpdateSet(changes))
    .execute();
}

/** The user's items changed after `after`, oldest change first, at most `limit` + 1 (to tell whether more follow). */
export function changesAfter(q: Q, orgId: string, userId: string, kind: string | undefined, after: number, limit: number): Promise<PersonalItemRow[]> {
  let query = q.selectFrom("personal_items").selectAll().where("user_id", "=", userId).where("org_id", "=", orgId).where("version", ">", after);
  if (kind) query = query.where("kind", "=", kind);
  return query
    .orderBy("version", "asc")
    .limit(limit + 1)
    .execute();
}

export function toPersonalItem(r: PersonalItemRow): PersonalItem {
  return {
    kind: r.kind as PersonalItem["kind"],
    key: r.item_key,
    version: Number(r.version),
    clientTs: Number(r.client_ts),
    sealed: r.sealed === null ? null : Buffer.from(r.sealed).toString("base64"),
    deviceId: r.device_id,
    updatedAt: Number(r.updated_at),
  };
}
