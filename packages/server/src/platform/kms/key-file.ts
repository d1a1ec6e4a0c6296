/**
 * Key-file KMS: a 32-byte master key in a file (DATA_DIR/master.key, mode
 * 0600, or PARLEY_KMS_KEY_FILE) wraps per-record data keys; the records (the
 * server's private keys) live sealed in the database, so every node with the
 * same key file shares them and a database dump alone reveals no key.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { generateServerSigningKey } from "@parley/crypto/public";
import type { Db } from "../db/index.ts";
import type { Logger } from "../log.ts";
import { newId } from "../ids.ts";
import { KmsError, type Kms, type ServerSigningKey, type SigningKeyPurpose } from "./kms.ts";

const SEALED_PREFIX = "kms1:";

interface Sealed {
  /** Master key id (a hash of it): names the key that wrapped `dek`, so a wrong key file gets a clear error. */
  kek: string;
  /** iv | tag | ciphertext of the data key under the master key. */
  dek: string;
  /** iv | tag | ciphertext of the plaintext under the data key. */
  data: string;
}

/** Reads the master key file, creating it (32 random bytes, 0600) if it does not exist. */
export function loadMasterKey(file: string, log?: Logger): Buffer {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new KmsError(`cannot read the KMS master key file ${file}: ${(err as Error).message}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // "wx": two nodes starting at once on a shared volume must not overwrite each other's key.
      fs.writeFileSync(file, crypto.randomBytes(32), { flag: "wx", mode: 0o600 });
      log?.info({ file }, "created the KMS master key file: back it up, the server's keys cannot be recovered without it");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new KmsError(`cannot create the KMS master key file ${file}: ${(e as Error).message}`);
    }
    raw = fs.readFileSync(file);
  }
  if (process.platform !== "win32" && (fs.statSync(file).mode & 0o077) !== 0) {
    log?.warn({ file }, "the KMS master key file is readable by other users: chmod 600 it");
  }
  if (raw.length === 32) return raw;
  // Also accept the key as hex or base64 text (e.g. mounted from a secret store).
  const text = raw.toString("utf8").trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  const b64 = Buffer.from(text, "base64");
  if (b64.length === 32 && /^[A-Za-z0-9+/]{43}=$/.test(text)) return b64;
  throw new KmsError(`the KMS master key file ${file} must hold exactly 32 bytes (raw, 64 hex digits or base64); it holds ${raw.length} bytes`);
}

function gcmSeal(key: Buffer, plaintext: Uint8Array, aad: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64");
}

function gcmOpen(key: Buffer, sealed: string, aad: string): Buffer {
  const buf = Buffer.from(sealed, "base64");
  if (buf.length < 28) throw new KmsError("sealed value is truncated");
  const d = crypto.createDecipheriv("aes-256-gcm", key, buf.subarray(0, 12));
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(buf.subarray(12, 28));
  try {
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]);
  } catch {
    throw new KmsError("sealed value does not authenticate (altered, or moved from another record)");
  }
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/** A signing key from its raw Ed25519 seed and public key; signs with node:crypto. */
function signingKeyFrom(id: string, purpose: SigningKeyPurpose, privateKey: Uint8Array, publicKey: Uint8Array): ServerSigningKey {
  const keyObject = crypto.createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: b64url(privateKey), x: b64url(publicKey) }, format: "jwk" });
  return { id, purpose, privateKey, publicKey, sign: (data) => new Uint8Array(crypto.sign(null, data, keyObject)) };
}

export interface KeyFileKmsOptions {
  /** Path of the master key file. */
  keyFile: string;
  db: Db;
  now(): number;
  log?: Logger;
}

/** The key-file Kms (see the file comment). */
export function createKeyFileKms(opts: KeyFileKmsOptions): Kms {
  const master = loadMasterKey(opts.keyFile, opts.log);
  const kekId = crypto.createHash("sha256").update("parley-kms-kek-id/1").update(master).digest("hex").slice(0, 16);
  const cache = new Map<SigningKeyPurpose, Promise<ServerSigningKey>>();

  const kms: Kms = {
    kind: "key-file",
    async seal(plaintext, context) {
      const dek = crypto.randomBytes(32);
      try {
        const rec: Sealed = {
          kek: kekId,
          dek: gcmSeal(master, dek, `parley-kms-dek/1|${context}`),
          data: gcmSeal(dek, plaintext, `parley-kms-data/1|${context}`),
        };
        return SEALED_PREFIX + JSON.stringify(rec);
      } finally {
        dek.fill(0);
      }
    },
    async open(sealed, context) {
      if (!kms.isSealed(sealed)) throw new KmsError(`${context}: value is not sealed by the KMS`);
      let rec: Sealed;
      try {
        rec = JSON.parse(sealed.slice(SEALED_PREFIX.length)) as Sealed;
      } catch {
        throw new KmsError(`${context}: malformed sealed value`);
      }
      if (rec.kek !== kekId) {
        throw new KmsError(
          `${context} was sealed with master key ${rec.kek}, but ${opts.keyFile} holds key ${kekId}: restore the original master key file (PARLEY_KMS_KEY_FILE)`,
        );
      }
      const dek = gcmOpen(master, rec.dek, `parley-kms-dek/1|${context}`);
      try {
        return new Uint8Array(gcmOpen(dek, rec.data, `parley-kms-data/1|${context}`));
      } finally {
        dek.fill(0);
      }
    },
    isSealed: (value) => value.startsWith(SEALED_PREFIX),
    key(purpose) {
      let p = cache.get(purpose);
      if (!p) {
        p = loadOrCreate(purpose);
        cache.set(purpose, p);
        p.catch(() => cache.delete(purpose)); // a failed load is retried on the next call
      }
      return p;
    },
  };

  const active = (purpose: SigningKeyPurpose) =>
    opts.db
      .selectFrom("server_keys")
      .selectAll()
      .where("purpose", "=", purpose)
      .where("retired_at", "is", null)
      .orderBy("created_at")
      .orderBy("id")
      .executeTakeFirst();

  async function loadOrCreate(purpose: SigningKeyPurpose): Promise<ServerSigningKey> {
    let row = await active(purpose);
    if (!row) {
      const { privateKey, publicKey } = generateServerSigningKey();
      const id = newId("key");
      const publicJwk = { kty: "OKP", crv: "Ed25519", x: b64url(publicKey), kid: id, use: "sig" };
      // Two nodes creating at once both insert; every node then uses the oldest row.
      await opts.db
        .insertInto("server_keys")
        .values({
          id,
          purpose,
          public_jwk: JSON.stringify(publicJwk),
          private_jwk: await kms.seal(privateKey, `server_keys/${id}/${purpose}`),
          created_at: opts.now(),
          retired_at: null,
        })
        .execute();
      privateKey.fill(0);
      row = await active(purpose);
      if (!row) throw new KmsError(`server key ${purpose} vanished after insert`);
    }
    const publicKey = new Uint8Array(Buffer.from((JSON.parse(row.public_jwk) as { x: string }).x, "base64url"));
    const privateKey = await kms.open(row.private_jwk, `server_keys/${row.id}/${purpose}`);
    return signingKeyFrom(row.id, purpose, privateKey, publicKey);
  }

  return kms;
}
