/**
 * Rotating the directory key (what signs device bindings). `parley keys rotate --signing
 * directory` makes a new key, endorsed by the one it replaces, which keeps verifying until
 * its overlap ends; /e2ee/config lists every directory key with its endorsement so a device
 * that pinned an older key follows the chain (sdk e2ee/directory-trust.ts). A durable job
 * then re-signs every binding with the new key, once every node signs with it.
 */
import { signBinding } from "@parley/crypto/public";
import type { Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import { enqueueJob } from "../../platform/jobs/index.ts";
import { publicKeyOf } from "../../platform/kms/signing-keys.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

export const DIRECTORY_RESIGN_JOB = "e2ee.directory_resign";

/** One directory key as /e2ee/config lists it. */
export interface ListedDirectoryKey {
  id: string;
  publicKey: string;
  createdAt: number;
  verifiesUntil: number | null;
  endorsement: { by: string; signature: string } | null;
}

/**
 * Every directory key, oldest first: the active one (the oldest not retired; verifiesUntil null)
 * and those rotated out (verifiesUntil = when they were retired, in the future during the
 * overlap). Rows made by a node that lost a creation race (not retired, not the oldest) signed
 * nothing and are left out.
 */
export async function listDirectoryKeys(db: Db): Promise<ListedDirectoryKey[]> {
  const rows = await db
    .selectFrom("server_keys")
    .select(["id", "public_jwk", "created_at", "retired_at", "endorsement"])
    .where("purpose", "=", "directory")
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  const active = rows.find((r) => r.retired_at === null);
  return rows
    .filter((r) => r.retired_at !== null || r === active)
    .map((r) => ({
      id: r.id,
      publicKey: b64(publicKeyOf(r)),
      createdAt: Number(r.created_at),
      verifiesUntil: r.retired_at === null ? null : Number(r.retired_at),
      endorsement: r.endorsement ? (JSON.parse(r.endorsement) as { by: string; signature: string }) : null,
    }));
}

/**
 * A new directory key signs from now on (on this process; other nodes within
 * PARLEY_KEY_REFRESH_SECONDS); the old one verifies until `now + overlapMs`. Queues the
 * re-signing of every binding for after the other nodes switched.
 */
export async function rotateDirectoryKey(deps: Deps, overlapMs: number): Promise<{ id: string; previous: string[]; verifiesUntil: number }> {
  const verifiesUntil = deps.now() + overlapMs;
  const r = await deps.kms.rotateSigningKey("directory", verifiesUntil);
  await enqueueJob(deps.db, DIRECTORY_RESIGN_JOB, { keyId: r.id }, { runAt: deps.now() + deps.config.keyRefreshSeconds * 1000 + 5_000, now: deps.now() });
  return { ...r, verifiesUntil };
}

/** The active directory key's id (the oldest not retired: platform/kms/signing-keys.ts), if there is one. */
export async function activeDirectoryKeyId(q: Db | Tx): Promise<string | undefined> {
  const row = await q
    .selectFrom("server_keys")
    .select("id")
    .where("purpose", "=", "directory")
    .where("retired_at", "is", null)
    .orderBy("created_at")
    .orderBy("id")
    .executeTakeFirst();
  return row?.id;
}

/** Bindings not yet signed by the active directory key (`parley keys status`). */
export async function bindingsToResign(db: Db): Promise<number> {
  const active = await activeDirectoryKeyId(db);
  if (!active) return 0;
  const row = await db
    .selectFrom("device_bindings")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where((eb) => eb.or([eb("signed_by", "is", null), eb("signed_by", "!=", active)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Re-signs, in batches, every binding another directory key signed. Throws (the job retries)
 * while this process still signs with an older key than the database's active one.
 */
async function resignBindings(deps: Deps, batch = 500): Promise<number> {
  const key = await deps.kms.key("directory");
  if ((await activeDirectoryKeyId(deps.db)) !== key.id)
    throw new Error("this process does not sign with the active directory key yet; retrying after its refresh");
  let done = 0;
  for (;;) {
    const rows = await deps.db
      .selectFrom("device_bindings")
      .select(["device_id", "org_id", "user_id", "signature_key", "signed_by"])
      .where((eb) => eb.or([eb("signed_by", "is", null), eb("signed_by", "!=", key.id)]))
      .orderBy("device_id")
      .limit(batch)
      .execute();
    if (rows.length === 0) break;
    await deps.db.transaction().execute(async (tx) => {
      for (const r of rows) {
        const signed = signBinding(key.privateKey, {
          orgId: r.org_id,
          userId: r.user_id,
          deviceId: r.device_id,
          signaturePublicKey: new Uint8Array(r.signature_key),
        });
        let q = tx.updateTable("device_bindings").set({ signature: signed.signature, signed_by: key.id }).where("device_id", "=", r.device_id);
        q = r.signed_by === null ? q.where("signed_by", "is", null) : q.where("signed_by", "=", r.signed_by);
        await q.execute();
      }
    });
    done += rows.length;
    deps.log.info({ module: "e2ee", resigned: done, keyId: key.id }, "device bindings re-signed with the new directory key");
  }
  return done;
}

export function e2eeJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [DIRECTORY_RESIGN_JOB]() {
      await resignBindings(deps);
    },
  };
}
