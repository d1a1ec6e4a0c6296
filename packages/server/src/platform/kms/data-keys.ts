/**
 * Data keys (table kms_data_keys): one active AES-256 key per org and one for the
 * server's own secrets (scope `server`), each stored wrapped by a KEK (kek.ts) with its
 * id and scope as associated data. Unwrapped keys are cached in memory: a node unwraps
 * each once (at boot, or on first use), so the HSM is not on the path of every request
 * and a KEK rotation, which only re-wraps, changes nothing a running node holds.
 * Deleting an org's rows crypto-shreds everything sealed for it.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/tables.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { Kek, KekRing } from "./kek.ts";
import { KmsError } from "./kms.ts";

/** The scope of the server-wide data key (org ids never take this form). */
export const SERVER_SCOPE = "server";

export interface DataKey {
  id: string;
  /** An org id, or SERVER_SCOPE. */
  scope: string;
  key: Buffer;
}

interface Cached extends DataKey {
  /** False while the row was only seen inside a transaction that may still roll back. */
  confirmed: boolean;
  /** When the row was last seen (ms): after PARLEY_KEY_REFRESH_SECONDS it is checked again, in the background. */
  checkedAt: number;
  /** A background look for the committed row is under way. */
  confirming?: boolean;
}

type Row = { id: string; scope: string; kek_id: string; wrapped_key: string; retired_at: number | null };

const aad = (id: string, scope: string) => `parley-kms-dek/2|${id}|${scope}`;

/** Unwrap one stored data key with `ring` (throws KmsError naming the key and KEK when it does not open). */
export async function unwrapDataKeyRow(ring: KekRing, row: { id: string; scope: string; kek_id: string; wrapped_key: string }): Promise<void> {
  const kek = await ring.get(row.kek_id);
  if (!kek) throw new KmsError(`data key ${row.id} is wrapped by KEK ${row.kek_id}, which ${ring.where} does not hold`);
  try {
    (await kek.unwrap(row.wrapped_key, aad(row.id, row.scope))).fill(0);
  } catch (err) {
    throw new KmsError(`data key ${row.id} does not unwrap with KEK ${row.kek_id}: ${(err as Error).message}`);
  }
}

const isTx = (q: Kysely<Database>) => q.isTransaction;

export interface DataKeyOptions {
  db: Kysely<Database>;
  ring: KekRing;
  now(): number;
  /** How long a cached key is trusted before its row is checked again, ms. */
  refreshMs: number;
  log?: Logger | undefined;
}

export interface DataKeys {
  /** The scope's active data key, created on first use (through `q`, the caller's transaction if any). */
  active(scope: string, q?: Kysely<Database>): Promise<DataKey>;
  /** A data key by id (any state); KmsError when it no longer exists. */
  byId(id: string, q?: Kysely<Database>): Promise<DataKey>;
  /** Unwrap every data key into the cache (boot): a missing or wrong KEK fails here, not on a later request. */
  warm(): Promise<number>;
  /** Delete a scope's data keys; returns how many. */
  shred(scope: string, q?: Kysely<Database>): Promise<number>;
}

