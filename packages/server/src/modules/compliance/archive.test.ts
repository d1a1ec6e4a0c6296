import test from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { openLockerBatches, sealLockerBatch } from "@parley/crypto";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser } from "../../testing/factories.ts";
import { uploadFile } from "../../testing/files.ts";
import { newArchiveKeys, signedArchivePolicy as signed } from "../../testing/archive.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

for (const dialect of DIALECTS) {
  test(`compliance archive: signed policy, sealed keys, officer reads (${dialect})`, { timeout: 90_000 }, async () => {
    const server = await startTestServer({ dialect });
    try {
      const owner = await bootstrapOrg(server);
      const alice = await makeUser(server, owner);
      const orgId = owner.org.id;
      const keys = newArchiveKeys();
      const trading = (await owner.api("POST", "/channels", { name: "trading", kind: "private", members: [alice.user.id] })).body.id as string;
      const lunch = (await owner.api("POST", "/channels", { name: "lunch", kind: "public" })).body.id as string;
      assert.equal((await alice.api("POST", `/channels/${lunch}/join`)).status, 200);

      // Nothing archived yet.
      assert.deepEqual((await alice.api("GET", "/e2ee/archive-policy")).body, { current: null, storedAt: null, archivedChannelIds: [] });

      // Refused: a member; a bad signature; another org; a version that is not the next one.
      const v1 = signed(keys, orgId, 1, { kinds: [], labels: [], channelIds: [trading] });
      assert.equal((await alice.api("PUT", "/compliance/archive", v1)).status, 403);
      const tampered = { ...v1, policy: { ...v1.policy, scope: { ...v1.policy.scope, channelIds: [] } } };
      const bad = await owner.api("PUT", "/compliance/archive", tampered);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.details.reason, "signature");
      assert.equal((await owner.api("PUT", "/compliance/archive", signed(keys, "org_other", 1, v1.policy.scope))).body.details.reason, "org");
      assert.equal((await owner.api("PUT", "/compliance/archive", signed(keys, orgId, 2, v1.policy.scope))).body.details.reason, "version");
      assert.equal(await countRows(server, "archive_policies"), 0, "nothing stored on refusal");

      assert.equal((await owner.api("PUT", "/compliance/archive", v1)).status, 200);
      // A second version must come from the same signer.
      const intruder = newArchiveKeys();
      const swapped = await owner.api("PUT", "/compliance/archive", signed(intruder, orgId, 2, v1.policy.scope));
      assert.equal(swapped.body.details.reason, "signer");

      const seen = await alice.api("GET", "/e2ee/archive-policy");
      assert.deepEqual(seen.body.current, v1);
      assert.deepEqual(seen.body.archivedChannelIds, [trading]);
      const items = await server.deps.db
        .selectFrom("user_stream")
        .select("data")
        .where("user_id", "=", alice.user.id)
        .where("kind", "=", "archive.policy")
        .execute();
      assert.deepEqual(
        items.map((i) => JSON.parse(i.data)),
        [{ version: 1 }],
      );

      // A member's device seals the channel's history keys to the archive key.
      const hks = [0n, 1n, 2n].map((epoch) => ({ channelId: trading, generation: 0, epoch, hk: crypto.randomBytes(32) }));
      const owner_ = { orgId, userId: alice.user.id };
      const sealed = await sealLockerBatch(keys.archive.publicKey, owner_, hks);
      const entry = { generation: 0, fromEpoch: 0, toEpoch: 2, sealed: b64(sealed) };
      const up = await alice.api("POST", `/channels/${trading}/archive-keys`, { policyVersion: 1, entries: [entry] });
      assert.equal(up.status, 201);
      assert.equal(up.body.stored, 1);
      assert.equal(
        (await alice.api("POST", `/channels/${trading}/archive-keys`, { policyVersion: 1, entries: [entry] })).body.stored,
        0,
        "a batch is kept once per device",
      );
      assert.equal((await alice.api("POST", `/channels/${lunch}/archive-keys`, { policyVersion: 1, entries: [entry] })).body.code, "not_archived");
      assert.equal((await alice.api("POST", `/channels/${trading}/archive-keys`, { policyVersion: 2, entries: [entry] })).body.details.reason, "stale_version");

      // Events (one held past retention) and an attachment deleted under a hold reach the officer.
      const fileId = await uploadFile(server, alice, trading, crypto.randomBytes(700));
      const sent = await alice.api("POST", `/channels/${trading}/events`, {
        clientId: "c-arch-0001",
        kind: "message",
        content: b64(Buffer.from("x")),
        files: [fileId],
      });
      assert.equal(sent.status, 200);
      const hold = await owner.api("POST", "/compliance/holds", { matter: "M-1", scope: "channel", targetId: trading });
      assert.equal(hold.status, 201);
      assert.equal(
        (
          await alice.api("POST", `/channels/${trading}/events`, {
            clientId: "c-arch-0002",
            kind: "delete",
            content: b64(Buffer.from("d")),
            target: sent.body.event.seq,
          })
        ).status,
        200,
      );
      const { mentions: _m, ...row } = await server.deps.db
        .selectFrom("events")
        .selectAll()
        .where("channel_id", "=", trading)
        .where("seq", "=", sent.body.event.seq)
        .executeTakeFirstOrThrow();
      await server.deps.db
        .insertInto("held_events")
        .values({
          ...row,
          org_id: orgId,
          generation: row.generation ?? 0,
          archive: row.archive ?? null,
          files: row.files ?? "[]",
          seq: 1000,
          id: "ev_held_copy",
          held_at: Date.now(),
        })
        .execute();

      // The channels an export can cover: the scope's, with their members; lunch is neither covered nor keyed.
      assert.equal((await alice.api("GET", "/compliance/archive/channels")).status, 403);
      const channels = await owner.api("GET", "/compliance/archive/channels");
      assert.equal(channels.status, 200);
      assert.deepEqual(channels.body.channels, [
        { id: trading, name: "trading", kind: "private", labels: [], covered: true, keyBatches: 1, memberIds: [owner.user.id, alice.user.id].sort() },
      ]);
      assert.equal((await alice.api("GET", `/compliance/archive/channels/${trading}/keys`)).status, 403);
      const listed = await owner.api("GET", `/compliance/archive/channels/${trading}/keys`);
      assert.equal(listed.status, 200);
      assert.equal(listed.headers.get("cache-control"), "no-store");
      const [e] = listed.body.entries;
      const opened = await openLockerBatches(keys.archive.privateKey, { orgId, userId: e.userId }, [
        {
          sealed: new Uint8Array(Buffer.from(e.sealed, "base64")),
          meta: { channelId: trading, generation: e.generation, fromEpoch: BigInt(e.fromEpoch), toEpoch: BigInt(e.toEpoch) },
        },
      ]);
      assert.deepEqual(
        opened.map((x) => Buffer.from(x.hk).toString("hex")),
        hks.map((x) => x.hk.toString("hex")),
      );

      const events = await owner.api("GET", `/compliance/archive/channels/${trading}/events?after=0&limit=2`);
      assert.equal(events.status, 200);
      assert.equal(events.body.hasMore, true);
      const all = await owner.api("GET", `/compliance/archive/channels/${trading}/events?after=0`);
      assert.ok(all.body.events.some((x: { held: boolean; seq: number }) => x.held && x.seq === 1000));
      assert.deepEqual(
        all.body.events.map((x: { seq: number }) => x.seq),
        [...all.body.events.map((x: { seq: number }) => x.seq)].sort((a: number, b: number) => a - b),
      );
      const file = await fetch(`${server.url}/api/v1/compliance/archive/files/${fileId}`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
      assert.equal(file.status, 200, "the hold keeps the deleted attachment for the export");
      assert.equal((await file.arrayBuffer()).byteLength, 700);

      const rec = await owner.api("POST", "/compliance/archive/exports", {
        channelIds: [trading],
        userId: null,
        from: null,
        to: null,
        items: 2,
        attachments: 1,
        manifestSha256: "ab".repeat(32),
        signerFingerprint: "0000 1111",
      });
      assert.equal(rec.status, 201);
      assert.deepEqual(
        (await owner.api("GET", "/compliance/archive/exports")).body.exports.map((x: { id: string }) => x.id),
        [rec.body.id],
      );
      const actions = (await server.deps.db.selectFrom("audit_log").select("action").where("org_id", "=", orgId).execute()).map((r) => r.action);
      for (const a of ["archive.policy.set", "archive.channels.read", "archive.keys.read", "archive.events.read", "archive.file.read", "archive.exported"])
        assert.ok(actions.includes(a), a);

      // A label the archive's scope names: admins may not remove it (that would take the channel out of the archive).
      const admin = await makeUser(server, owner, { role: "admin" });
      assert.equal((await owner.api("PUT", `/channels/${lunch}/labels`, { labels: ["regulated"] })).status, 200);
      assert.equal(
        (await owner.api("PUT", "/compliance/archive", signed(keys, orgId, 2, { kinds: [], labels: ["regulated"], channelIds: [trading] }))).status,
        200,
      );
      assert.deepEqual((await alice.api("GET", "/e2ee/archive-policy")).body.archivedChannelIds, [trading, lunch].sort());
      const unlabel = await admin.api("PUT", `/channels/${lunch}/labels`, { labels: [] });
      assert.equal(unlabel.status, 403);
      assert.match(unlabel.body.message, /only compliance officers may remove regulated/);
      assert.equal((await owner.api("PUT", `/channels/${lunch}/labels`, { labels: [] })).status, 200, "an officer may");

      // Another org's officer sees none of it.
      const other = await makeOrg(server);
      assert.deepEqual((await other.api("GET", "/compliance/archive/channels")).body.channels, []);
      assert.equal((await other.api("GET", `/compliance/archive/channels/${trading}/keys`)).status, 404);
      assert.equal((await other.api("GET", `/compliance/archive/channels/${trading}/events`)).status, 404);
      assert.equal(
        (await fetch(`${server.url}/api/v1/compliance/archive/files/${fileId}`, { headers: { authorization: `Bearer ${other.accessToken}` } })).status,
        404,
      );
      assert.equal((await other.api("POST", "/compliance/archive/exports", { ...rec.body, id: undefined, by: undefined, createdAt: undefined })).status, 404);
    } finally {
      await server.stop();
    }
  });
}
