/**
 * The server's Ed25519 signing keys (directory, external sender, audit) in server_keys,
 * private halves sealed under the server-wide data key. The active key of a purpose is
 * its oldest row not retired: two nodes creating one at once both insert, and both then
 * use the first. A rotation inserts the new row and retires the others in one
 * transaction; nodes see it within PARLEY_KEY_REFRESH_SECONDS.
 */
import crypto from "node:crypto";
import type { Kysely } from "kysely";
import { endorseDirectoryKey, generateServerSigningKey } from "@parley/crypto/public";
import type { Database, ServerKeysTable } from "../db/tables.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { KmsError, type Kms, type ServerSigningKey, type SigningKeyPurpose } from "./kms.ts";

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const sealContext = (id: string, purpose: SigningKeyPurpose) => `server_keys/${id}/${purpose}`;

/** A signing key from its raw Ed25519 seed and public key; signs with node:crypto. */
function signingKeyFrom(id: string, purpose: SigningKeyPurpose, privateKey: Uint8Array, publicKey: Uint8Array): ServerSigningKey {
  const keyObject = crypto.createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64url(privateKey), x: b64url(publicKey) }, format: "jwk" });
  return { id, purpose, privateKey, publicKey, sign: (data) => new Uint8Array(crypto.sign(null, data, keyObject)) };
}

/** The Ed25519 public key of a server_keys row. */
export function publicKeyOf(row: Pick<ServerKeysTable, "public_jwk">): Uint8Array {
  return new Uint8Array(Buffer.from((JSON.parse(row.public_jwk) as { x: string }).x, "base64url"));
}

interface CacheEntry {
  key: Promise<ServerSigningKey>;
  checkedAt: number;
  checking?: Promise<ServerSigningKey> | undefined;
}

/** Keys `parley keys rotate --signing` rotates here (jwt keys rotate in modules/accounts/tokens.ts). */
export type RotatablePurpose = "audit" | "directory";

export interface SigningKeyOptions {
  db: Kysely<Database>;
  kms: Pick<Kms, "seal" | "open" | "isLegacy">;
  now(): number;
  refreshMs: number;
  log?: Logger | undefined;
}

export function createSigningKeys(opts: SigningKeyOptions) {
  const { db, kms } = opts;
  const cache = new Map<SigningKeyPurpose, CacheEntry>();

  const active = (purpose: SigningKeyPurpose) =>
    db
      .selectFrom("server_keys")
      .selectAll()
      .where("purpose", "=", purpose)
      .where("retired_at", "is", null)
      .orderBy("created_at")
      .orderBy("id")
      .executeTakeFirst();

  async function newRow(purpose: SigningKeyPurpose) {
    const { privateKey, publicKey } = generateServerSigningKey();
    const id = newId("key");
    try {
      return {
        id,
        purpose,
        public_jwk: JSON.stringify({ kty: "OKP", crv: "Ed25519", x: b64url(publicKey), kid: id, use: "sig" }),
        private_jwk: await kms.seal(privateKey, sealContext(id, purpose)),
        created_at: opts.now(),
        retired_at: null,
      };
    } finally {
      privateKey.fill(0);
    }
  }

  async function load(purpose: SigningKeyPurpose): Promise<ServerSigningKey> {
    let row = await active(purpose);
    if (!row) {
      await db
        .insertInto("server_keys")
        .values(await newRow(purpose))
        .execute();
      row = await active(purpose);
      if (!row) throw new KmsError(`server key ${purpose} vanished after insert`);
    }
    const publicKey = publicKeyOf(row);
    const privateKey = await kms.open(row.private_jwk, sealContext(row.id, purpose));
    if (kms.isLegacy(row.private_jwk)) {
      // Sealed before per-org data keys: seal it again under the server's data key.
      const resealed = await kms.seal(privateKey, sealContext(row.id, purpose));
      await db.updateTable("server_keys").set({ private_jwk: resealed }).where("id", "=", row.id).where("private_jwk", "=", row.private_jwk).execute();
    }
    return signingKeyFrom(row.id, purpose, privateKey, publicKey);
  }

  /**
   * In the background: if another key became active (a rotation, here or on another node), load
   * it for the next callers. Never awaited by a caller: a key is asked for inside transactions
   * (audit checkpoints), and on SQLite that transaction holds the only connection, so waiting
   * for this query there would deadlock. A node may thus sign once more with a rotated key after
   * its refresh interval; the directory re-signing job re-checks until none is left.
   */
  function recheck(purpose: SigningKeyPurpose, entry: CacheEntry): void {
    entry.checkedAt = opts.now();
    entry.checking ??= Promise.all([entry.key, active(purpose)])
      .then(async ([current, row]) => {
        if (row && row.id !== current.id) entry.key = Promise.resolve(await load(purpose));
        return entry.key;
      })
      .catch((err: unknown) => {
        opts.log?.warn({ err: (err as Error).message, purpose }, "could not re-read the active signing key");
        return entry.key;
      })
      .finally(() => (entry.checking = undefined));
  }

  return {
    key(purpose: SigningKeyPurpose): Promise<ServerSigningKey> {
      const entry = cache.get(purpose);
      if (!entry) {
        const key = load(purpose);
        cache.set(purpose, { key, checkedAt: opts.now() });
        key.catch(() => cache.delete(purpose)); // a failed load is retried on the next call
        return key;
      }
      if (opts.now() - entry.checkedAt > opts.refreshMs) recheck(purpose, entry);
      return entry.key;
    },
    /**
     * A new key of `purpose` becomes the active one. The previous ones are retired at once
     * (audit) or at `retireAt` (directory: they keep verifying bindings until then). A new
     * directory key is endorsed by the active one, so devices that pinned it follow.
     */
    async rotate(purpose: RotatablePurpose, retireAt?: number): Promise<{ id: string; previous: string[] }> {
      const row: ServerKeysTable = { ...(await newRow(purpose)), endorsement: null };
      if (purpose === "directory") {
        const current = await load(purpose);
        const publicKey = publicKeyOf(row);
        const signature = endorseDirectoryKey(current.privateKey, { id: row.id, publicKey, createdAt: row.created_at });
        row.endorsement = JSON.stringify({ by: current.id, signature: Buffer.from(signature).toString("base64") });
      }
      const previous = await db.transaction().execute(async (tx) => {
        const old = await tx.selectFrom("server_keys").select("id").where("purpose", "=", purpose).where("retired_at", "is", null).execute();
        await tx.insertInto("server_keys").values(row).execute();
        await tx
          .updateTable("server_keys")
          .set({ retired_at: retireAt ?? opts.now() })
          .where("purpose", "=", purpose)
          .where("retired_at", "is", null)
          .where("id", "!=", row.id)
          .execute();
        return old.map((r) => r.id);
      });
      const key = load(purpose);
      cache.set(purpose, { key, checkedAt: opts.now() });
      await key;
      return { id: row.id, previous };
    },
  };
}
