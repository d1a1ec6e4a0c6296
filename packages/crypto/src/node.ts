/**
 * `@parley/crypto/node`: Node-only parts — the encrypted file key store.
 * @packageDocumentation
 */
import { randomBytes, scrypt as scryptCb, createCipheriv, createDecipheriv } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, writeFile, chmod } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { E2eeError } from "./errors.ts";
import type { KeyStore } from "./key-store.ts";

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const MAGIC = Buffer.from("PKS1");

/**
 * {@link KeyStore} in a directory (mode 0700): one file per key (0600), each AES-256-GCM
 * encrypted under a master key with the key name as AAD (files cannot be swapped).
 * The master key is derived with scrypt from a passphrase (salt in `salt`), or read from
 * a random 32-byte key file created with mode 0600. Writes are atomic (temp file +
 * fsync + rename).
 */
export class EncryptedFileKeyStore implements KeyStore {
  readonly #dir: string;
  readonly #key: Buffer;

  private constructor(dir: string, key: Buffer) {
    this.#dir = dir;
    this.#key = key;
  }

  /** Opens (creating if needed) a store whose master key comes from `passphrase` via scrypt. */
  static async openWithPassphrase(dir: string, passphrase: string): Promise<EncryptedFileKeyStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const saltPath = join(dir, "salt");
    let salt: Buffer;
    try {
      salt = await readFile(saltPath);
    } catch {
      salt = randomBytes(16);
      await atomicWrite(saltPath, salt);
    }
    return new EncryptedFileKeyStore(dir, await scrypt(passphrase, salt, 32, SCRYPT));
  }

  /** Opens a store whose master key is the random 32 bytes in `keyFile` (created, mode 0600, if absent). */
  static async openWithKeyFile(dir: string, keyFile: string): Promise<EncryptedFileKeyStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let key: Buffer;
    try {
      key = await readFile(keyFile);
    } catch {
      key = randomBytes(32);
      await atomicWrite(keyFile, key);
    }
    if (key.length !== 32) throw new E2eeError("bad_input", "key file must hold 32 bytes");
    return new EncryptedFileKeyStore(dir, key);
  }

  #path(key: string): string {
    // Hex file names: any key string is safe on any filesystem.
    return join(this.#dir, `${Buffer.from(key, "utf8").toString("hex")}.key`);
  }

  /** {@inheritDoc KeyStore.get} */
  async get(key: string): Promise<Uint8Array | undefined> {
    let file: Buffer;
    try {
      file = await readFile(this.#path(key));
    } catch {
      return undefined;
    }
    if (file.length < 4 + 12 + 16 || !file.subarray(0, 4).equals(MAGIC)) throw new E2eeError("invalid_state", `corrupt key file for ${key}`);
    const d = createDecipheriv("aes-256-gcm", this.#key, file.subarray(4, 16));
    d.setAAD(Buffer.from(key, "utf8"));
    d.setAuthTag(file.subarray(file.length - 16));
    try {
      return new Uint8Array(Buffer.concat([d.update(file.subarray(16, file.length - 16)), d.final()]));
    } catch {
      throw new E2eeError("invalid_state", `key file for ${key} failed authentication (wrong passphrase or tampered)`);
    }
  }

  /** {@inheritDoc KeyStore.put} */
  async put(key: string, value: Uint8Array): Promise<void> {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.#key, iv);
    c.setAAD(Buffer.from(key, "utf8"));
    const body = Buffer.concat([c.update(value), c.final()]);
    await atomicWrite(this.#path(key), Buffer.concat([MAGIC, iv, body, c.getAuthTag()]));
  }

  /** {@inheritDoc KeyStore.delete} */
  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  /** {@inheritDoc KeyStore.list} */
  async list(prefix: string): Promise<string[]> {
    const names = await readdir(this.#dir);
    return names
      .filter((n) => n.endsWith(".key"))
      .map((n) => Buffer.from(n.slice(0, -4), "hex").toString("utf8"))
      .filter((k) => k.startsWith(prefix))
      .sort();
  }
}

async function atomicWrite(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  const fh = await open(tmp, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
