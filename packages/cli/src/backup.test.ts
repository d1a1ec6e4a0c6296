/**
 * `parley backup` / `parley restore` with the real binary on real SQLite and PostgreSQL:
 * backup while the server runs and serves, wipe (database and blobs; the KMS key file
 * stays, as the runbook says), restore, and the row counts, event hashes, blob hashes and
 * audit verification equal the backup's; the restored server serves the old messages and
 * file bytes, and nothing written after the backup. Tampered, truncated and
 * wrong-passphrase backups (and a running server) are refused with nothing overwritten.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { DIALECTS, createTestDatabase, startTestServer, type TestDatabase } from "@parley/server/testing/harness";
import { bootstrapOrg, loginUser, makeOrg, makeUser, TEST_PASSWORD, asTestUser, type TestUser } from "@parley/server/testing/factories";
import { fetchFile, uploadFile } from "@parley/server/testing/files";
import { postText } from "../../server/src/gateway/test-client.ts";
import { openStorage } from "../../server/src/platform/db/index.ts";
import { summarize } from "../../server/src/modules/backup/summary.ts";
import { restoreBackup, verifyBackupFile } from "../../server/src/modules/backup/restore.ts";
import { verifyAuditDatabase } from "../../server/src/modules/audit/index.ts";
import { loadConfig } from "../../server/src/config/schema.ts";
import { parley } from "./testing/spawn-cli.ts";

const PASS = "a long backup passphrase";
const CONFIG = { auditCheckpointEvery: 5, auditCheckpointSeconds: 86400 };

/** id -> SHA-256 of every blob under `dir`. */
function blobHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  for (const shard of fs.readdirSync(dir)) {
    for (const id of fs.readdirSync(path.join(dir, shard))) {
      out[id] = crypto
        .createHash("sha256")
        .update(fs.readFileSync(path.join(dir, shard, id)))
        .digest("hex");
    }
  }
  return out;
}

async function inDatabase<T>(database: TestDatabase, fn: (db: ReturnType<typeof openStorage>["db"]) => Promise<T>): Promise<T> {
  const storage = openStorage({ url: database.url, dataDir: database.dataDir });
  try {
    return await fn(storage.db);
  } finally {
    await storage.close();
  }
}

