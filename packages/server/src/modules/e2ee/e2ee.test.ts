/**
 * E2EE directories over a real server on both dialects, with REAL device
 * identities and KeyPackages from @parley/crypto's client API.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { createDeviceIdentity, generateKeyPackages, identityForSuite, parseKeyPackage, verifyBinding, type DeviceIdentity } from "@parley/crypto";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

async function identityOf(u: TestUser, suite: "default" | "xwing" = "default", deviceId = u.tokens.deviceId): Promise<DeviceIdentity> {
  return createDeviceIdentity({ orgId: u.org.id, userId: u.user.id, deviceId, suite });
}

async function register(u: TestUser, id: DeviceIdentity) {
  return u.api("PUT", "/e2ee/device-identity", { suite: id.suite, signaturePublicKey: b64(id.signaturePublicKey), credential: b64(id.credentialIdentity) });
}

async function upload(u: TestUser, id: DeviceIdentity, oneTime: number, lastResort: boolean) {
  const kps = [...(await generateKeyPackages(id, oneTime))];
  if (lastResort) kps.push(...(await generateKeyPackages(id, 1, { lastResort: true })));
  return u.api("POST", "/e2ee/key-packages", { keyPackages: kps.map((k) => ({ data: b64(k.keyPackage), lastResort: k.lastResort })) });
}

async function withServer(dialect: "sqlite" | "postgres", fn: (s: TestServer) => Promise<void>, config = {}) {
  const server = await startTestServer({ dialect, config });
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

for (const dialect of DIALECTS) {
  test(`e2ee config: keys for everyone, suite set by admins only (${dialect})`, { timeout: 60_000 }, () =>
    withServer(dialect, async (server) => {
      const owner = await bootstrapOrg(server);
      const member = await makeUser(server, owner);
      const admin = await makeUser(server, owner, { role: "admin" });
      const cfg = await member.api("GET", "/e2ee/config");
      assert.equal(cfg.status, 200);
      assert.equal(cfg.body.suite, "default");
      assert.equal(bytes(cfg.body.directoryKey).length, 32);
      assert.equal(cfg.body.externalSender.orgId, owner.org.id);
      assert.notEqual(cfg.body.externalSender.signaturePublicKey, cfg.body.directoryKey);
      const denied = await member.api("PUT", "/e2ee/config", { suite: "xwing" });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.code, "forbidden");
      assert.equal((await member.api("GET", "/e2ee/config")).body.suite, "default", "nothing changed");
      assert.equal((await admin.api("PUT", "/e2ee/config", { suite: "bogus" })).status, 400);
      const set = await admin.api("PUT", "/e2ee/config", { suite: "xwing" });
      assert.equal(set.status, 200);
      assert.equal(set.body.suite, "xwing");
      assert.equal((await member.api("GET", "/e2ee/config")).body.suite, "xwing");
      // Another org keeps its own suite.
      const other = await makeOrg(server);
      assert.equal((await other.api("GET", "/e2ee/config")).body.suite, "default");
    }),
  );

  test(`device identity: signed binding, immutable, own device only, forgeries fail (${dialect})`, { timeout: 60_000 }, () =>
    withServer(dialect, async (server) => {
      const owner = await bootstrapOrg(server);
      const member = await makeUser(server, owner);
      const directoryKey = bytes((await owner.api("GET", "/e2ee/config")).body.directoryKey);
      const id = await identityOf(member);
      const r = await register(member, id);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const binding = { ...r.body, signaturePublicKey: bytes(r.body.signaturePublicKey), signature: bytes(r.body.signature) };
      assert.deepEqual(binding.signaturePublicKey, id.signaturePublicKey);
      assert.ok(verifyBinding(binding, directoryKey), "the server's binding verifies");
      // Forged bindings: another device's id, another key, a flipped signature bit.
      assert.ok(!verifyBinding({ ...binding, deviceId: owner.tokens.deviceId }, directoryKey));
      assert.ok(!verifyBinding({ ...binding, signaturePublicKey: (await identityOf(member)).signaturePublicKey }, directoryKey));
      const sig = binding.signature.slice();
      sig[0]! ^= 1;
      assert.ok(!verifyBinding({ ...binding, signature: sig }, directoryKey));
      assert.ok(!verifyBinding(binding, bytes((await owner.api("GET", "/e2ee/config")).body.externalSender.signaturePublicKey)));

      assert.equal((await register(member, id)).status, 200, "same key again is idempotent");
      const other = await register(member, await identityOf(member));
      assert.equal(other.status, 409);
      assert.equal(other.body.code, "already_exists");
      // A credential naming someone else's device is refused and nothing is stored.
      const before = await countRows(server, "device_bindings");
      const foreign = await register(owner, await identityOf(member));
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.details.reason, "credential_mismatch");
      assert.equal(
        (
          await owner.api("PUT", "/e2ee/device-identity", {
            suite: "default",
            signaturePublicKey: b64(new Uint8Array(5)),
            credential: b64(id.credentialIdentity),
          })
        ).status,
        400,
      );
      assert.equal(await countRows(server, "device_bindings"), before);

      const list = await owner.api("GET", `/e2ee/bindings?userIds=${member.user.id},${owner.user.id}`);
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.bindings.map((b: { deviceId: string }) => b.deviceId),
        [member.tokens.deviceId],
      );
      assert.equal((await owner.api("GET", `/e2ee/bindings?deviceIds=${member.tokens.deviceId}`)).body.bindings.length, 1);
      // Revoking the device: its binding is no longer returned.
      assert.equal((await owner.api("DELETE", `/users/${member.user.id}/devices/${member.tokens.deviceId}`)).status, 204);
      assert.deepEqual((await owner.api("GET", `/e2ee/bindings?userIds=${member.user.id}`)).body.bindings, []);
    }),
  );

  test(`key packages: upload, claim one per device, bad uploads refused whole (${dialect})`, { timeout: 90_000 }, () =>
    withServer(dialect, async (server) => {
      const owner = await bootstrapOrg(server);
      const member = await makeUser(server, owner);
      const idOwner = await identityOf(owner);
      const idMember = await identityOf(member);
      assert.equal((await upload(member, idMember, 1, false)).body.code, "bad_request", "no identity yet");
      await register(owner, idOwner);
      await register(member, idMember);
      const up = await upload(member, idMember, 3, true);
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.deepEqual(
        { ...up.body, lowWater: undefined },
        {
          stored: 4,
          suite: "default",
          available: 3,
          lastResort: true,
          lowWater: undefined,
          suites: { default: { available: 3, lastResort: true }, xwing: { available: 0, lastResort: false } },
        },
      );
      await upload(owner, idOwner, 2, true);

      const stored = await countRows(server, "key_packages");
      // Credential naming another device (the owner's, signed by the owner's key).
      const foreign = await generateKeyPackages(idOwner, 1);
      const r1 = await member.api("POST", "/e2ee/key-packages", {
        keyPackages: [{ data: b64((await generateKeyPackages(idMember, 1))[0]!.keyPackage) }, { data: b64(foreign[0]!.keyPackage) }],
      });
      assert.equal(r1.status, 400);
      assert.equal(r1.body.code, "key_package_invalid");
      assert.deepEqual(r1.body.details, { index: 1, reason: "credential_mismatch" });
      // Right ids, but a signature key that is not the bound one.
      const rogue = await identityOf(member);
      const r2 = await member.api("POST", "/e2ee/key-packages", { keyPackages: [{ data: b64((await generateKeyPackages(rogue, 1))[0]!.keyPackage) }] });
      assert.equal(r2.status, 400);
      assert.equal(r2.body.details.reason, "signature_key_mismatch");
      // Garbage bytes and a tampered signature.
      const r3 = await member.api("POST", "/e2ee/key-packages", { keyPackages: [{ data: b64(new Uint8Array([1, 2, 3])) }] });
      assert.equal(r3.body.code, "key_package_invalid");
      const tampered = (await generateKeyPackages(idMember, 1))[0]!.keyPackage.slice();
      tampered[tampered.length - 1]! ^= 1;
      assert.equal((await member.api("POST", "/e2ee/key-packages", { keyPackages: [{ data: b64(tampered) }] })).body.code, "key_package_invalid");
      assert.equal((await member.api("POST", "/e2ee/key-packages", { keyPackages: [] })).status, 400);
      assert.equal(await countRows(server, "key_packages"), stored, "nothing stored by rejected uploads");

      const claim = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id, owner.user.id], exclude: [owner.tokens.deviceId] });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      assert.equal(claim.body.keyPackages.length, 1);
      const kp = claim.body.keyPackages[0];
      assert.equal(kp.deviceId, member.tokens.deviceId);
      assert.equal(kp.lastResort, false);
      assert.equal(kp.binding.deviceId, member.tokens.deviceId);
      assert.deepEqual(claim.body.missing, []);
      assert.equal((await member.api("GET", "/e2ee/key-packages/count")).body.available, 2);

      // A user with a bound device but no KeyPackages is listed as missing.
      const third = await makeUser(server, owner);
      await register(third, await identityOf(third));
      const c2 = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [third.user.id] });
      assert.deepEqual(c2.body.missing, [{ userId: third.user.id, deviceId: third.tokens.deviceId }]);

      // Deactivating a user deletes its KeyPackages and hides its bindings.
      assert.equal((await owner.api("POST", `/users/${member.user.id}/deactivate`)).status, 200);
      const c3 = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id] });
      assert.deepEqual(c3.body, { keyPackages: [], missing: [] });
      const left = await server.deps.db.selectFrom("key_packages").select("ref").where("user_id", "=", member.user.id).execute();
      assert.equal(left.length, 0);
    }),
  );

  test(`key packages: concurrent claims never share a one-time one; last resort only when empty; low water once (${dialect})`, { timeout: 90_000 }, () =>
    withServer(
      dialect,
      async (server) => {
        const owner = await bootstrapOrg(server);
        const member = await makeUser(server, owner);
        const id = await identityOf(member);
        await register(member, id);
        const up = await upload(member, id, 5, true);
        assert.equal(up.body.available, 5);
        const claims = await Promise.all(Array.from({ length: 8 }, () => owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id] })));
        const got = claims.map((c) => {
          assert.equal(c.status, 200, JSON.stringify(c.body));
          return c.body.keyPackages[0];
        });
        const oneTime = got.filter((k) => !k.lastResort).map((k) => k.keyPackage);
        assert.equal(oneTime.length, 5, "each one-time KeyPackage handed out once");
        assert.equal(new Set(oneTime).size, 5, "no one-time KeyPackage handed out twice");
        const lastResort = got.filter((k) => k.lastResort);
        assert.equal(lastResort.length, 3);
        assert.equal(new Set(lastResort.map((k) => k.keyPackage)).size, 1, "the last-resort one is reused");
        assert.equal((await member.api("GET", "/e2ee/key-packages/count")).body.available, 0);

        // Low water (3 in this server's config): one warning for the drop, not one per claim.
        const stream = await member.api("GET", "/stream?after=0&limit=200");
        const lows = stream.body.items.filter((i: { kind: string }) => i.kind === "keypackages.low");
        assert.equal(lows.length, 1, JSON.stringify(lows));
        assert.equal(lows[0].data.deviceId, member.tokens.deviceId);
        assert.ok(lows[0].data.available < 3);
        // A refill re-arms the warning.
        await upload(member, id, 4, false);
        for (let i = 0; i < 2; i++) await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id] });
        const again = (await member.api("GET", "/stream?after=0&limit=200")).body.items.filter((i: { kind: string }) => i.kind === "keypackages.low");
        assert.equal(again.length, 2);
      },
      { keyPackageLowWater: 3 },
    ),
  );

  test(`key packages per suite: one identity serves both; claim by suite; low water watches the org's current suite (${dialect})`, { timeout: 90_000 }, () =>
    withServer(
      dialect,
      async (server) => {
        const owner = await bootstrapOrg(server);
        const member = await makeUser(server, owner);
        const id = await identityOf(member); // registered under "default"
        await register(member, id);
        await upload(member, id, 2, true);
        // The same key, KeyPackages of the other suite: accepted and stored as xwing.
        const idX = identityForSuite(id, "xwing");
        const up = await upload(member, idX, 4, true);
        assert.equal(up.status, 201, JSON.stringify(up.body));
        assert.equal(up.body.suite, "default", "the org's suite is still default");
        assert.deepEqual(up.body.suites, { default: { available: 2, lastResort: true }, xwing: { available: 4, lastResort: true } });
        // A new last-resort one replaces only its own suite's.
        await upload(member, idX, 1, true);
        const rows = await server.deps.db.selectFrom("key_packages").select(["suite", "last_resort"]).where("device_id", "=", member.tokens.deviceId).execute();
        assert.deepEqual(
          rows
            .filter((r) => Number(r.last_resort) === 1)
            .map((r) => r.suite)
            .sort(),
          ["default", "xwing"],
        );
        // Two last-resort ones of the same suite in one upload are refused.
        const two = [...(await generateKeyPackages(idX, 1, { lastResort: true })), ...(await generateKeyPackages(idX, 1, { lastResort: true }))];
        assert.equal(
          (await member.api("POST", "/e2ee/key-packages", { keyPackages: two.map((k) => ({ data: b64(k.keyPackage), lastResort: true })) })).status,
          400,
        );

        // Claims return KeyPackages of the asked suite only (default: the org's).
        const cd = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id] });
        assert.equal(cd.body.keyPackages[0].suite, "default");
        assert.equal((await parseKeyPackage(bytes(cd.body.keyPackages[0].keyPackage))).suite, "default");
        const cx = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id], suite: "xwing" });
        assert.equal(cx.status, 200, JSON.stringify(cx.body));
        assert.equal(cx.body.keyPackages[0].suite, "xwing");
        assert.equal((await parseKeyPackage(bytes(cx.body.keyPackages[0].keyPackage))).suite, "xwing");
        assert.equal(cx.body.keyPackages[0].lastResort, false);
        const count = (await member.api("GET", "/e2ee/key-packages/count")).body;
        assert.deepEqual(
          { suite: count.suite, available: count.available, suites: count.suites },
          {
            suite: "default",
            available: 1,
            suites: { default: { available: 1, lastResort: true }, xwing: { available: 4, lastResort: true } },
          },
        );
        // Claims of a suite the org does not use do not warn (low water is 3 here; xwing goes to 0).
        for (let i = 0; i < 4; i++) await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id], suite: "xwing" });
        const lows = async () =>
          (await member.api("GET", "/stream?after=0&limit=200")).body.items.filter((i: { kind: string }) => i.kind === "keypackages.low");
        assert.equal((await lows()).length, 1, "the default drop (2 -> 1) warned once; xwing claims did not");
        assert.equal((await lows())[0].data.suite, "default");

        // The admin switches to xwing: every user with a device is told (no deviceId: all its devices); warnings re-armed.
        const noDevice = await makeUser(server, owner);
        assert.equal((await owner.api("PUT", "/e2ee/config", { suite: "xwing" })).status, 200);
        const switched = (await lows()).filter((i: { data: { reason?: string } }) => i.data.reason === "suite_changed");
        assert.deepEqual(
          switched.map((i: { data: unknown }) => i.data),
          [{ suite: "xwing", reason: "suite_changed" }],
        );
        const noDeviceItems = (await noDevice.api("GET", "/stream?after=0&limit=200")).body.items.filter((i: { kind: string }) => i.kind === "keypackages.low");
        assert.equal(noDeviceItems.length, 0, "users without a bound device are not told");
        assert.equal((await owner.api("PUT", "/e2ee/config", { suite: "xwing" })).status, 200);
        assert.equal((await lows()).length, 2, "setting the same suite again posts nothing");
        const c2 = (await member.api("GET", "/e2ee/key-packages/count")).body;
        assert.equal(c2.suite, "xwing");
        assert.equal(c2.available, 0);
        // A claim without a suite now takes xwing (the last-resort one) and warns for xwing.
        const cx2 = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id] });
        assert.equal(cx2.body.keyPackages[0].suite, "xwing");
        assert.equal(cx2.body.keyPackages[0].lastResort, true);
        const after = await lows();
        assert.equal(after.length, 3);
        assert.deepEqual(after[2].data, { deviceId: member.tokens.deviceId, available: 0, suite: "xwing" });
        // The old suite's KeyPackages can still be claimed for an old group.
        const old = await owner.api("POST", "/e2ee/key-packages/claim", { userIds: [member.user.id], suite: "default" });
        assert.equal(old.body.keyPackages[0].suite, "default");
        assert.equal((await lows()).length, 3, "old-suite claims never warn");
      },
      { keyPackageLowWater: 3 },
    ),
  );

  test(`e2ee directories across orgs: 404, nothing leaked or claimed (${dialect})`, { timeout: 60_000 }, () =>
    withServer(dialect, async (server) => {
      const a = await bootstrapOrg(server);
      const aMember = await makeUser(server, a);
      const id = await identityOf(aMember);
      await register(aMember, id);
      await upload(aMember, id, 2, false);
      const b = await makeOrg(server);
      const claim = await b.api("POST", "/e2ee/key-packages/claim", { userIds: [aMember.user.id] });
      assert.equal(claim.status, 404);
      assert.equal(claim.body.code, "not_found");
      assert.equal((await b.api("GET", `/e2ee/bindings?userIds=${aMember.user.id}`)).status, 404);
      const byDevice = await b.api("GET", `/e2ee/bindings?deviceIds=${aMember.tokens.deviceId}`);
      assert.deepEqual(byDevice.body, { bindings: [] });
      assert.equal((await aMember.api("GET", "/e2ee/key-packages/count")).body.available, 2, "nothing claimed");
      // B's own device cannot bind a credential naming A's org.
      const forged = await b.api("PUT", "/e2ee/device-identity", {
        suite: "default",
        signaturePublicKey: b64(id.signaturePublicKey),
        credential: b64(id.credentialIdentity),
      });
      assert.equal(forged.status, 400);
    }),
  );
}
