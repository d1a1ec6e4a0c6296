import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { DIALECTS, createTestDatabase, startTestServer } from "@parley/server/testing/harness";
import { appendSample, dropAuditTriggers } from "@parley/server/testing/audit";
import { parley } from "./testing/spawn-cli.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

for (const dialect of DIALECTS) {
  test(`parley audit verify/export/keys on the database and on exports (${dialect})`, { timeout: 120_000 }, async () => {
    const database = await createTestDatabase(dialect);
    dirs.push(database.dataDir);
    const where = database.url ? ["--database-url", database.url] : [];
    const audit = (args: string[]) => parley(["audit", ...args, "--data-dir", database.dataDir, ...where]);
    try {
      const s = await startTestServer({ database, config: { auditCheckpointEvery: 5 } });
      try {
        await appendSample(s.deps.db, s.deps, "org_cli", 12);
      } finally {
        await s.close();
      }
      const ok = await audit(["verify"]);
      assert.equal(ok.code, 0, ok.stderr + ok.stdout);
      assert.match(ok.stdout, /ok +org_cli: 12 entries, seq 1\.\.12, 2 signed checkpoint\(s\) matched/);

      const file = path.join(database.dataDir, "export.jsonl");
      const exp = await audit(["export", "--since", "2000-01-01", "--jsonl", "--out", file, "--json"]);
      assert.equal(exp.code, 0, exp.stderr);
      assert.equal(exp.json().entries, 12);
      assert.match(exp.stderr, /exported 12 entries of org_cli/);
      const keys = (await audit(["keys", "--json"])).json().keys as string[];
      assert.equal(keys.length, 1);
      const fromExport = await parley([
        "audit",
        "verify",
        "--from-export",
        file,
        "--public-key",
        keys[0] as string,
        "--data-dir",
        database.dataDir,
        ...where,
        "--json",
      ]);
      assert.equal(fromExport.code, 0, fromExport.stdout);
      assert.equal(fromExport.json().orgs[0].checkpointsMatched, 2);

      const cut = path.join(database.dataDir, "cut.jsonl");
      fs.writeFileSync(cut, fs.readFileSync(file, "utf8").slice(0, 3000));
      const truncated = await audit(["verify", "--from-export", cut]);
      assert.equal(truncated.code, 1);
      assert.match(truncated.stdout, /export_truncated/);

      // Tamper directly in the database file / server, as someone with database access.
      const s2 = await startTestServer({ database });
      try {
        // The export is on record: the operator's CLI exported org_cli's 12 entries.
        const recorded = await s2.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", "org_cli").where("seq", ">", 12).execute();
        assert.deepEqual(
          recorded.map((e) => [e.seq, e.action, e.actor_kind, JSON.parse(e.details).entries]),
          [[13, "audit.exported", "system", 12]],
        );
        await dropAuditTriggers(s2.deps.db, dialect);
        await sql`UPDATE audit_log SET target_id = 'ch_other' WHERE org_id = 'org_cli' AND seq = 7`.execute(s2.deps.db);
      } finally {
        await s2.close();
      }
      const bad = await audit(["verify"]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /FAILED org_cli: seq 7: entry_altered/);
      assert.match(bad.stdout, /verification FAILED/);
    } finally {
      await database.drop();
    }
  });
}
