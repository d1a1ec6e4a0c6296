/**
 * Backups this build must not restore — one from a newer schema, one from the other
 * database dialect — are refused from their first record, before anything is extracted
 * or the installation touched. (The round trips on both dialects, tampering, truncation and
 * wrong passphrases: packages/cli/src/backup.test.ts.)
 */
import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import BetterSqlite3 from "better-sqlite3";
import { API_VERSION } from "@parley/protocol";
import { loadConfig } from "../../config/schema.ts";
import { migrations } from "../../platform/db/migrations.ts";
import { sealingStream } from "./container.ts";
import { MANIFEST_FORMAT, MANIFEST_VERSION, type BackupMeta } from "./manifest.ts";
import { RECORD, recordHead } from "./records.ts";
import { restoreBackup, verifyBackupFile } from "./restore.ts";

async function fakeBackup(file: string, meta: BackupMeta): Promise<void> {
  const body = Buffer.from(JSON.stringify(meta));
  const sealer = await sealingStream("pass phrase 123", { log2N: 10, r: 8, p: 1 });
  await pipeline(Readable.from([recordHead(RECORD.meta, "", body.length), body, crypto.randomBytes(100_000)]), sealer, fs.createWriteStream(file));
}

test("backups from a newer schema or the other dialect are refused before anything is touched", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-restore-"));
  try {
    const known = Object.keys(migrations("sqlite"));
    const meta: BackupMeta = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      createdAt: new Date().toISOString(),
      dialect: "sqlite",
      apiVersion: API_VERSION + 1,
      migrations: [...known, "9999_from_the_future"],
      kms: "key-file",
    };
    const newer = path.join(dir, "newer.pbk");
    await fakeBackup(newer, meta);
    const other = path.join(dir, "other.pbk");
    await fakeBackup(other, { ...meta, dialect: "postgres", migrations: known });

    await assert.rejects(verifyBackupFile(newer, { passphrase: "pass phrase 123" }), {
      code: "backup_incompatible",
      message: /newer Parley \(schema 9999_from_the_future; unknown here: 9999_from_the_future\)/,
    });

    // An installation with a database, blobs and its key file: none of it may change.
    const dataDir = path.join(dir, "data");
    fs.mkdirSync(path.join(dataDir, "blobs", "xy"), { recursive: true });
    const current = new BetterSqlite3(path.join(dataDir, "parley.db"));
    current.exec("create table t (x); insert into t values ('the current database')");
    current.close();
    const dbBytes = fs.readFileSync(path.join(dataDir, "parley.db"));
    fs.writeFileSync(path.join(dataDir, "blobs", "xy", "fil_xy"), "a blob");
    fs.writeFileSync(path.join(dataDir, "master.key"), crypto.randomBytes(32), { mode: 0o600 });
    const config = loadConfig({ dataDir, logLevel: "silent" }, {});
    await assert.rejects(restoreBackup(config, newer, { passphrase: "pass phrase 123", confirm: true }), { code: "backup_incompatible" });
    await assert.rejects(restoreBackup(config, other, { passphrase: "pass phrase 123", confirm: true }), {
      code: "backup_incompatible",
      message: /this is a postgres backup, but the configured database is sqlite/,
    });
    assert.ok(fs.readFileSync(path.join(dataDir, "parley.db")).equals(dbBytes));
    assert.equal(fs.readFileSync(path.join(dataDir, "blobs", "xy", "fil_xy"), "utf8"), "a blob");
    assert.deepEqual(fs.readdirSync(dataDir).sort(), ["blobs", "master.key", "parley.db"]);

    // Without the key file the restore is refused too, and no new key file is made.
    fs.rmSync(path.join(dataDir, "master.key"));
    await assert.rejects(restoreBackup(config, other, { passphrase: "pass phrase 123", confirm: true }), {
      code: "backup_key",
      message: /master\.key does not exist/,
    });
    assert.deepEqual(fs.readdirSync(dataDir).sort(), ["blobs", "parley.db"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a PostgreSQL restore whose data keys the configured KMS cannot open is refused before the database is replaced", { timeout: 90_000 }, async () => {
  const { startTestServer } = await import("../../testing/harness.ts");
  const { bootstrapOrg, countRows } = await import("../../testing/factories.ts");
  const { createBackup } = await import("./backup.ts");
  const server = await startTestServer({ dialect: "postgres" });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-restore-key-"));
  try {
    await bootstrapOrg(server);
    const file = path.join(dir, "b.pbk");
    await createBackup(server.deps.config, { out: file, passphrase: "pass phrase 123", kdf: { log2N: 10, r: 8, p: 1 } });
    const users = await countRows(server, "users");
    const config = server.deps.config;
    await server.close();
    // The key file now holds another KEK (the backup's was rotated away and retired, or the wrong file is in place).
    fs.writeFileSync(path.join(config.dataDir, "master.key"), crypto.randomBytes(32), { mode: 0o600 });
    await assert.rejects(restoreBackup(config, file, { passphrase: "pass phrase 123", confirm: true }), {
      code: "backup_key",
      message: /nothing was replaced: .*data key/,
    });
    const { openStorage } = await import("../../platform/db/index.ts");
    const storage = openStorage({ url: config.databaseUrl, dataDir: config.dataDir, pgPoolSize: 1 });
    try {
      const r = await storage.db
        .selectFrom("users")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      assert.equal(Number(r.n), users, "the live database is untouched");
    } finally {
      await storage.close();
    }
  } finally {
    await server.database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
