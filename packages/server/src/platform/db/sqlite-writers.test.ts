/**
 * Two processes writing one SQLite file (a CLI or a retention run beside the server): a
 * transaction that reads and then writes waits its turn for the write lock instead of
 * failing with SQLITE_BUSY because the other process committed after its read.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { openStorage } from "./index.ts";
import { waitWhileRunning } from "../../testing/jobs.ts";

const CHILD = new URL("../../testing/sqlite-writer-child.ts", import.meta.url).pathname;

test("a read-then-write transaction beside another writing process commits every time (sqlite)", { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-writers-"));
  const file = path.join(dir, "two.db");
  const storage = openStorage({ url: `sqlite:${file}`, dataDir: dir });
  try {
    await sql`CREATE TABLE writer_rows (who text NOT NULL, n integer NOT NULL)`.execute(storage.db);
    const child = spawn(process.execPath, [CHILD, file, "4000"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await waitWhileRunning(child, async () => out.includes("ready"), 30_000, "the writer process started");
      // Each transaction reads (taking its snapshot), yields so the other process can commit, then writes.
      let committed = 0;
      while (child.exitCode === null && committed < 300) {
        await storage.db.transaction().execute(async (tx) => {
          const seen = await sql<{ c: number }>`SELECT count(*) AS c FROM writer_rows`.execute(tx);
          await new Promise((r) => setTimeout(r, 2));
          await sql`INSERT INTO writer_rows (who, n) VALUES ('parent', ${seen.rows[0]!.c})`.execute(tx);
        });
        committed++;
      }
      assert.equal(await exited, 0, "the writer process ended normally");
      assert.match(out, /wrote [1-9]\d*/, "the other process wrote rows meanwhile");
      const rows = await sql<{ who: string; c: number }>`SELECT who, count(*) AS c FROM writer_rows GROUP BY who ORDER BY who`.execute(storage.db);
      assert.equal(rows.rows.find((r) => r.who === "parent")?.c, committed);
      assert.ok(committed >= 20, `${committed} transactions committed beside the writer`);
    } finally {
      child.kill("SIGKILL");
    }
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
