/**
 * Backup and restore times (issue 11; the recovery time in docs/operations.md) for a
 * realistic small installation: 1 org, 25 users, 10 channels, 5,000 messages of 200–2,000
 * bytes of ciphertext, 40 attachments of 256 KiB. Built over HTTP on a real server, backed
 * up while it runs, then wiped (database and blobs) and restored with verification — the
 * same functions `parley backup` and `parley restore` call (default scrypt cost), on
 * SQLite and on PostgreSQL (a fresh database on scripts/pg.sh's server, dropped after).
 * Prints figures; gates nothing.
 *
 *   node bench/src/backup/restore-time.ts [--messages N] [--files N]
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createBackup, loadConfig, restoreBackup } from "@parley/server";
import { startTestServer, type TestDatabase, type TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import { uploadFile } from "@parley/server/testing/files";
import { createPgDatabase } from "../pg-database.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const argOf = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MESSAGES = argOf("--messages", 5000);
const FILES = argOf("--files", 40);
const PASS = "bench backup passphrase";

async function populate(server: TestServer): Promise<void> {
  const owner = await bootstrapOrg(server, { orgSlug: "bench" });
  const users: TestUser[] = [owner];
  for (let i = 0; i < 24; i++) users.push(await makeUser(server, owner, { username: `user${i}` }));
  const channels: string[] = [];
  for (let i = 0; i < 10; i++) {
    const ch = await owner.api("POST", "/channels", { kind: "private", name: `team-${i}`, members: users.slice(1).map((u) => u.user.id) });
    channels.push(ch.body.id);
  }
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < MESSAGES; i = next++) {
      const r = await users[i % users.length]!.api("POST", `/channels/${channels[i % channels.length]}/events`, {
        clientId: `message-${i}`,
        kind: "message",
        content: crypto.randomBytes(200 + ((i * 7919) % 1800)).toString("base64"),
      });
      if (r.status !== 200) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (let i = 0; i < FILES; i++)
    await uploadFile(server, users[i % users.length]!, channels[i % channels.length]!, crypto.randomBytes(256 * 1024), 256 * 1024);
}

function wipe(database: TestDatabase, adminUrl: string | undefined): void {
  fs.rmSync(path.join(database.dataDir, "blobs"), { recursive: true, force: true });
  if (!database.url) {
    for (const f of ["parley.db", "parley.db-wal", "parley.db-shm"]) fs.rmSync(path.join(database.dataDir, f), { force: true });
    return;
  }
  const name = new URL(database.url).pathname.slice(1);
  for (const q of [`DROP DATABASE ${name} WITH (FORCE)`, `CREATE DATABASE ${name}`]) execFileSync("psql", [adminUrl!, "-q", "-c", q], { stdio: "ignore" });
}

async function run(dialect: "sqlite" | "postgres"): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bench-backup-"));
  const pgdb = dialect === "postgres" ? await createPgDatabase(ROOT) : undefined;
  const database: TestDatabase = { dialect, dataDir, url: pgdb?.url, drop: async () => undefined };
  const file = `${dataDir}.pbk`;
  try {
    const s = await startTestServer({ database });
    let backupMs: number;
    let size: number;
    try {
      const t0 = performance.now();
      await populate(s);
      const populateMs = performance.now() - t0;
      const t1 = performance.now();
      size = (await createBackup(s.deps.config, { out: file, passphrase: PASS })).size;
      backupMs = performance.now() - t1;
      process.stderr.write(`${dialect}: populated in ${Math.round(populateMs)} ms\n`);
    } finally {
      await s.close();
    }
    const adminUrl = pgdb ? new URL(pgdb.url) : undefined;
    if (adminUrl) adminUrl.pathname = "/postgres";
    wipe(database, adminUrl?.toString());
    const config = loadConfig({ dataDir, databaseUrl: pgdb?.url, logLevel: "silent" }, {});
    const t2 = performance.now();
    const r = await restoreBackup(config, file, { passphrase: PASS, confirm: true });
    const restoreMs = performance.now() - t2;
    if (!r.ok) throw new Error(`restore verification failed: ${JSON.stringify(r.checks)}`);
    const rows = Object.values(r.manifest.summary.tables).reduce((n, c) => n + c, 0);
    return `${dialect}: ${rows.toLocaleString("en")} rows, ${r.manifest.summary.events.count.toLocaleString("en")} events, ${FILES} blobs; backup file ${(size / 1048576).toFixed(1)} MiB made in ${(backupMs / 1000).toFixed(1)} s; restore + verify ${(restoreMs / 1000).toFixed(1)} s`;
  } finally {
    fs.rmSync(file, { force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
    await pgdb?.drop();
  }
}

const lines = [`load average ${os.loadavg()[0]!.toFixed(2)} at start, ${os.cpus().length} cores`];
for (const d of ["sqlite", "postgres"] as const) lines.push(await run(d));
console.log(lines.join("\n"));
