import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { blobDirOfServer, fetchFile, uploadFile } from "../../testing/files.ts";
import { postText } from "../../gateway/test-client.ts";
import { verifyAuditDatabase } from "../audit/verify-sources.ts";
import { runRetention } from "./retention-run.ts";

const DAY = 86_400_000;
const b64 = (s: string) => Buffer.from(s).toString("base64");

async function channel(user: TestUser, name: string, kind: "public" | "private" = "public"): Promise<string> {
  const r = await user.api("POST", "/channels", { name, kind });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

/** Back-date a channel's events (and their files) so retention sees them as old. */
async function age(server: TestServer, channelId: string, seqs: number[], days: number): Promise<void> {
  const at = Date.now() - days * DAY;
  await server.deps.db.updateTable("events").set({ created_at: at }).where("channel_id", "=", channelId).where("seq", "in", seqs).execute();
  await server.deps.db.updateTable("files").set({ created_at: at }).where("channel_id", "=", channelId).where("event_seq", "in", seqs).execute();
}

async function seqsOf(server: TestServer, channelId: string): Promise<number[]> {
  const rows = await server.deps.db
    .selectFrom("events")
    .select("seq")
    .where("channel_id", "=", channelId)
    .where("kind", "=", "message")
    .orderBy("seq")
    .execute();
  return rows.map((r) => Number(r.seq));
}

const blobExists = (server: TestServer, fileId: string) => {
  const dir = blobDirOfServer(server);
  return fs.readdirSync(dir, { recursive: true }).some((f) => path.basename(String(f)) === fileId);
};

for (const dialect of DIALECTS) {
  test(`retention and legal holds: holds keep, releases let go, clients are told (${dialect})`, { timeout: 90_000 }, async () => {
    const server = await startTestServer({ dialect, config: { auditCheckpointEvery: 5 } });
    try {
      const owner = await bootstrapOrg(server);
      const admin = await makeUser(server, owner, { role: "admin" });
      const alice = await makeUser(server, owner);
      const bob = await makeUser(server, owner);

      // Only owners and compliance officers (a custom role with org.manage_compliance) manage retention and holds.
      assert.equal((await admin.api("GET", "/compliance/retention")).status, 403);
      assert.equal((await admin.api("POST", "/compliance/holds", { matter: "x", scope: "user", targetId: bob.user.id })).status, 403);
      const officerRole = await owner.api("POST", "/org/roles", { name: "compliance-officer", permissions: ["org.manage_compliance"] });
      assert.equal(officerRole.status, 201, JSON.stringify(officerRole.body));
      assert.equal((await owner.api("PUT", `/users/${admin.user.id}/custom-roles`, { roleIds: [officerRole.body.id] })).status, 200);
      const officer = admin;

      const general = await channel(owner, "general");
      const random = await channel(owner, "random");
      const forever = await channel(owner, "records");
      for (const u of [alice, bob]) for (const ch of [general, random, forever]) assert.equal((await u.api("POST", `/channels/${ch}/join`)).status, 200);

      // Old traffic (40 days), then new traffic.
      const fileBytes = crypto.randomBytes(3000);
      const bobFile = await uploadFile(server, bob, general, fileBytes);
      const withFile = await bob.api("POST", `/channels/${general}/events`, { clientId: "c-file-0001", kind: "message", content: b64("f"), files: [bobFile] });
      assert.equal(withFile.status, 200);
      for (const ch of [general, random, forever]) {
        await postText(alice, ch, "old from alice");
        await postText(bob, ch, "old from bob");
      }
      for (const ch of [general, random, forever]) await age(server, ch, await seqsOf(server, ch), 40);
      assert.equal((await bob.api("POST", `/channels/${random}/leave`)).status, 204);
      const fresh = await postText(alice, random, "new");

      // Policy: 30 days for the org, records kept forever; audit 1 day.
      const bad = await officer.api("PUT", "/compliance/retention", { eventsDays: 0, filesDays: null, auditDays: null });
      assert.equal(bad.status, 400);
      assert.equal(await countRows(server, "retention_policies"), 0, "nothing written on rejection");
      assert.equal((await officer.api("PUT", "/compliance/retention", { eventsDays: 30, filesDays: null, auditDays: 1 })).status, 200);
      const rec = await officer.api("PUT", `/compliance/retention/channels/${forever}`, { eventsDays: null, filesDays: null });
      assert.equal(rec.status, 200);
      assert.equal(rec.body.channelName, "records");

      // Bob is held: #general (he is a member) keeps everything; in #random (he left) his message is kept aside.
      const hold = await officer.api("POST", "/compliance/holds", { matter: "SEC inquiry 2026-14", scope: "user", targetId: bob.user.id, note: "custodian" });
      assert.equal(hold.status, 201, JSON.stringify(hold.body));
      assert.equal(hold.body.targetName, bob.user.username);
      assert.equal((await officer.api("POST", "/compliance/holds", { matter: "SEC inquiry 2026-14", scope: "user", targetId: bob.user.id })).status, 409);

      // A user deletes their own message under hold: the attachment's blob stays (for the archive), members lose access.
      const del = await bob.api("POST", `/channels/${general}/events`, {
        clientId: "c-delete-0001",
        kind: "delete",
        content: b64("d"),
        target: withFile.body.event.seq,
      });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal((await fetchFile(server, alice, bobFile)).status, 404);
      assert.ok(blobExists(server, bobFile), "the hold keeps the deleted attachment's blob");
      assert.equal(await countRows(server, "held_files"), 1);

      const run1 = await runRetention(server.deps, owner.org.id, { batch: 2 });
      assert.equal(run1.eventsHeld, 1, "bob's old message in #random moved aside");
      assert.equal(run1.eventsDeleted, 1, "alice's old message in #random removed");
      assert.deepEqual(await seqsOf(server, random), [fresh]);
      assert.equal((await seqsOf(server, general)).length, 3, "#general untouched (a held user is a member)");
      assert.equal((await seqsOf(server, forever)).length, 2, "#records keeps forever");
      // Members no longer get them; the floor tells their devices to purge.
      const hist = await alice.api("GET", `/channels/${random}/events?after=0`);
      assert.equal(hist.status, 200);
      assert.deepEqual(
        hist.body.events.filter((e: { kind: string }) => e.kind === "message").map((e: { seq: number }) => e.seq),
        [fresh],
      );
      const mine = await alice.api("GET", "/channels");
      assert.equal(mine.body.channels.find((c: { id: string }) => c.id === random).retentionFloor, fresh);
      assert.equal(mine.body.channels.find((c: { id: string }) => c.id === general).retentionFloor, 0);
      const stream = await server.deps.db
        .selectFrom("user_stream")
        .select(["kind", "data"])
        .where("user_id", "=", alice.user.id)
        .where("channel_id", "=", random)
        .execute();
      assert.ok(
        stream.some((s) => s.kind === "channel.updated" && JSON.parse(s.data).reason === "retention" && JSON.parse(s.data).channel.retentionFloor === fresh),
      );

      // Release: the next run removes what only the hold kept.
      const listed = await officer.api("GET", "/compliance/holds");
      assert.deepEqual(
        listed.body.holds.map((h: { id: string }) => h.id),
        [hold.body.id],
      );
      const rel = await officer.api("POST", `/compliance/holds/${hold.body.id}/release`, { note: "closed" });
      assert.equal(rel.status, 200);
      assert.ok(rel.body.releasedAt);
      assert.equal((await officer.api("POST", `/compliance/holds/${hold.body.id}/release`, {})).status, 409);
      const run2 = await runRetention(server.deps, owner.org.id, { batch: 2 });
      assert.equal(run2.eventsDeleted, 3 + 1, "#general's three old messages + bob's held one");
      assert.equal(await countRows(server, "held_events"), 0);
      assert.equal(await countRows(server, "held_files"), 0);
      for (let i = 0; i < 100 && blobExists(server, bobFile); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!blobExists(server, bobFile), "the blob goes once nothing holds it (durable job)");

      // The audit log was pruned down to a signed checkpoint and still verifies; nothing above the floor can be deleted.
      const pruned = await runRetention(server.deps, owner.org.id, { now: Date.now() + 2 * DAY });
      assert.ok(pruned.auditDeleted > 0);
      const floor = await server.deps.db.selectFrom("audit_prune_floors").selectAll().where("org_id", "=", owner.org.id).executeTakeFirstOrThrow();
      const first = await server.deps.db
        .selectFrom("audit_log")
        .select("seq")
        .where("org_id", "=", owner.org.id)
        .orderBy("seq")
        .limit(1)
        .executeTakeFirstOrThrow();
      assert.equal(Number(first.seq), Number(floor.seq) + 1);
      const verified = await verifyAuditDatabase(server.deps.db, { orgIds: [owner.org.id] });
      assert.deepEqual(verified.problems, []);
      await assert.rejects(sql`DELETE FROM audit_log WHERE seq = ${Number(first.seq)}`.execute(server.deps.db), /append-only/);
      await assert.rejects(sql`UPDATE audit_prune_floors SET seq = 1`.execute(server.deps.db), /only moves up/);
      const actions = (await server.deps.db.selectFrom("audit_log").select("action").where("org_id", "=", owner.org.id).execute()).map((r) => r.action);
      for (const a of ["audit.pruned"]) assert.ok(actions.includes(a), a);
      const status = await officer.api("GET", "/compliance/retention");
      assert.equal(status.body.org.eventsDays, 30);
      assert.ok(status.body.lastRun.finishedAt);
      const metrics = await server.deps.metrics.registry.getSingleMetricAsString("parley_retention_removed_total");
      assert.match(metrics, /kind="events_held"\} 1/);
    } finally {
      await server.stop();
    }
  });
}

