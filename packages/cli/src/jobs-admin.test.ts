/**
 * `parley admin jobs` with the real binary on a real SQLite database: list by
 * state, JSON counts, retry of a dead job, and a clear error for anything else.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase } from "@parley/server/testing/harness";
import { openStorage } from "../../server/src/platform/db/index.ts";
import { enqueueJob, listJobs } from "../../server/src/platform/jobs/index.ts";
import { parley } from "./testing/spawn-cli.ts";

test("admin jobs lists dead jobs and retries them", { timeout: 180_000 }, async () => {
  const db = await createTestDatabase("sqlite");
  const storage = openStorage({ url: undefined, dataDir: db.dataDir });
  try {
    await storage.migrate();
    const dead = (await enqueueJob(storage.db, "files.gc", null))!;
    await enqueueJob(storage.db, "mls.removal_proposals", { channelId: "ch_x" });
    await storage.db.updateTable("jobs").set({ state: "dead", attempts: 8, last_error: "boom" }).where("id", "=", dead).execute();
    const admin = (args: string[]) => parley(["admin", "jobs", ...args, "--data-dir", db.dataDir, "--json"]);

    const all = await admin([]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(all.json().counts, { queued: 1, running: 0, done: 0, dead: 1 });
    const onlyDead = await admin(["--state", "dead"]);
    assert.deepEqual(
      onlyDead.json().jobs.map((j: { id: string; lastError: string; attempts: number }) => [j.id, j.lastError, j.attempts]),
      [[dead, "boom", 8]],
    );
    const human = await parley(["admin", "jobs", "--state", "dead", "--data-dir", db.dataDir]);
    assert.match(human.stdout, new RegExp(`${dead}\\s+dead\\s+files\\.gc\\s+attempts 8/8`));

    assert.equal((await admin(["--state", "zombie"])).code, 2);
    const retried = await admin(["retry", dead]);
    assert.equal(retried.code, 0, retried.stderr);
    const job = (await listJobs(storage.db)).find((j) => j.id === dead)!;
    assert.deepEqual([job.state, job.attempts], ["queued", 0]);
    const again = await admin(["retry", dead]);
    assert.equal(again.code, 1);
    assert.equal(again.json().error.code, "not_found");
  } finally {
    await storage.close();
    await db.drop();
  }
});
