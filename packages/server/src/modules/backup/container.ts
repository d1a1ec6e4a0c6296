/**
 * The backup file: one passphrase-encrypted, authenticated stream (docs/operations.md,
 * "Backup and restore"). Layout:
 *
 *   header (64 bytes) | block 0 | block 1 | ... | block n (the final one)
 *
 * scrypt(passphrase, salt) gives 64 bytes: an AES-256-GCM key and a key that checks the
 * passphrase (an HMAC over the header kept in it), so a wrong passphrase is told apart
 * from a damaged file. Every block has the same size on disk: GCM over a fixed-size
 * plaintext (u32 length | data | zero padding). The nonce is the header's prefix and the
 * block's counter, the associated data the whole header and a final-block flag (the
 * STREAM construction): a reordered, dropped, altered or appended block, a block cut off
 * the end, or a file cut inside a block fails to open, and each is named.
 */
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import { Transform, type TransformCallback } from "node:stream";

const MAGIC = Buffer.from("PARLEYBK", "latin1");
const FORMAT = 1;
const KDF_SCRYPT = 1;
const HEADER_SIZE = 64;
/** Header bytes the passphrase check covers (the check itself sits behind them). */
const CHECKED = 48;
const TAG = 16;
/** Plaintext per block: 4 length bytes + up to BLOCK_PLAIN - 4 data bytes. */
const BLOCK_PLAIN = 64 * 1024;

/** scrypt cost: N = 2^log2N, block size r, parallelism p. */
export interface KdfParams {
  log2N: number;
  r: number;
  p: number;
}

/** 2^17 × 8 × 128 bytes = 128 MiB of memory and a few hundred ms per derivation. */
const DEFAULT_KDF: KdfParams = { log2N: 17, r: 8, p: 1 };

/** Why a backup is refused; nothing has been overwritten when one is thrown. */
export type BackupErrorCode =
  | "backup_invalid"
  | "backup_passphrase"
  | "backup_damaged"
  | "backup_truncated"
  | "backup_incompatible"
  | "backup_key"
  | "backup_target_busy"
  | "backup_needs_confirmation"
  | "backup_source";

/**
 * A refused backup or restore, with a stable code (the CLI exits 3 on every one of
 * them). Thrown only before anything of the existing installation was overwritten.
 */
export class BackupError extends Error {
  override name = "BackupError";
  readonly code: BackupErrorCode;
  constructor(code: BackupErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

interface Keys {
  enc: Buffer;
  check: Buffer;
}

async function deriveKeys(passphrase: string, salt: Buffer, kdf: KdfParams): Promise<Keys> {
  const N = 2 ** kdf.log2N;
  const out = await new Promise<Buffer>((resolve, reject) =>
    crypto.scrypt(passphrase.normalize("NFC"), salt, 64, { N, r: kdf.r, p: kdf.p, maxmem: 256 * N * kdf.r }, (err, key) => (err ? reject(err) : resolve(key))),
  );
  return { enc: out.subarray(0, 32), check: out.subarray(32) };
}

const passphraseCheck = (keys: Keys, header: Buffer) => crypto.createHmac("sha256", keys.check).update(header.subarray(0, CHECKED)).digest().subarray(0, 16);

function nonce(prefix: Buffer, counter: bigint): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 4);
  n.writeBigUInt64BE(counter, 4);
  return n;
}

function aad(header: Buffer, final: boolean): Buffer {
  return Buffer.concat([header, Buffer.from([final ? 1 : 0])]);
}

/** Collects written chunks and hands out exact-sized pieces without copying more than once. */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.parts.push(b);
    this.length += b.length;
  }
  take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.parts[0]!;
      const use = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, use);
      filled += use;
      if (use === head.length) this.parts.shift();
      else this.parts[0] = head.subarray(use);
    }
    this.length -= n;
    return out;
  }
}

/**
 * A Transform that turns plaintext into the backup file's bytes (header first). The key is
 * derived before it is returned, so writing never waits for scrypt.
 */
export async function sealingStream(passphrase: string, kdf: KdfParams = DEFAULT_KDF): Promise<Transform> {
  const salt = crypto.randomBytes(16);
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeUInt8(FORMAT, 8);
  header.writeUInt8(KDF_SCRYPT, 9);
  header.writeUInt8(kdf.log2N, 10);
  header.writeUInt8(kdf.r, 11);
  header.writeUInt8(kdf.p, 12);
  header.writeUInt32BE(BLOCK_PLAIN, 16);
  salt.copy(header, 20);
  crypto.randomBytes(4).copy(header, 36);
  const keys = await deriveKeys(passphrase, salt, kdf);
  passphraseCheck(keys, header).copy(header, CHECKED);
  const prefix = header.subarray(36, 40);
  const dataSize = BLOCK_PLAIN - 4;
  const queue = new ByteQueue();
  let counter = 0n;

  const seal = (data: Buffer, final: boolean): Buffer => {
    const plain = Buffer.alloc(BLOCK_PLAIN);
    plain.writeUInt32BE(data.length, 0);
    data.copy(plain, 4);
    const c = crypto.createCipheriv("aes-256-gcm", keys.enc, nonce(prefix, counter++));
    c.setAAD(aad(header, final));
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  };

  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      queue.push(chunk);
      // A block is sealed as non-final only once a byte after it is known to exist.
      while (queue.length > dataSize) this.push(seal(queue.take(dataSize), false));
      cb();
    },
    flush(cb: TransformCallback) {
      cb(null, seal(queue.take(queue.length), true));
    },
  });
  t.push(header);
  return t;
}