test("compliance routes keep to the caller's org; refusals write nothing", { timeout: 60_000 }, async () => {
  const server = await startTestServer({ dialect: "sqlite" });
  try {
    const owner = await bootstrapOrg(server);
    const other = await makeOrg(server);
    const theirs = await other.api("POST", "/channels", { name: "theirs", kind: "public" });
    const theirHold = await other.api("POST", "/compliance/holds", { matter: "m", scope: "channel", targetId: theirs.body.id });
    assert.equal(theirHold.status, 201);
    const before = await countRows(server, "legal_holds");
    assert.equal((await owner.api("POST", "/compliance/holds", { matter: "m", scope: "channel", targetId: theirs.body.id })).status, 404);
    assert.equal((await owner.api("POST", "/compliance/holds", { matter: "m", scope: "user", targetId: other.user.id })).status, 404);
    assert.equal((await owner.api("POST", `/compliance/holds/${theirHold.body.id}/release`, {})).status, 404);
    assert.equal((await owner.api("PUT", `/compliance/retention/channels/${theirs.body.id}`, { eventsDays: 1, filesDays: 1 })).status, 404);
    assert.equal((await owner.api("POST", "/compliance/holds", { matter: "bad\u0000matter", scope: "user", targetId: owner.user.id })).status, 400);
    assert.equal(await countRows(server, "legal_holds"), before);
    assert.equal(await countRows(server, "retention_policies"), 0);
    assert.deepEqual((await owner.api("GET", "/compliance/holds")).body.holds, []);
    const run = await owner.api("POST", "/compliance/retention/run");
    assert.equal(run.status, 202);
    assert.match(run.body.jobId, /^job_/);
    // API keys: compliance routes (reads too: they open archive material and holds) need the admin scope.
    const keySession = async (scopes: string[]) => {
      const k = await owner.api("POST", "/me/api-keys", { name: `k-${scopes.join("-")}`, scopes });
      const signedIn = await call(server, "POST", "/auth/api-key", { key: k.body.key, deviceName: "script" });
      return asTestUser(server, signedIn.body, "");
    };
    const writer = await keySession(["read", "write"]);
    assert.equal((await writer.api("GET", "/compliance/holds")).status, 403);
    assert.equal((await writer.api("POST", "/compliance/holds", { matter: "k", scope: "user", targetId: owner.user.id })).status, 403);
    assert.equal((await writer.api("GET", "/e2ee/archive-policy")).status, 200, "devices' archive housekeeping stays open");
    const admin = await keySession(["admin"]);
    assert.equal((await admin.api("GET", "/compliance/holds")).status, 200);
  } finally {
    await server.stop();
  }
});
