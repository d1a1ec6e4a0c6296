/**
 * Audit log bench (issue 8): append entries/s (one entry per transaction, as a command
 * writes it; 100 per transaction, one by one and as one appendAuditBatch; and on PostgreSQL 8 orgs appending concurrently) and
 * verify entries/s (`verifyAuditDatabase` over the whole chain), on SQLite
 * (synchronous=FULL) and PostgreSQL (a fresh database on scripts/pg.sh's server, dropped
 * after; verify three times, wall clock and this process's CPU time). Targets: append >= 5,000/s,
 * verify >= 100,000/s. Prints figures; gates nothing.
 *
 *   node bench/src/audit/append-verify.ts [--entries N]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openStorage, createKms, loadConfig, type Storage } from "@parley/server";
import { appendAudit, appendAuditBatch, verifyAuditDatabase, type AuditEntryInput } from "../../../packages/server/src/modules/audit/index.ts";
import { createPgDatabase } from "../pg-database.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const arg = process.argv.indexOf("--entries");
const ENTRIES = arg > 0 ? Number(process.argv[arg + 1]) : 20_000;

const entry = (orgId: string, i: number, pii: boolean): AuditEntryInput => ({
  orgId,
  actor: { kind: "device", id: `usr_${i % 50}`, deviceId: `dev_${i % 50}` },
  action: "channel.member.added",
  target: { kind: "channel", id: `ch_${i % 200}` },
  result: "success",
  details: { role: "member", i },
  pii: pii ? { subject: `usr_${i % 50}`, data: { ip: "198.51.100.7", userAgent: "Parley/1.0" } } : null,
});

async function run(label: string, storage: Storage, dataDir: string): Promise<void> {
  await storage.migrate();
  const kms = await createKms(loadConfig({ dataDir }, {}), storage.db, Date.now);
  await kms.key("audit");
  const deps = { kms, now: Date.now, config: { auditCheckpointEvery: 1000 } };
  const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en")}/s`;
  const lines: string[] = [];
  const measure = async (what: string, n: number, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    lines.push(`${label} ${what}: ${n.toLocaleString("en")} entries in ${Math.round(ms)} ms = ${rate(n, ms)}`);
  };
  const single = Math.min(ENTRIES, 5000);
  await measure("append, 1 entry per transaction", single, async () => {
    for (let i = 0; i < single; i++) await storage.db.transaction().execute((tx) => appendAudit(tx, deps, entry("org_single", i, false)));
  });
  await measure("append, 1 entry per transaction, with sealed PII", single, async () => {
    for (let i = 0; i < single; i++) await storage.db.transaction().execute((tx) => appendAudit(tx, deps, entry("org_pii", i, true)));
  });
  await measure("append, 100 entries per transaction", ENTRIES, async () => {
    for (let b = 0; b < ENTRIES / 100; b++) {
      await storage.db.transaction().execute(async (tx) => {
        for (let i = 0; i < 100; i++) await appendAudit(tx, deps, entry("org_batch", b * 100 + i, false));
      });
    }
  });
  await measure("append, 100 entries per transaction via appendAuditBatch", ENTRIES, async () => {
    for (let b = 0; b < ENTRIES / 100; b++) {
      await storage.db.transaction().execute((tx) =>
        appendAuditBatch(
          tx,
          deps,
          Array.from({ length: 100 }, (_, i) => entry("org_fxbatch", b * 100 + i, false)),
        ),
      );
    }
  });
  if (storage.dialect === "postgres") {
    await measure("append, 8 orgs concurrently, 1 entry per transaction", single, async () => {
      await Promise.all(
        Array.from({ length: 8 }, async (_, o) => {
          for (let i = 0; i < single / 8; i++) await storage.db.transaction().execute((tx) => appendAudit(tx, deps, entry(`org_c${o}`, i, false)));
        }),
      );
    });
  }
  const total = Number(
    (
      await storage.db
        .selectFrom("audit_log")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
  // Three passes (the first with a cold JIT), each with this process's CPU time: on a shared
  // machine wall clock says more about the other load than about verify.
  for (let pass = 1; pass <= 3; pass++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const ok = (await verifyAuditDatabase(storage.db)).ok;
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (!ok) throw new Error(`${label}: the bench's own chain does not verify`);
    lines.push(
      `${label} verify (whole database) pass ${pass}: ${total.toLocaleString("en")} entries in ${Math.round(ms)} ms = ${rate(total, ms)}, CPU ${Math.round(cpuMs)} ms = ${rate(total, cpuMs)} per CPU second`,
    );
  }
  for (const l of lines) console.log(l);
}

const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(" ");
console.log(`audit bench ${new Date().toISOString()} | ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"} | load ${load} | node ${process.version}`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-audit-bench-"));
try {
  const sqlite = openStorage({ url: path.join(dir, "bench.db"), dataDir: dir, sqliteSynchronous: "FULL" });
  try {
    await run("sqlite", sqlite, dir);
  } finally {
    await sqlite.close();
  }
  const pg = await createPgDatabase(ROOT);
  const storage = openStorage({ url: pg.url, dataDir: dir, pgPoolSize: 10 });
  try {
    await run("postgres", storage, dir);
  } finally {
    await storage.close();
    await pg.drop();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
