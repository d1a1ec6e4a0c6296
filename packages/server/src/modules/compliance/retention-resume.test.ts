/**
 * A retention run killed midway (kill -9 of the process running it) leaves whole batches
 * done, nothing half-deleted, and the channel's floor unmoved; the next run finishes the
 * work, and rows and blobs agree afterwards.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg } from "../../testing/factories.ts";
import { uploadFile } from "../../testing/files.ts";
import { waitWhileRunning } from "../../testing/jobs.ts";
import { runRetention } from "./retention-run.ts";

const DAY = 86_400_000;
const CHILD = new URL("../../testing/retention-child.ts", import.meta.url).pathname;
/** How long the child may take to start and get going: on a loaded two-core machine loading the server's modules alone can take seconds. */
const CHILD_WAIT_MS = 60_000;

for (const dialect of DIALECTS) {
  test(`retention killed midway resumes; rows and blobs agree (${dialect})`, { timeout: 120_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const ch = (await owner.api("POST", "/channels", { name: "old", kind: "public" })).body.id as string;
      const N = 150;
      const fileSeqs = new Map<number, string>();
      for (let i = 0; i < N; i++) {
        const files = i % 10 === 0 ? [await uploadFile(server, owner, ch, crypto.randomBytes(500))] : [];
        const r = await owner.api("POST", `/channels/${ch}/events`, { clientId: `c-resume-${i}-0000`, kind: "message", content: "AAAA", files });
        assert.equal(r.status, 200);
        if (files.length) fileSeqs.set(r.body.event.seq, files[0]!);
      }
      const db = server.deps.db;
      await db
        .updateTable("events")
        .set({ created_at: Date.now() - 40 * DAY })
        .where("channel_id", "=", ch)
        .execute();
      assert.equal((await owner.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);

      // Run it in another process, one event per batch, and kill it once some batches committed.
      const child = spawn(process.execPath, [CHILD, server.database.dataDir, server.database.url ?? "", owner.org.id], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      try {
        const removed = async () =>
          Number(
            (
              await db
                .selectFrom("audit_log")
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .where("action", "=", "retention.events.removed")
                .executeTakeFirstOrThrow()
            ).n,
          );
        await waitWhileRunning(child, async () => (await removed()) >= 20, CHILD_WAIT_MS, "the child removed some batches");
      } finally {
        child.kill("SIGKILL");
        await exited;
      }
      const left = (await db.selectFrom("events").select("seq").where("channel_id", "=", ch).where("kind", "=", "message").execute()).map((r) => Number(r.seq));
      assert.ok(left.length > 0 && left.length < N, `killed midway: ${left.length} of ${N} left`);
      const floorAfterKill = await db.selectFrom("channels").select("retention_floor").where("id", "=", ch).executeTakeFirstOrThrow();
      assert.equal(Number(floorAfterKill.retention_floor), 0, "the floor moves only once everything below it is gone");
      // Nothing half-done: an event is either there with its file, or gone with its file marked deleted.
      for (const [seq, fileId] of fileSeqs) {
        const f = await db.selectFrom("files").select("deleted_at").where("id", "=", fileId).executeTakeFirstOrThrow();
        assert.equal(f.deleted_at !== null, !left.includes(seq), `event ${seq} and its file agree`);
      }

      const run = await runRetention(server.deps, owner.org.id);
      assert.equal(run.eventsDeleted, left.length);
      const after = await db.selectFrom("events").select("seq").where("channel_id", "=", ch).where("kind", "=", "message").execute();
      assert.equal(after.length, 0);
      const floor = await db.selectFrom("channels").select(["retention_floor", "last_seq"]).where("id", "=", ch).executeTakeFirstOrThrow();
      assert.equal(Number(floor.retention_floor), Number(floor.last_seq) + 1);
      // Blobs follow their rows (the durable blob jobs run after each batch's commit, also those the killed process queued).
      const live = new Set((await db.selectFrom("files").select("id").where("deleted_at", "is", null).execute()).map((r) => r.id));
      for (let i = 0; i < 200; i++) {
        const blobs = await server.deps.blobs.list();
        if (blobs.every((b) => live.has(b))) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(
        (await server.deps.blobs.list()).filter((b) => !live.has(b)),
        [],
        "no blob outlives its row",
      );
    } finally {
      await server.stop();
    }
  });
}

// PostgreSQL: two processes writing at once (the run and the server placing the hold) is its topology;
// SQLite has one writer process, where the run is the server's own job.
test("a legal hold placed while a retention run is under way stops it at the next batch (postgres)", { timeout: 120_000 }, async () => {
  const server = await startTestServer({ dialect: "postgres" });
  try {
    const owner = await bootstrapOrg(server);
    const ch = (await owner.api("POST", "/channels", { name: "deals", kind: "public" })).body.id as string;
    const N = 150;
    for (let i = 0; i < N; i++) {
      const r = await owner.api("POST", `/channels/${ch}/events`, { clientId: `c-held-${i}-00000`, kind: "message", content: "AAAA" });
      assert.equal(r.status, 200);
    }
    const db = server.deps.db;
    await db
      .updateTable("events")
      .set({ created_at: Date.now() - 40 * DAY })
      .where("channel_id", "=", ch)
      .execute();
    assert.equal((await owner.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: null })).status, 200);
    const child = spawn(process.execPath, [CHILD, server.database.dataDir, server.database.url!, owner.org.id], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const left = async () =>
        Number(
          (
            await db
              .selectFrom("events")
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .where("channel_id", "=", ch)
              .where("kind", "=", "message")
              .executeTakeFirstOrThrow()
          ).n,
        );
      await waitWhileRunning(child, async () => (await left()) <= N - 10, CHILD_WAIT_MS, "the run removed some events");
      const placed = await owner.api("POST", "/compliance/holds", { matter: "Deal review", scope: "channel", targetId: ch });
      assert.equal(
        placed.status,
        201,
        server.logs
          .filter((l) => l.includes('"level":50'))
          .join("\n")
          .slice(0, 2000),
      );
      assert.equal(await exited, 0, "the run ends normally");
      const kept = await left();
      assert.ok(kept > 0 && kept < N, `the run stopped once the hold was placed: ${kept} of ${N} kept`);
      const floor = await db.selectFrom("channels").select("retention_floor").where("id", "=", ch).executeTakeFirstOrThrow();
      assert.equal(Number(floor.retention_floor), 0, "a held channel's floor does not move");
    } finally {
      child.kill("SIGKILL");
    }
  } finally {
    await server.stop();
  }
});
