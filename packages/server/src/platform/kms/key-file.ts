/**
 * Key-file KEKs: 32-byte AES keys in a file (DATA_DIR/master.key, mode 0600, or
 * PARLEY_KMS_KEY_FILE). The file holds one key — 32 raw bytes, or one line of hex or
 * base64, as every file written before key rotation did — or, once `parley keys rotate`
 * has run, one key per line (hex, `#` comments allowed): the first wraps new data keys,
 * the others only unwrap until `parley keys retire` removes them. Every node of a
 * cluster needs the same file; a node re-reads it when it meets a KEK id it does not
 * know, so a rotated file (shared volume, or copied over) is picked up without restart.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../log.ts";
import { gcmOpen, gcmSeal, type Kek, type KekRing } from "./kek.ts";
import { KmsError } from "./kms.ts";

/** A key's id: a hash of it, so a record names the key that wrapped it without revealing it. */
export function kekIdOf(key: Uint8Array): string {
  return crypto.createHash("sha256").update("parley-kms-kek-id/1").update(key).digest("hex").slice(0, 16);
}

function parseKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, "hex");
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, "base64");
  return undefined;
}

/**
 * The keys of a key file, the wrapping one first. With `create`, a missing file is
 * created holding one new key (32 random bytes, 0600).
 */
export function loadKeyFile(file: string, opts: { create?: boolean; log?: Logger | undefined } = {}): Buffer[] {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || !opts.create) {
      throw new KmsError(`cannot read the KMS key file ${file}: ${(err as Error).message} (PARLEY_KMS_KEY_FILE)`);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      // "wx": two nodes starting at once on a shared volume must not overwrite each other's key.
      fs.writeFileSync(file, crypto.randomBytes(32), { flag: "wx", mode: 0o600 });
      opts.log?.info({ file }, "created the KMS key file: back it up, the server's secrets cannot be recovered without it");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new KmsError(`cannot create the KMS key file ${file}: ${(e as Error).message}`);
    }
    raw = fs.readFileSync(file);
  }
  if (process.platform !== "win32" && (fs.statSync(file).mode & 0o077) !== 0) {
    opts.log?.warn({ file }, "the KMS key file is readable by other users: chmod 600 it");
  }
  if (raw.length === 32) return [raw];
  const keys: Buffer[] = [];
  const lines = raw.toString("utf8").split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    const text = line.trim();
    if (text === "" || text.startsWith("#")) continue;
    const key = parseKey(text);
    if (!key) {
      throw new KmsError(
        `the KMS key file ${file} must hold 32-byte keys (32 raw bytes, or one key per line as 64 hex digits or base64); line ${i + 1} is not one`,
      );
    }
    keys.push(key);
  }
  if (keys.length === 0) throw new KmsError(`the KMS key file ${file} holds no key (32 raw bytes, or one key per line as 64 hex digits or base64)`);
  return keys;
}

/** Replace the key file's contents (atomically: a temp file renamed over it, mode 0600). */
function writeKeyFile(file: string, keys: Buffer[]): void {
  const text = [
    "# Parley KMS key file: one 32-byte key per line (hex). The first wraps new data keys;",
    "# the others only unwrap until `parley keys retire` removes them. Keep it secret (0600) and backed up.",
    ...keys.map((k) => k.toString("hex")),
    "",
  ].join("\n");
  const tmp = `${file}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function kekOf(key: Buffer): Kek {
  return {
    id: kekIdOf(key),
    wrap: async (dek, aad) => gcmSeal(key, dek, aad),
    unwrap: async (wrapped, aad) => gcmOpen(key, wrapped, aad),
  };
}

/** The key file as a KekRing. With `create`, a missing file is created (a first start). */
export function createKeyFileRing(file: string, opts: { create: boolean; log?: Logger | undefined }): KekRing {
  let keks = loadKeyFile(file, opts).map(kekOf);
  const reload = () => {
    keks = loadKeyFile(file).map(kekOf);
    return keks;
  };
  return {
    kind: "key-file",
    where: `key file ${file}`,
    async active() {
      return reload()[0]!;
    },
    async get(id) {
      return keks.find((k) => k.id === id) ?? reload().find((k) => k.id === id);
    },
    async list() {
      return reload().map((k, i) => ({ id: k.id, active: i === 0, source: "key-file" as const }));
    },
    async create() {
      const keys = loadKeyFile(file);
      const fresh = crypto.randomBytes(32);
      writeKeyFile(file, [fresh, ...keys]);
      return reload()[0]!;
    },
    async destroy(id) {
      const keys = loadKeyFile(file);
      if (kekIdOf(keys[0]!) === id) throw new KmsError(`KEK ${id} is the active one in ${file}: rotate first`);
      const rest = keys.filter((k) => kekIdOf(k) !== id);
      if (rest.length === keys.length) return;
      writeKeyFile(file, rest);
      reload();
    },
    close() {},
  };
}
