import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { verifyBinding, signBinding } from "@parley/crypto/public";
import { DIALECTS, createTestDatabase, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg } from "../../testing/factories.ts";
import { loadMasterKey, serverMlsKeys, KmsError } from "./index.ts";

test("master key file: created 0600 with 32 bytes; hex accepted; wrong length refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-kms-"));
  try {
    const file = path.join(dir, "sub", "master.key");
    const k = loadMasterKey(file);
    assert.equal(k.length, 32);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadMasterKey(file), k, "second load reads the same key");
    const hex = path.join(dir, "hex.key");
    fs.writeFileSync(hex, `${k.toString("hex")}\n`, { mode: 0o600 });
    assert.deepEqual(loadMasterKey(hex), k);
    const bad = path.join(dir, "bad.key");
    fs.writeFileSync(bad, "short", { mode: 0o600 });
    assert.throws(() => loadMasterKey(bad), KmsError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

for (const dialect of DIALECTS) {
  test(`kms seals server keys in server_keys; nodes with the same key file share them (${dialect})`, { timeout: 60_000 }, async () => {
    const database = await createTestDatabase(dialect);
    try {
      const s1 = await startTestServer({ database });
      let dirKey: Uint8Array, extKey: Uint8Array;
      try {
        const keys = await serverMlsKeys(s1.deps);
        dirKey = keys.directory.publicKey;
        extKey = keys.externalSender.publicKey;
        assert.equal(dirKey.length, 32);
        assert.notDeepEqual(dirKey, extKey, "one key per purpose");
        // The raw private key works with the crypto/public helpers and sign() agrees with it.
        const fields = { orgId: "org_a", userId: "usr_b", deviceId: "dev_c", signaturePublicKey: new Uint8Array(32).fill(7) };
        assert.ok(verifyBinding(signBinding(keys.directory.privateKey, fields), dirKey));
        const data = Buffer.from("hello");
        const pub = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(dirKey).toString("base64url") }, format: "jwk" });
        assert.ok(crypto.verify(null, data, pub, keys.directory.sign(data)));
        // Nothing private is stored in the clear.
        const rows = await s1.deps.db.selectFrom("server_keys").selectAll().execute();
        assert.deepEqual(rows.map((r) => r.purpose).sort(), ["audit", "directory", "external-sender", "jwt"]);
        for (const r of rows) {
          assert.ok(s1.deps.kms.isSealed(r.private_jwk), `${r.purpose} private key is sealed`);
          assert.ok(!r.private_jwk.includes(Buffer.from(keys.directory.privateKey).toString("base64url")));
          assert.ok(!r.private_jwk.includes('"d"'));
        }
        // A sealed value is bound to its context.
        const sealed = await s1.deps.kms.seal(new Uint8Array([1, 2, 3]), "ctx/a");
        assert.deepEqual(await s1.deps.kms.open(sealed, "ctx/a"), new Uint8Array([1, 2, 3]));
        await assert.rejects(s1.deps.kms.open(sealed, "ctx/b"), KmsError);
        await bootstrapOrg(s1); // issues a JWT with the sealed key
      } finally {
        await s1.close();
      }
      // A second node (same database and key file) loads the same keys.
      const s2 = await startTestServer({ database });
      try {
        const keys = await serverMlsKeys(s2.deps);
        assert.deepEqual(keys.directory.publicKey, dirKey);
        assert.deepEqual(keys.externalSender.publicKey, extKey);
        assert.equal((await s2.deps.db.selectFrom("server_keys").select("id").execute()).length, 4);
      } finally {
        await s2.close();
      }
      // A node with another master key refuses to start with a clear message.
      fs.writeFileSync(path.join(database.dataDir, "master.key"), crypto.randomBytes(32), { mode: 0o600 });
      await assert.rejects(startTestServer({ database }), /restore the original master key file/);
    } finally {
      await database.drop();
    }
  });
}

test("a plaintext JWT key from before the KMS is sealed in place on load", { timeout: 30_000 }, async () => {
  const database = await createTestDatabase("sqlite");
  try {
    const s1 = await startTestServer({ database });
    const owner = await bootstrapOrg(s1);
    const row = await s1.deps.db.selectFrom("server_keys").selectAll().where("purpose", "=", "jwt").executeTakeFirstOrThrow();
    const plain = new TextDecoder().decode(await s1.deps.kms.open(row.private_jwk, `server_keys/${row.id}/jwt`));
    await s1.deps.db.updateTable("server_keys").set({ private_jwk: plain }).where("id", "=", row.id).execute();
    await s1.close();
    const s2 = await startTestServer({ database });
    try {
      const after = await s2.deps.db.selectFrom("server_keys").selectAll().where("id", "=", row.id).executeTakeFirstOrThrow();
      assert.ok(s2.deps.kms.isSealed(after.private_jwk));
      const me = await fetch(`${s2.url}/api/v1/me`, { headers: { authorization: `Bearer ${owner.accessToken}` } });
      assert.equal(me.status, 200, "tokens signed before the migration still verify");
    } finally {
      await s2.close();
    }
  } finally {
    await database.drop();
  }
});