/** Drop everything but the KMS key file: the database (recreated empty on PostgreSQL) and the blobs. */
async function wipe(database: TestDatabase): Promise<void> {
  fs.rmSync(path.join(database.dataDir, "blobs"), { recursive: true, force: true });
  if (!database.url) {
    for (const f of ["parley.db", "parley.db-wal", "parley.db-shm"]) fs.rmSync(path.join(database.dataDir, f), { force: true });
    return;
  }
  const name = new URL(database.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.PARLEY_TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

const text = (e: { content: string }) => Buffer.from(e.content, "base64").toString();

for (const dialect of DIALECTS) {
  test(`backup while the server runs, wipe, restore: everything equal (${dialect})`, { timeout: 120_000 }, async () => {
    const database = await createTestDatabase(dialect);
    const flags = ["--data-dir", database.dataDir, ...(database.url ? ["--database-url", database.url] : [])];
    const env = { PARLEY_BACKUP_PASSPHRASE: PASS };
    const file = path.join(database.dataDir, "..", `${path.basename(database.dataDir)}.pbk`);
    try {
      const s = await startTestServer({ database, config: CONFIG });
      let owner: TestUser;
      let channelId: string;
      const bytes = crypto.randomBytes(300_000);
      let fileId: string;
      let globexChannel: string;
      let before: { events: Awaited<ReturnType<typeof summarize>>["events"]; audit: Awaited<ReturnType<typeof verifyAuditDatabase>> };
      try {
        owner = await bootstrapOrg(s, { orgSlug: "acme" });
        const bob = await makeUser(s, owner, { username: "bob" });
        const ch = (await owner.api("POST", "/channels", { kind: "private", name: "ops", members: [bob.user.id] })).body;
        channelId = ch.id;
        for (let i = 0; i < 12; i++) await postText(i % 2 ? bob : owner, ch.id, `message ${i}`);
        fileId = await uploadFile(s, bob, ch.id, bytes);
        const withFile = await bob.api("POST", `/channels/${ch.id}/events`, {
          clientId: "with-file",
          kind: "message",
          content: Buffer.from("see file").toString("base64"),
          files: [fileId],
        });
        assert.equal(withFile.status, 200);
        const other = await makeOrg(s, "globex");
        const general = (await other.api("POST", "/channels", { kind: "public", name: "general" })).body;
        globexChannel = general.id;
        await postText(other, general.id, "hello from globex");
        before = { events: (await summarize(s.deps.db, dialect)).events, audit: await verifyAuditDatabase(s.deps.db) };

        // The backup runs while the server keeps serving: reads in acme, sends in globex.
        let busy = true;
        const traffic = (async () => {
          let n = 0;
          while (busy) {
            assert.equal((await owner.api("GET", `/channels/${ch.id}/events?after=0`)).status, 200);
            await postText(other, general.id, `during the backup ${n++}`);
            await new Promise((r) => setTimeout(r, 20));
          }
          return n;
        })();
        const made = await parley(["backup", "--out", file, ...flags], { env });
        busy = false;
        assert.ok((await traffic) > 0);
        assert.equal(made.code, 0, made.stderr);
        assert.match(
          made.stdout,
          new RegExp(
            `backup written to .*\\.pbk: .*, ${dialect} schema \\S+, \\d+ tables, \\d+ rows, \\d+ events, 1 blobs \\(293\\.0 KiB\\), audit log verified`,
          ),
        );
        assert.match(made.stderr, /backup: blobs 1\/1 \(293\.0 KiB of 293\.0 KiB\) 100%/);
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        // Written after the backup: gone after the restore.
        await postText(owner, ch.id, "after the backup");
      } finally {
        await s.close();
      }

      const checked = await verifyBackupFile(file, { passphrase: PASS });
      assert.ok(checked.ok, JSON.stringify(checked.checks));
      const manifest = checked.manifest;
      // acme was quiet: its channel is exactly as before; globex's sends made it in up to the snapshot.
      assert.deepEqual(manifest.summary.events.channels[channelId], before.events.channels[channelId]);
      assert.ok(manifest.summary.events.channels[globexChannel]!.count >= before.events.channels[globexChannel]!.count);
      assert.equal(manifest.summary.tables.events, manifest.summary.events.count);
      assert.equal(manifest.summary.tables.users, 3);
      const blobItem = manifest.items.find((i) => i.name === `blobs/${fileId}`)!;
      assert.equal(blobItem.sha256, crypto.createHash("sha256").update(bytes).digest("hex"));
      const blobsBefore = blobHashes(path.join(database.dataDir, "blobs"));

      await wipe(database);
      const restored = await parley(["restore", "--in", file, ...flags], { env });
      assert.equal(restored.code, 0, restored.stderr + restored.stdout);
      for (const check of ["row counts", "event hashes", "audit verification", "blob hashes"])
        assert.match(restored.stdout, new RegExp(`^${check} .* ok$`, "m"));
      assert.match(restored.stdout, /restore verified/);
      assert.match(restored.stderr, /restore: decrypting .*100%/);

      // Checked independently of the restore's own verify step.
      const after = await inDatabase(database, async (db) => ({ summary: await summarize(db, dialect), audit: await verifyAuditDatabase(db) }));
      assert.deepEqual(after.summary, manifest.summary);
      assert.deepEqual(after.summary.events.channels[channelId], before.events.channels[channelId]);
      assert.deepEqual(after.audit, before.audit);
      assert.ok(after.audit.ok && after.audit.orgs.length === 2);
      assert.deepEqual(blobHashes(path.join(database.dataDir, "blobs")), blobsBefore);

      const s2 = await startTestServer({ database, config: CONFIG });
      try {
        const o = asTestUser(s2, await loginUser(s2, "acme", "owner", TEST_PASSWORD), TEST_PASSWORD);
        const got = await fetchFile(s2, o, fileId);
        assert.equal(got.status, 200);
        assert.ok(got.bytes.equals(bytes));
        const events = (await o.api("GET", `/channels/${channelId}/events?after=0`)).body.events as Array<{ content: string; files?: string[] }>;
        assert.deepEqual(events.map(text), [...Array.from({ length: 12 }, (_, i) => `message ${i}`), "see file"]);

        // A server holds the database (SQLite: the file open; PostgreSQL: its sessions, still there after 3 s): refused before anything is read.
        const config = loadConfig({ dataDir: database.dataDir, databaseUrl: database.url, logLevel: "silent" }, {});
        await assert.rejects(restoreBackup(config, file, { passphrase: PASS, confirm: true }), { code: "backup_target_busy" });
      } finally {
        await s2.close();
      }
      // Restores below run at once: a stopped node's PostgreSQL sessions may linger a moment, and the restore waits for them to go.

      if (dialect === "sqlite") {
        // Damaged backups are refused (exit 3) and the installation is left exactly as it was.
        const dbFile = path.join(database.dataDir, "parley.db");
        const state = () => ({
          db: crypto.createHash("sha256").update(fs.readFileSync(dbFile)).digest("hex"),
          blobs: blobHashes(path.join(database.dataDir, "blobs")),
        });
        const untouched = state();
        const good = fs.readFileSync(file);
        const bad = path.join(database.dataDir, "..", `${path.basename(database.dataDir)}-bad.pbk`);
        const tampered = Buffer.from(good);
        tampered[Math.floor(good.length / 2)]! ^= 0x40;
        fs.writeFileSync(bad, tampered);
        try {
          const r = await parley(["restore", "--in", bad, "--yes", "--json", ...flags], { env });
          assert.equal(r.code, 3, r.stderr);
          assert.match(r.stderr, /parley: block \d+ \(byte \d+\) does not authenticate: the file was altered or damaged — this backup cannot be trusted/);
          assert.equal(r.json().error.code, "backup_damaged");
          assert.deepEqual(state(), untouched, "tampered: nothing overwritten");
          // The same refusals without a process each (the CLI maps every BackupError to exit 3).
          const config = loadConfig({ dataDir: database.dataDir, logLevel: "silent" }, {});
          fs.writeFileSync(bad, good.subarray(0, Math.floor(good.length / 2)));
          await assert.rejects(restoreBackup(config, bad, { passphrase: PASS, confirm: true }), {
            code: "backup_truncated",
            message: /the backup is truncated/,
          });
          assert.deepEqual(state(), untouched, "truncated: nothing overwritten");
          await assert.rejects(restoreBackup(config, file, { passphrase: "not the passphrase at all", confirm: true }), { code: "backup_passphrase" });
          assert.deepEqual(state(), untouched, "wrong passphrase: nothing overwritten");
          await assert.rejects(restoreBackup(config, file, { passphrase: PASS, confirm: false }), { code: "backup_needs_confirmation" });
          // Another KEK than the one that sealed the backup's server keys: refused before the swap.
          const keyFile = path.join(database.dataDir, "master.key");
          const key = fs.readFileSync(keyFile);
          fs.writeFileSync(keyFile, crypto.randomBytes(32));
          try {
            await assert.rejects(restoreBackup(config, file, { passphrase: PASS, confirm: true }), { code: "backup_key" });
          } finally {
            fs.writeFileSync(keyFile, key);
          }
          assert.deepEqual(state(), untouched, "another KEK: nothing overwritten");
        } finally {
          fs.rmSync(bad, { force: true });
        }
        assert.deepEqual(
          fs.readdirSync(database.dataDir).filter((f) => f.startsWith(".parley-restore-")),
          [],
          "work directories are removed",
        );
      }
      // Over an installation that moved on since (the restored server signed someone in): --yes replaces it.
      const again = await restoreBackup(loadConfig({ dataDir: database.dataDir, databaseUrl: database.url, logLevel: "silent" }, {}), file, {
        passphrase: PASS,
        confirm: true,
      });
      assert.ok(again.ok, JSON.stringify(again.checks));
      assert.deepEqual(await inDatabase(database, (db) => summarize(db, dialect)), manifest.summary);
    } finally {
      fs.rmSync(file, { force: true });
      await database.drop();
    }
  });
}