/** The opened header of a backup file: a Transform that yields its plaintext. */
export interface OpenedBackup {
  /** Plaintext, block by block, each authenticated before it is passed on. */
  stream: Transform;
  /** Where the blocks start in the file. */
  offset: number;
}

function readHeader(buf: Buffer, size: number): { kdf: KdfParams; block: number } {
  if (size < HEADER_SIZE || !buf.subarray(0, 8).equals(MAGIC)) throw new BackupError("backup_invalid", "this is not a Parley backup file");
  if (buf.readUInt8(8) !== FORMAT)
    throw new BackupError("backup_invalid", `backup format ${buf.readUInt8(8)} is not one this parley reads (it reads ${FORMAT})`);
  const kdf = { log2N: buf.readUInt8(10), r: buf.readUInt8(11), p: buf.readUInt8(12) };
  const block = buf.readUInt32BE(16);
  // Bounds keep a crafted header from asking for gigabytes of scrypt memory.
  const sane = buf.readUInt8(9) === KDF_SCRYPT && kdf.log2N >= 10 && kdf.log2N <= 20 && kdf.r >= 1 && kdf.r <= 32 && kdf.p >= 1 && kdf.p <= 16;
  if (!sane || block !== BLOCK_PLAIN) throw new BackupError("backup_invalid", "the backup's header is damaged (key derivation or block size out of range)");
  return { kdf, block };
}

/**
 * Check the passphrase against `file`'s header and return the Transform that opens its
 * blocks (feed it the file from `offset`). Errors are BackupErrors naming what is wrong.
 */
export async function openingStream(file: string, passphrase: string): Promise<OpenedBackup> {
  const fh = await fsp.open(file, "r");
  const header = Buffer.alloc(HEADER_SIZE);
  let size: number;
  try {
    size = (await fh.stat()).size;
    await fh.read(header, 0, HEADER_SIZE, 0);
  } finally {
    await fh.close();
  }
  const { kdf, block } = readHeader(header, size);
  const keys = await deriveKeys(passphrase, header.subarray(20, 36), kdf);
  if (!crypto.timingSafeEqual(passphraseCheck(keys, header), header.subarray(CHECKED, HEADER_SIZE))) {
    throw new BackupError("backup_passphrase", "wrong passphrase for this backup (or its header was altered)");
  }
  const prefix = header.subarray(36, 40);
  const onDisk = block + TAG;
  const queue = new ByteQueue();
  let pending: Buffer | undefined;
  let counter = 0n;

  const open = (sealed: Buffer, index: bigint, final: boolean): Buffer | undefined => {
    const d = crypto.createDecipheriv("aes-256-gcm", keys.enc, nonce(prefix, index));
    d.setAAD(aad(header, final));
    d.setAuthTag(sealed.subarray(block));
    try {
      return Buffer.concat([d.update(sealed.subarray(0, block)), d.final()]);
    } catch {
      return undefined;
    }
  };
  const where = (index: bigint) => `block ${index} (byte ${HEADER_SIZE + Number(index) * onDisk})`;
  const data = (plain: Buffer, index: bigint, final: boolean): Buffer => {
    const n = plain.readUInt32BE(0);
    if (n > block - 4 || (!final && n !== block - 4)) throw new BackupError("backup_damaged", `${where(index)} has an impossible length`);
    return plain.subarray(4, 4 + n);
  };

  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      queue.push(chunk);
      try {
        // The block held back is not the last one once any byte follows it.
        while (queue.length >= onDisk) {
          if (pending) {
            const plain = open(pending, counter, false);
            if (!plain) throw new BackupError("backup_damaged", `${where(counter)} does not authenticate: the file was altered or damaged`);
            this.push(data(plain, counter++, false));
          }
          pending = queue.take(onDisk);
        }
        cb();
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        if (queue.length > 0 && pending && !open(pending, counter, false)) {
          throw new BackupError("backup_damaged", `${where(counter)} does not authenticate: the file was altered or damaged`);
        }
        if (queue.length > 0) {
          throw new BackupError("backup_truncated", `the backup is truncated: it ends inside ${where(counter + (pending ? 1n : 0n))}`);
        }
        if (!pending) throw new BackupError("backup_truncated", "the backup is truncated: it has no data after its header");
        const last = open(pending, counter, true);
        if (!last) {
          if (open(pending, counter, false)) throw new BackupError("backup_truncated", `the backup is truncated: blocks after ${where(counter)} are missing`);
          throw new BackupError("backup_damaged", `${where(counter)} does not authenticate: the file was altered or damaged`);
        }
        cb(null, data(last, counter, true));
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  return { stream, offset: HEADER_SIZE };
}