export function createDataKeys(opts: DataKeyOptions): DataKeys {
  const byId = new Map<string, Cached>();
  const activeOf = new Map<string, Cached>();

  const forget = (c: Cached) => {
    byId.delete(c.id);
    if (activeOf.get(c.scope) === c) activeOf.delete(c.scope);
  };

  async function kekFor(row: Row): Promise<Kek> {
    const kek = await opts.ring.get(row.kek_id);
    if (!kek) {
      throw new KmsError(
        `data key ${row.id} is wrapped by KEK ${row.kek_id}, which ${opts.ring.where} does not hold: restore that key (the key file or HSM token the data was sealed with), or set PARLEY_KMS / PARLEY_KMS_KEY_FILE / PARLEY_PKCS11_* back to it`,
      );
    }
    return kek;
  }

  /** Look for the row outside any transaction, in the background: once it is there, it is committed. */
  function confirmLater(c: Cached): void {
    if (c.confirmed || c.confirming) return;
    c.confirming = true;
    select(opts.db)
      .where("id", "=", c.id)
      .executeTakeFirst()
      .then(
        (row) => {
          if (row) c.confirmed = true;
        },
        () => undefined,
      )
      .finally(() => (c.confirming = false));
  }

  async function remember(row: Row, q: Kysely<Database>): Promise<Cached> {
    const kek = await kekFor(row);
    let key: Buffer;
    try {
      key = await kek.unwrap(row.wrapped_key, aad(row.id, row.scope));
    } catch (err) {
      throw new KmsError(`data key ${row.id} does not unwrap with KEK ${row.kek_id}: ${(err as Error).message}`);
    }
    const c: Cached = { id: row.id, scope: row.scope, key, confirmed: !isTx(q), checkedAt: opts.now() };
    byId.set(c.id, c);
    if (row.retired_at === null) activeOf.set(c.scope, c);
    confirmLater(c);
    return c;
  }

  const select = (q: Kysely<Database>) => q.selectFrom("kms_data_keys").select(["id", "scope", "kek_id", "wrapped_key", "retired_at"]);

  /**
   * A cached key still fit to use through `q`: one only seen inside a transaction is
   * checked now (gone if that transaction rolled back); a stale one is checked in the
   * background (gone if shredded elsewhere, no longer active if retired).
   */
  async function check(c: Cached, q: Kysely<Database>): Promise<Cached | undefined> {
    if (!c.confirmed) {
      const row = await select(q).where("id", "=", c.id).executeTakeFirst();
      if (!row) {
        forget(c);
        return undefined;
      }
      if (!isTx(q)) c.confirmed = true;
      else confirmLater(c);
      return c;
    }
    if (opts.now() - c.checkedAt > opts.refreshMs) {
      c.checkedAt = opts.now();
      select(opts.db)
        .where("id", "=", c.id)
        .executeTakeFirst()
        .then(
          (row) => {
            if (!row) forget(c);
            else if (row.retired_at !== null && activeOf.get(c.scope) === c) activeOf.delete(c.scope);
          },
          (err: unknown) => opts.log?.warn({ err: (err as Error).message }, "could not re-check a cached data key"),
        );
    }
    return c;
  }

  return {
    async active(scope, q = opts.db) {
      const cached = activeOf.get(scope);
      const fit = cached && (await check(cached, q));
      if (fit) return fit;
      const existing = await select(q).where("scope", "=", scope).where("retired_at", "is", null).executeTakeFirst();
      if (existing) return remember(existing, q);
      const id = newId("dk");
      const dek = crypto.randomBytes(32);
      const kek = await opts.ring.active();
      try {
        // A concurrent creator (another node, another transaction) wins on the unique index; we then use its key.
        await q
          .insertInto("kms_data_keys")
          .values({ id, scope, kek_id: kek.id, wrapped_key: await kek.wrap(dek, aad(id, scope)), created_at: opts.now(), rewrapped_at: null, retired_at: null })
          .onConflict((oc) => oc.doNothing())
          .execute();
      } finally {
        dek.fill(0);
      }
      const row = await select(q).where("scope", "=", scope).where("retired_at", "is", null).executeTakeFirst();
      if (!row) throw new KmsError(`the data key of ${scope} vanished after insert`);
      return remember(row, q);
    },
    async byId(id, q = opts.db) {
      const cached = byId.get(id);
      const fit = cached && (await check(cached, q));
      if (fit) return fit;
      const row = await select(q).where("id", "=", id).executeTakeFirst();
      if (!row) throw new KmsError(`data key ${id} no longer exists: what it sealed was crypto-shredded`);
      return remember(row, q);
    },
    async warm() {
      const rows = await select(opts.db).execute();
      for (const row of rows) await remember(row, opts.db);
      return rows.length;
    },
    async shred(scope, q = opts.db) {
      const gone = await q.deleteFrom("kms_data_keys").where("scope", "=", scope).executeTakeFirst();
      for (const c of [...byId.values()]) if (c.scope === scope) forget(c);
      return Number(gone.numDeletedRows);
    },
  };
}

/** How many data keys each KEK wraps. */
export async function dataKeyReferences(db: Kysely<Database>): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("kms_data_keys")
    .select(["kek_id", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("kek_id")
    .execute();
  return new Map(rows.map((r) => [r.kek_id, Number(r.n)]));
}

/**
 * Re-wrap every data key not wrapped by `kek` under it (`parley keys rotate`). Each row
 * changes on its own (an UPDATE guarded by its old KEK id), so servers keep reading
 * throughout and a rotation stopped halfway is finished by running it again.
 */
export async function rewrapDataKeys(
  db: Kysely<Database>,
  ring: KekRing,
  kek: Kek,
  now: () => number,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const rows = await db.selectFrom("kms_data_keys").select(["id", "scope", "kek_id", "wrapped_key"]).where("kek_id", "!=", kek.id).orderBy("id").execute();
  let done = 0;
  for (const row of rows) {
    const old = await ring.get(row.kek_id);
    if (!old) throw new KmsError(`data key ${row.id} is wrapped by KEK ${row.kek_id}, which ${ring.where} does not hold: restore it, then run this again`);
    const dek = await old.unwrap(row.wrapped_key, aad(row.id, row.scope));
    try {
      await db
        .updateTable("kms_data_keys")
        .set({ kek_id: kek.id, wrapped_key: await kek.wrap(dek, aad(row.id, row.scope)), rewrapped_at: now() })
        .where("id", "=", row.id)
        .where("kek_id", "=", row.kek_id)
        .execute();
    } finally {
      dek.fill(0);
    }
    done++;
    onProgress?.(done, rows.length);
  }
  return done;
}
