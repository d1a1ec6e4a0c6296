import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { verifyBinding, signBinding } from "@parley/crypto/public";
import { DIALECTS, createTestDatabase, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg } from "../../testing/factories.ts";
import { loadKeyFile, serverMlsKeys, KmsError } from "./index.ts";
import { kekIdOf } from "./key-file.ts";

test("key file: created 0600 with 32 bytes; hex accepted; several lines are several keys; junk refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-kms-"));
  try {
    const file = path.join(dir, "sub", "master.key");
    const [k] = loadKeyFile(file, { create: true }) as [Buffer];
    assert.equal(k.length, 32);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(loadKeyFile(file), [k], "second load reads the same key");
    const hex = path.join(dir, "hex.key");
    fs.writeFileSync(hex, `${k.toString("hex")}\n`, { mode: 0o600 });
    assert.deepEqual(loadKeyFile(hex), [k]);
    const two = crypto.randomBytes(32);
    const several = path.join(dir, "several.key");
    fs.writeFileSync(several, `# comment\n${two.toString("hex")}\n\n${k.toString("base64")}\n`, { mode: 0o600 });
    assert.deepEqual(loadKeyFile(several), [two, k], "one key per line, the first first");
    const bad = path.join(dir, "bad.key");
    fs.writeFileSync(bad, "short", { mode: 0o600 });
    assert.throws(() => loadKeyFile(bad), /line 1 is not one/);
    assert.throws(() => loadKeyFile(path.join(dir, "missing.key")), KmsError, "not created unless asked");
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
      await assert.rejects(startTestServer({ database }), /which key file .* does not hold: restore that key/);
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

const bytes = (s: string) => new TextEncoder().encode(s);

for (const dialect of DIALECTS) {
  test(
    `per-org data keys: orgs are isolated, a key made in a rolled-back transaction is not reused, shredding an org's keys crypto-shreds it on every node (${dialect})`,
    { timeout: 60_000 },
    async () => {
      const database = await createTestDatabase(dialect);
      try {
        const s1 = await startTestServer({ database, config: { keyRefreshSeconds: 1 } });
        const s2 = await startTestServer({ database, config: { keyRefreshSeconds: 1 } });
        try {
          const a = await bootstrapOrg(s1);
          const b = await makeOrg(s1);
          const kms = s1.deps.kms;
          const sealedA = await kms.seal(bytes("org a's bind password"), "ldap/bind", { orgId: a.org.id });
          assert.match(sealedA, /^kms2:dk_/);
          assert.deepEqual(await kms.open(sealedA, "ldap/bind", { orgId: a.org.id }), bytes("org a's bind password"));
          await assert.rejects(kms.open(sealedA, "ldap/bind", { orgId: b.org.id }), /ldap\/bind: sealed for another org/);
          await assert.rejects(kms.open(sealedA, "ldap/bind"), /sealed for another org, not for server/);
          await assert.rejects(kms.open(sealedA, "ldap/other", { orgId: a.org.id }), /does not authenticate/);
          const serverWide = await kms.seal(bytes("mail"), "mail.send");
          await assert.rejects(kms.open(serverWide, "mail.send", { orgId: a.org.id }), /sealed for the server/);
          const scopes = (await s1.deps.db.selectFrom("kms_data_keys").select("scope").execute()).map((r) => r.scope);
          assert.deepEqual([...scopes].sort(), [a.org.id, b.org.id, "server"].sort(), "one data key per org plus the server's");
          // A value in the format from before per-org data keys (kms1: its own data key, wrapped by the key file) still opens.
          const master = fs.readFileSync(path.join(database.dataDir, "master.key"));
          const gcm = (key: Buffer, data: Buffer, aad: string) => {
            const iv = crypto.randomBytes(12);
            const c = crypto.createCipheriv("aes-256-gcm", key, iv);
            c.setAAD(Buffer.from(aad));
            const ct = Buffer.concat([c.update(data), c.final()]);
            return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64");
          };
          const dek = crypto.randomBytes(32);
          const v1 = `kms1:${JSON.stringify({ kek: kekIdOf(master), dek: gcm(master, dek, "parley-kms-dek/1|user_mfa/u"), data: gcm(dek, Buffer.from("old"), "parley-kms-data/1|user_mfa/u") })}`;
          assert.ok(kms.isSealed(v1) && kms.isLegacy(v1));
          assert.deepEqual(await kms.open(v1, "user_mfa/u", { orgId: a.org.id }), bytes("old"));
          await assert.rejects(kms.open(v1, "user_mfa/other"), /does not authenticate/);
          // The second node (started before org a existed) opens org a's value; it now caches org a's key.
          assert.deepEqual(await s2.deps.kms.open(sealedA, "ldap/bind", { orgId: a.org.id }), bytes("org a's bind password"));

          // A data key first made inside a transaction that rolls back is forgotten, not reused.
          const orgC = "org_rolled_back";
          await assert.rejects(
            s1.deps.db.transaction().execute(async (tx) => {
              const v = await kms.seal(bytes("y"), "ctx", { orgId: orgC, db: tx });
              assert.deepEqual(await kms.open(v, "ctx", { orgId: orgC, db: tx }), bytes("y"));
              throw new Error("roll back");
            }),
            /roll back/,
          );
          const v2 = await kms.seal(bytes("z"), "ctx", { orgId: orgC });
          const cRows = await s1.deps.db.selectFrom("kms_data_keys").select("id").where("scope", "=", orgC).execute();
          assert.equal(cRows.length, 1);
          assert.ok(v2.startsWith(`kms2:${cRows[0]!.id}:`), "sealed under the committed key");
          assert.deepEqual(await s2.deps.kms.open(v2, "ctx", { orgId: orgC }), bytes("z"));

          // Crypto-shredding org a: its data key row goes; s1 forgets at once, s2 within PARLEY_KEY_REFRESH_SECONDS.
          assert.equal(await kms.shredOrg(a.org.id), 1);
          await assert.rejects(kms.open(sealedA, "ldap/bind", { orgId: a.org.id }), /no longer exists: what it sealed was crypto-shredded/);
          const deadline = Date.now() + 5000;
          for (;;) {
            const r = await s2.deps.kms.open(sealedA, "ldap/bind", { orgId: a.org.id }).then(
              () => "opened",
              (e: Error) => e.message,
            );
            if (r !== "opened") {
              assert.match(r, /crypto-shredded/);
              break;
            }
            assert.ok(Date.now() < deadline, "the second node still opens org a's value after 5 s");
            await new Promise((res) => setTimeout(res, 200));
          }
          assert.deepEqual(await kms.open(v2, "ctx", { orgId: orgC }), bytes("z"), "other orgs are untouched");
        } finally {
          await s2.close();
          await s1.close();
        }
      } finally {
        await database.drop();
      }
    },
  );
}
