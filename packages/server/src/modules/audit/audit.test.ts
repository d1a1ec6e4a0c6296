import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { appendSample, dropAuditTriggers } from "../../testing/audit.ts";
import {
  appendAudit,
  appendAuditBatch,
  entryHash,
  encodeCheckpoint,
  eraseAuditPii,
  readPii,
  ERASED,
  verifyAuditDatabase,
  verifyAuditExport,
  writeAuditExport,
  auditPublicKeys,
  iterateEntries,
  checkpointStaleChains,
  shipCheckpoints,
  AuditError,
  type AuditProblem,
} from "./index.ts";

const N = 10;
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const first = (problems: AuditProblem[], orgId: string) => problems.find((p) => p.orgId === orgId);

async function exportTo(s: TestServer, file: string, orgIds?: string[]): Promise<void> {
  const out = fs.createWriteStream(file);
  await writeAuditExport(s.deps.db, out, orgIds ? { orgIds } : {});
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

for (const dialect of DIALECTS) {
  test(`audit: triggers refuse UPDATE/DELETE; verify names each tampered entry (${dialect})`, { timeout: 60_000 }, async () => {
    const s = await startTestServer({ dialect, config: { auditCheckpointEvery: 4 } });
    try {
      const { db } = s.deps;
      const scenarios = ["clean", "edit", "rehash", "delmid", "deltail", "delfirst", "insert", "reorder", "rewrite"] as const;
      const org = (name: string) => `org_${name}`;
      for (const name of scenarios) await appendSample(db, s.deps, org(name), N);
      assert.deepEqual((await verifyAuditDatabase(db)).problems, [], "an untouched log verifies");
      const cps = await db.selectFrom("audit_checkpoints").select("seq").where("org_id", "=", org("clean")).orderBy("seq").execute();
      assert.deepEqual(
        cps.map((c) => c.seq),
        [4, 8],
        "a checkpoint every 4 entries",
      );

      // The triggers refuse changes, even from the owner of the database.
      await assert.rejects(sql`UPDATE audit_log SET action = 'x.y' WHERE org_id = ${org("edit")} AND seq = 4`.execute(db), /append-only/);
      await assert.rejects(sql`DELETE FROM audit_log WHERE org_id = ${org("delmid")} AND seq = 4`.execute(db), /append-only/);
      await assert.rejects(sql`DELETE FROM audit_checkpoints`.execute(db), /append-only/);
      if (dialect === "postgres") await assert.rejects(sql`TRUNCATE audit_log`.execute(db), /append-only/);

      // An attacker with database access drops them.
      await dropAuditTriggers(db, s.database.dialect);
      const at = (name: string, seq: number) => sql`org_id = ${org(name)} AND seq = ${seq}`;
      await sql`UPDATE audit_log SET details = '{"i":99}' WHERE ${at("edit", 4)}`.execute(db);
      // Edit and re-hash an entry no checkpoint covers: the next one no longer chains to it.
      const rows = await collect(iterateEntries(db, org("rehash")));
      const forged = { ...rows[5]!, details: '{"i":99}' };
      await sql`UPDATE audit_log SET details = ${forged.details}, hash = ${entryHash(forged)} WHERE ${at("rehash", 6)}`.execute(db);
      await sql`DELETE FROM audit_log WHERE ${at("delmid", 4)}`.execute(db);
      await sql`DELETE FROM audit_log WHERE org_id = ${org("deltail")} AND seq > 6`.execute(db);
      await sql`DELETE FROM audit_log WHERE ${at("delfirst", 1)}`.execute(db);
      // Insert a well-formed entry after the last one (hash chained correctly).
      const last = (await collect(iterateEntries(db, org("insert"))))[N - 1]!;
      const extra = { ...last, seq: N + 1, at: last.at + 1, action: "auth.login.succeeded", prevHash: last.hash };
      await db
        .insertInto("audit_log")
        .values({
          org_id: extra.orgId,
          seq: extra.seq,
          at: extra.at,
          actor_kind: extra.actorKind,
          actor_id: extra.actorId,
          actor_device_id: extra.actorDeviceId,
          action: extra.action,
          target_kind: extra.targetKind,
          target_id: extra.targetId,
          result: extra.result,
          details: extra.details,
          pii_subject: null,
          pii: null,
          prev_hash: extra.prevHash,
          hash: entryHash(extra),
        })
        .execute();
      // Swap entries 3 and 6.
      await sql`UPDATE audit_log SET seq = -3 WHERE ${at("reorder", 3)}`.execute(db);
      await sql`UPDATE audit_log SET seq = 3 WHERE ${at("reorder", 6)}`.execute(db);
      await sql`UPDATE audit_log SET seq = 6 WHERE ${at("reorder", -3)}`.execute(db);
      // Rewrite the chain from entry 3 on, consistently (every hash and the head): only the signed checkpoint at 4 tells.
      const rewrite = await collect(iterateEntries(db, org("rewrite")));
      let prev = rewrite[1]!.hash;
      for (const r of rewrite.slice(2)) {
        const w = { ...r, details: '{"i":-1}', prevHash: prev };
        prev = entryHash(w);
        await sql`UPDATE audit_log SET details = ${w.details}, prev_hash = ${w.prevHash}, hash = ${prev} WHERE ${at("rewrite", r.seq)}`.execute(db);
      }
      await db.updateTable("audit_heads").set({ hash: prev }).where("org_id", "=", org("rewrite")).execute();

      const report = await verifyAuditDatabase(db);
      assert.equal(report.ok, false);
      const expect: Record<string, [string, number]> = {
        edit: ["entry_altered", 4],
        rehash: ["chain_broken", 7],
        delmid: ["seq_gap", 5],
        deltail: ["head_mismatch", 7],
        delfirst: ["bad_start", 2],
        insert: ["head_mismatch", N + 1],
        reorder: ["chain_broken", 3],
        rewrite: ["checkpoint_mismatch", 4],
      };
      assert.equal(first(report.problems, org("clean")), undefined, "the untouched org still verifies");
      for (const [name, [kind, seq]] of Object.entries(expect)) {
        const p = first(report.problems, org(name));
        assert.ok(p, `${name}: detected`);
        assert.deepEqual([p.kind, p.seq], [kind, seq], `${name}: ${p.message}`);
      }
      // The deleted tail was also covered by a signed checkpoint.
      assert.ok(report.problems.some((p) => p.orgId === org("deltail") && p.kind === "checkpoint_beyond_end"));
    } finally {
      await s.stop();
    }
  });

  test(`audit: exports verify, truncation is detected, foreign checkpoints are refused (${dialect})`, { timeout: 60_000 }, async () => {
    const s = await startTestServer({ dialect, config: { auditCheckpointEvery: 5 } });
    try {
      const { db } = s.deps;
      await appendSample(db, s.deps, "org_a", 23);
      await appendSample(db, s.deps, "org_b", 3);
      const trustedKeys = await auditPublicKeys(db);
      const file = path.join(s.database.dataDir, "export.jsonl");
      await exportTo(s, file);
      const ok = await verifyAuditExport(file, { trustedKeys });
      assert.deepEqual(ok.problems, []);
      assert.deepEqual(
        ok.orgs.map((o) => [o.orgId, o.entries, o.checkpointsMatched]),
        [
          ["org_a", 23, 4],
          ["org_b", 3, 0],
        ],
      );

      const text = fs.readFileSync(file, "utf8");
      const cut = path.join(s.database.dataDir, "cut.jsonl");
      fs.writeFileSync(cut, text.slice(0, Math.floor(text.length / 2)));
      const midLine = await verifyAuditExport(cut, { trustedKeys });
      assert.ok(
        midLine.problems.some((p) => p.kind === "export_truncated"),
        JSON.stringify(midLine.problems),
      );
      const lines = text.trimEnd().split("\n");
      fs.writeFileSync(cut, `${lines.slice(0, 10).join("\n")}\n`);
      const atLine = await verifyAuditExport(cut, { trustedKeys });
      assert.ok(atLine.problems.some((p) => p.kind === "export_truncated" && /no end line/.test(p.message)));

      // Checkpoints: one by a key the server never had, one claiming the real key id but signed by another key.
      const real = await db.selectFrom("audit_checkpoints").selectAll().where("org_id", "=", "org_a").orderBy("seq").executeTakeFirstOrThrow();
      const other = crypto.generateKeyPairSync("ed25519");
      const forge = (keyId: string) => {
        const fields = { orgId: "org_a", seq: Number(real.seq), headHash: real.head_hash, at: Number(real.at), keyId };
        return JSON.stringify({
          type: "checkpoint",
          ...fields,
          signature: crypto.sign(null, encodeCheckpoint(fields), other.privateKey).toString("base64url"),
        });
      };
      const cpFile = path.join(s.database.dataDir, "checkpoints.jsonl");
      fs.writeFileSync(cpFile, `${forge("key_foreign")}\n${forge(real.key_id)}\n`);
      const foreign = await verifyAuditDatabase(db, { checkpointsFile: cpFile });
      assert.deepEqual(foreign.problems.map((p) => p.kind).sort(), ["checkpoint_bad_signature", "checkpoint_unknown_key"]);
      const viaExport = await verifyAuditExport(file, { trustedKeys, checkpointsFile: cpFile });
      assert.equal(viaExport.problems.length, 2);
      // A verifier that does not trust the server's key refuses all of its checkpoints.
      const untrusted = await verifyAuditExport(file, { trustedKeys: new Map() });
      assert.ok(untrusted.problems.length === 4 && untrusted.problems.every((p) => p.kind === "checkpoint_unknown_key"));

      // The time-based checkpoint and the JSON Lines sink.
      assert.equal(await checkpointStaleChains({ ...s.deps, config: { ...s.deps.config, auditCheckpointSeconds: 1 }, now: () => Date.now() + 5000 }), 2);
      const sink = path.join(s.database.dataDir, "sink", "cp.jsonl");
      assert.equal(await shipCheckpoints(s.deps, sink), 6);
      assert.equal(await shipCheckpoints(s.deps, sink), 0, "shipped once");
      const shipped = await verifyAuditDatabase(db, { checkpointsFile: sink });
      assert.deepEqual(shipped.problems, []);
      assert.equal(shipped.orgs.find((o) => o.orgId === "org_a")?.checkpointsMatched, 5);
    } finally {
      await s.stop();
    }
  });

  test(`audit: PII is sealed per subject; erasing one subject keeps the chain valid (${dialect})`, { timeout: 60_000 }, async () => {
    const s = await startTestServer({ dialect });
    try {
      const { db } = s.deps;
      const add = (subject: string, ip: string) =>
        db.transaction().execute((tx) =>
          appendAudit(tx, s.deps, {
            orgId: "org_p",
            actor: { kind: "device", id: subject },
            action: "auth.login.succeeded",
            result: "success",
            pii: { subject, data: { ip, userAgent: "curl/8" } },
          }),
        );
      const a = await add("usr_a", "192.0.2.1");
      const b = await add("usr_b", "192.0.2.2");
      const raw = await db.selectFrom("audit_log").select("pii").where("org_id", "=", "org_p").execute();
      for (const r of raw) assert.ok(!Buffer.from(r.pii!).toString("latin1").includes("192.0.2"), "PII is not stored in the clear");
      assert.deepEqual(await readPii(db, s.deps.kms, "org_p", "usr_a", a.pii!), { ip: "192.0.2.1", userAgent: "curl/8" });
      assert.equal(await eraseAuditPii(db, "org_p", "usr_a"), true);
      assert.equal(await readPii(db, s.deps.kms, "org_p", "usr_a", a.pii!), ERASED);
      assert.deepEqual(await readPii(db, s.deps.kms, "org_p", "usr_b", b.pii!), { ip: "192.0.2.2", userAgent: "curl/8" });
      const c = await add("usr_a", "192.0.2.3");
      assert.deepEqual(await readPii(db, s.deps.kms, "org_p", "usr_a", c.pii!), { ip: "192.0.2.3", userAgent: "curl/8" }, "a fresh key after erasure");
      assert.equal(await readPii(db, s.deps.kms, "org_p", "usr_a", a.pii!), ERASED, "the new key does not open the erased entry");
      assert.deepEqual((await verifyAuditDatabase(db)).problems, []);
      // Secrets and content are refused; a rolled-back transaction leaves no entry and no seq.
      await assert.rejects(
        db
          .transaction()
          .execute((tx) =>
            appendAudit(tx, s.deps, { orgId: "org_p", actor: { kind: "system" }, action: "x.y", result: "success", details: { password: "x" } }),
          ),
        AuditError,
      );
      await assert.rejects(
        db.transaction().execute(async (tx) => {
          await appendAudit(tx, s.deps, { orgId: "org_p", actor: { kind: "system" }, action: "org.settings.changed", result: "success" });
          throw new Error("command failed");
        }),
        /command failed/,
      );
      const head = await db.selectFrom("audit_heads").selectAll().where("org_id", "=", "org_p").executeTakeFirstOrThrow();
      assert.equal(head.seq, 3);
      // Concurrent appends of one org get gap-free seqs.
      await Promise.all(Array.from({ length: 20 }, () => appendSample(db, s.deps, "org_p", 2)));
      const seqs = (await db.selectFrom("audit_log").select("seq").where("org_id", "=", "org_p").orderBy("seq").execute()).map((r) => r.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 43 }, (_, i) => i + 1),
      );
      // A batch over two orgs: per-org seqs continue, results come back in input order.
      const batch = await db.transaction().execute((tx) =>
        appendAuditBatch(
          tx,
          s.deps,
          ["org_p", "org_q", "org_p"].map((orgId) => ({
            orgId,
            actor: { kind: "system" as const },
            action: "test.batch.recorded",
            result: "success" as const,
          })),
        ),
      );
      assert.deepEqual(
        batch.map((r) => [r.orgId, r.seq]),
        [
          ["org_p", 44],
          ["org_q", 1],
          ["org_p", 45],
        ],
      );
      assert.deepEqual((await verifyAuditDatabase(db)).problems, []);
    } finally {
      await s.stop();
    }
  });
}
