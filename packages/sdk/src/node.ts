/**
 * Node-only parts of the SDK (`@parley/sdk/node`): a file-backed
 * {@link LocalStore} and the encrypted on-disk key store for the device's MLS
 * secrets. Everything else in the SDK runs in browsers too.
 */
import fs from "node:fs/promises";
import path from "node:path";
import crypto from "node:crypto";
import { EncryptedFileKeyStore } from "@parley/crypto/node";
import type { KeyStore } from "@parley/crypto";
import { MemoryStore, emptySnapshot, type MemoryStoreOptions, type StoreSnapshot } from "./store.ts";

/** Options of {@link FileStore.open}. */
export interface FileStoreOptions extends MemoryStoreOptions {
  /** Coalesce writes that happen within this many ms into one (default 100). */
  debounceMs?: number;
}

const FILE = "parley-store.json";

/**
 * A {@link LocalStore} kept in one JSON file in `dir`. Reads come from
 * memory; writes are debounced and written atomically (temp file, fsync,
 * rename) so a crash leaves either the old or the new file, never half of
 * one. The file holds session tokens: it is created with mode 0600.
 */
export class FileStore extends MemoryStore {
  /** Path of the JSON file. */
  readonly file: string;
  readonly #debounceMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  private constructor(file: string, opts: FileStoreOptions, initial: StoreSnapshot) {
    super(opts, initial);
    this.file = file;
    this.#debounceMs = opts.debounceMs ?? 100;
  }

  /** Open (or create) the store in `dir`. A corrupt file is kept aside as `*.corrupt-<time>` and the store starts empty. */
  static async open(dir: string, opts: FileStoreOptions = {}): Promise<FileStore> {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, FILE);
    let initial = emptySnapshot();
    try {
      const parsed = JSON.parse(await fs.readFile(file, "utf8")) as StoreSnapshot;
      if (parsed?.version !== 1) throw new Error(`unknown store version ${String(parsed?.version)}`);
      initial = { ...emptySnapshot(), ...parsed };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
        await fs.rename(file, `${file}.corrupt-${Date.now()}`).catch(() => undefined);
      }
    }
    return new FileStore(file, opts, initial);
  }

  protected override changed(): void {
    this.#dirty = true;
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write().catch(() => undefined);
    }, this.#debounceMs);
    // A pending debounced write must not keep a CLI process alive; close()/flush() write synchronously-awaited.
    this.#timer.unref?.();
  }

  #write(): Promise<void> {
    // Chain writes so two renames never race and the last state always wins.
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
        if (!this.#dirty) return;
        this.#dirty = false;
        await writeFileDurably(this.file, JSON.stringify(this.state));
      });
    return this.#writing;
  }

  /** Write pending changes now and wait until they are on disk. */
  override async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    await this.#write();
  }
}

/**
 * The device's MLS key store (identity key, KeyPackages, group states) under
 * a profile directory, encrypted with AES-256-GCM: by a key derived from
 * `passphrase` (scrypt) when given, else by a random 32-byte key file
 * (`<dir>/keys.key`, mode 0600) — as safe as the profile's file permissions.
 * Pass it as `e2ee: { keyStore }` so a resumed client keeps its groups.
 */
/**
 * Replace `file` with `data` so a crash leaves the old or the new content, never a torn one: a
 * private (0600) temporary file beside it, synced, then renamed over it.
 */
export async function writeFileDurably(file: string, data: string): Promise<void> {
  const tmp = `${file}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  const fh = await fs.open(tmp, "w", 0o600);
  try {
    await fh.writeFile(data, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

export async function openDeviceKeyStore(dir: string, opts: { passphrase?: string } = {}): Promise<KeyStore> {
  const keysDir = path.join(dir, "keys");
  if (opts.passphrase !== undefined) return EncryptedFileKeyStore.openWithPassphrase(keysDir, opts.passphrase);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  return EncryptedFileKeyStore.openWithKeyFile(keysDir, path.join(dir, "keys.key"));
}

export * from "./index.ts";
