/**
 * Key lockers (ADR 0007): a user's locker and identity public keys and recovery blob, the
 * sealed entries their devices append, and the identity directory. Real keys and seals from
 * @parley/crypto; bad input gets its stable code and writes nothing; other orgs see nothing.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { generateRecoveryKey, lockerBatchMeta, openLockerBatch, sealLockerBatch, sealRecoveryBlob, type LockerEntry as HistoryKeyEntry } from "@parley/crypto";
import type { LockerEntry } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { lockerMaterialFor, type LockerMaterial } from "../../testing/locker.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const random = (n: number) => b64(crypto.randomBytes(n));

for (const dialect of DIALECTS) {
  describe(`key lockers (${dialect})`, () => {
    let s: TestServer;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let other: TestUser;
    let shared: string;
    let bobsOwn: string;
    let othersChannel: string;
    let mine: LockerMaterial;
    before(async () => {
      s = await startTestServer({ dialect });
      alice = await bootstrapOrg(s);
      bob = await makeUser(s, alice);
      carol = await makeUser(s, alice);
      other = await makeOrg(s);
      shared = (await alice.api("POST", "/channels", { kind: "public", name: "shared", members: [bob.user.id] })).body.id;
      bobsOwn = (await bob.api("POST", "/channels", { kind: "private", name: "bobs" })).body.id;
      othersChannel = (await other.api("POST", "/channels", { kind: "public", name: "elsewhere" })).body.id;
      mine = await lockerMaterialFor(alice);
    });
    after(() => s.stop());
    const audits = (action: string) =>
      s.deps.db.selectFrom("audit_log").selectAll().where("org_id", "=", alice.org.id).where("action", "=", action).orderBy("seq").execute();
    const counts = async () => ({
      lockers: await countRows(s, "user_lockers"),
      entries: await countRows(s, "locker_entries"),
      audit: await countRows(s, "audit_log"),
    });

    it("sets up a locker once, replaces only its recovery blob, and audits both", async () => {
      const none = await alice.api("GET", "/me/locker");
      assert.equal(none.status, 404);
      assert.equal(none.body.code, "not_found");
      assert.equal((await bob.api("GET", `/users/${alice.user.id}/identity`)).status, 404);

      const put = await alice.api("PUT", "/me/locker", mine.body);
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.headers.get("cache-control"), "no-store");
      assert.deepEqual({ publicKey: put.body.publicKey, identityKey: put.body.identityKey, recoveryBlob: put.body.recoveryBlob }, mine.body);
      assert.equal(put.body.createdAt, put.body.updatedAt);
      const got = await alice.api("GET", "/me/locker");
      assert.deepEqual(got.body, put.body);
      assert.equal(got.headers.get("cache-control"), "no-store");
      const created = await audits("locker.created");
      assert.equal(created.length, 1);
      assert.equal(created[0]!.target_id, alice.user.id);
      assert.equal(created[0]!.actor_device_id, alice.tokens.deviceId);

      // The same body again changes nothing and records nothing.
      assert.deepEqual((await alice.api("PUT", "/me/locker", mine.body)).body, put.body);
      assert.equal((await audits("locker.created")).length, 1);
      assert.equal((await audits("locker.recovery.changed")).length, 0);

      // "Change recovery key": a new blob for the same keys.
      const blob = await sealRecoveryBlob(
        generateRecoveryKey().key,
        { lockerPrivateKey: mine.locker.privateKey, identityPrivateKey: new Uint8Array(32) },
        mine.owner,
      );
      const changed = await alice.api("PUT", "/me/locker", { ...mine.body, recoveryBlob: b64(blob) });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.recoveryBlob, b64(blob));
      assert.equal(changed.body.createdAt, put.body.createdAt);
      assert.equal((await audits("locker.recovery.changed")).length, 1);
      mine.body.recoveryBlob = b64(blob);

      // The identity directory: the same org reads it, another org finds nothing.
      const identity = await bob.api("GET", `/users/${alice.user.id}/identity`);
      // No device approved yet (approvals.test.ts fills this in).
      assert.deepEqual(identity.body, { userId: alice.user.id, identityKey: mine.body.identityKey, approvals: [] });
      const foreign = await other.api("GET", `/users/${alice.user.id}/identity`);
      assert.equal(foreign.status, 404);
      assert.equal(foreign.body.code, "not_found");
      assert.equal(JSON.stringify(foreign.body).includes(mine.body.identityKey), false);
      // Nobody reads another user's locker: /me is always the caller's own.
      assert.equal((await bob.api("GET", "/me/locker")).status, 404);
      assert.equal((await other.api("GET", "/me/locker")).status, 404);
    });

    it("refuses bad locker input and other keys than the stored ones, writing nothing", async () => {
      const before = await counts();
      const bad = async (body: Record<string, unknown>, code: string, status: number) => {
        const r = await alice.api("PUT", "/me/locker", { ...mine.body, ...body });
        assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code);
        return r;
      };
      await bad({ publicKey: random(31) }, "validation_failed", 400);
      await bad({ publicKey: random(33) }, "validation_failed", 400);
      await bad({ identityKey: random(16) }, "validation_failed", 400);
      await bad({ identityKey: "not base64 at all" }, "validation_failed", 400);
      await bad({ recoveryBlob: "" }, "validation_failed", 400);
      await bad({ recoveryBlob: random(4097) }, "validation_failed", 400);
      await bad({ recoveryBlob: undefined }, "validation_failed", 400);
      const key = await bad({ publicKey: random(32) }, "locker_key_conflict", 409);
      assert.deepEqual(key.body.details, { publicKey: true, identityKey: false });
      await bad({ identityKey: random(32), recoveryBlob: random(80) }, "locker_key_conflict", 409);
      assert.deepEqual(await counts(), before);
      assert.equal((await alice.api("GET", "/me/locker")).body.recoveryBlob, mine.body.recoveryBlob);
    });

    it("appends sealed entries for the caller's channels and pages them back, oldest first", async () => {
      // Before bob has a locker, he has nothing to append to.
      const early = await bob.api("POST", "/me/locker/entries", {
        entries: [{ channelId: shared, generation: 0, fromEpoch: 0, toEpoch: 0, sealed: random(64) }],
      });
      assert.equal(early.status, 404);

      const hks: HistoryKeyEntry[] = [0n, 1n, 2n].map((epoch) => ({ channelId: shared, generation: 0, epoch, hk: crypto.randomBytes(32) }));
      const meta = lockerBatchMeta(hks);
      const sealed = await sealLockerBatch(mine.locker.publicKey, mine.owner, hks, meta);
      const auditBefore = await countRows(s, "audit_log");
      const up = await alice.api("POST", "/me/locker/entries", {
        entries: [
          { channelId: shared, generation: 0, fromEpoch: Number(meta.fromEpoch), toEpoch: Number(meta.toEpoch), sealed: b64(sealed) },
          { channelId: null, generation: null, fromEpoch: 0, toEpoch: 9, sealed: random(200) },
          { channelId: shared, generation: null, fromEpoch: 4, toEpoch: 4, sealed: random(100) },
        ],
      });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const ids: number[] = up.body.ids;
      assert.equal(ids.length, 3);
      assert.deepEqual(
        [...ids].sort((a, b) => a - b),
        ids,
      );
      assert.equal(await countRows(s, "audit_log"), auditBefore, "appends are not audited");

      const seen: LockerEntry[] = [];
      let after = 0;
      for (;;) {
        const page = await alice.api("GET", `/me/locker/entries?after=${after}&limit=2`);
        assert.equal(page.status, 200);
        assert.equal(page.headers.get("cache-control"), "no-store");
        seen.push(...page.body.entries);
        if (page.body.nextCursor === null) break;
        after = page.body.nextCursor;
      }
      assert.deepEqual(
        seen.map((e) => e.id),
        ids,
      );
      assert.deepEqual(
        { ...seen[0], id: 0, createdAt: 0 },
        { id: 0, channelId: shared, generation: 0, fromEpoch: 0, toEpoch: 2, sealed: b64(sealed), deviceId: alice.tokens.deviceId, createdAt: 0 },
      );
      assert.equal(seen[1]!.channelId, null);
      const opened = await openLockerBatch(mine.locker.privateKey, mine.owner, Buffer.from(seen[0]!.sealed, "base64"), {
        channelId: seen[0]!.channelId,
        generation: seen[0]!.generation,
        fromEpoch: BigInt(seen[0]!.fromEpoch),
        toEpoch: BigInt(seen[0]!.toEpoch),
      });
      assert.deepEqual(
        opened.map((e) => [e.epoch, Buffer.from(e.hk).toString("hex")]),
        hks.map((e) => [e.epoch, Buffer.from(e.hk).toString("hex")]),
      );
      assert.deepEqual((await alice.api("GET", `/me/locker/entries?after=${ids[2]}`)).body, { entries: [], nextCursor: null });
      // Only the owner's entries: bob (same org, same channel) and another org see none of them.
      assert.deepEqual((await bob.api("GET", "/me/locker/entries")).body, { entries: [], nextCursor: null });
      assert.deepEqual((await other.api("GET", "/me/locker/entries")).body, { entries: [], nextCursor: null });
    });

    it("refuses entries for channels the caller is not in and malformed ones, all or nothing", async () => {
      const before = await counts();
      const good = { channelId: shared, generation: 0, fromEpoch: 0, toEpoch: 1, sealed: random(64) };
      const refuse = async (entries: unknown[], code: string, status: number) => {
        const r = await alice.api("POST", "/me/locker/entries", { entries });
        assert.equal(r.status, status, `${JSON.stringify(entries).slice(0, 120)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code);
        return r;
      };
      const notMember = await refuse([good, { ...good, channelId: bobsOwn }], "forbidden", 403);
      assert.deepEqual(notMember.body.details, { channelIds: [bobsOwn] });
      // Another org's channel and an unknown id answer exactly alike.
      const foreign = await refuse([{ ...good, channelId: othersChannel }], "forbidden", 403);
      const unknown = await refuse([{ ...good, channelId: "ch_unknown" }], "forbidden", 403);
      assert.equal(foreign.body.message, unknown.body.message);
      await refuse([good, { ...good, fromEpoch: 5, toEpoch: 4 }], "validation_failed", 400);
      await refuse([{ ...good, channelId: null, generation: 0 }], "validation_failed", 400);
      await refuse([{ ...good, sealed: random(65_537) }], "validation_failed", 400);
      await refuse([{ ...good, sealed: "" }], "validation_failed", 400);
      await refuse([{ ...good, sealed: "%%%%" }], "validation_failed", 400);
      await refuse([{ ...good, fromEpoch: -1 }], "validation_failed", 400);
      await refuse([], "validation_failed", 400);
      await refuse(
        Array.from({ length: 501 }, () => ({ ...good, sealed: "AAAA" })),
        "validation_failed",
        400,
      );
      // carol (no locker, not in `shared`): the locker comes first.
      assert.equal((await carol.api("POST", "/me/locker/entries", { entries: [good] })).status, 404);
      assert.deepEqual(await counts(), before);
      // 500 entries is a full batch.
      const full = await alice.api("POST", "/me/locker/entries", { entries: Array.from({ length: 500 }, (_, i) => ({ ...good, fromEpoch: i, toEpoch: i })) });
      assert.equal(full.status, 201);
      assert.equal(full.body.ids.length, 500);
      assert.equal(await countRows(s, "locker_entries"), before.entries + 500);
    });
  });
}
