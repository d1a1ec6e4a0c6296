/**
 * The PKCS#11 KMS against a real SoftHSM2 token (testing/softhsm.ts: its own temp token
 * dir): sealing through the HSM, the KEK's attributes in the token, the one clear error
 * for each way the HSM can be unusable at boot, a move from the key file to the HSM
 * (old values keep opening, `kms1:` included), and a KEK rotation and retirement in the
 * token, and the order of KEKs made within one millisecond. On SQLite: the database side runs on both dialects in kms.test.ts and
 * modules/keys/rotation.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import pkcs11js from "pkcs11js";
import { createTestDatabase, startTestServer, type TestDatabase } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeOrg } from "../../testing/factories.ts";
import { createTestHsm, SOFTHSM_MODULE, type TestHsm } from "../../testing/softhsm.ts";
import { kekStatus, retireKeks, rotateKek } from "../../modules/keys/index.ts";
import { kekIdOf } from "./key-file.ts";
import { createPkcs11Ring, kekTemplate } from "./pkcs11.ts";

let hsm: TestHsm;
before(() => {
  hsm = createTestHsm();
});
after(() => hsm.cleanup());

/** `fn` in a logged-in session with the test token, as another application (same process: the module is shared). */
function withToken<T>(flags: number, fn: (p11: pkcs11js.PKCS11, s: Buffer) => T): T {
  const p11 = new pkcs11js.PKCS11();
  p11.load(SOFTHSM_MODULE);
  try {
    p11.C_Initialize();
  } catch {
    // Initialised already by the server's KMS in this process.
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === hsm.label)!;
  const s = p11.C_OpenSession(slot, flags);
  try {
    try {
      p11.C_Login(s, pkcs11js.CKU_USER, hsm.pin);
    } catch {
      // Logged in already (login state is per application).
    }
    return fn(p11, s);
  } finally {
    p11.C_CloseSession(s);
  }
}

/** The token's KEK objects as another application sees them. */
function tokenKeks(): Array<{ id: string; sensitive: boolean; extractable: boolean; value: string }> {
  return withToken(pkcs11js.CKF_SERIAL_SESSION, (p11, s) => {
    p11.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: "parley-kek" },
    ]);
    const objects = p11.C_FindObjects(s, 100);
    p11.C_FindObjectsFinal(s);
    return objects.map((o) => {
      const [id, sensitive, extractable] = p11.C_GetAttributeValue(s, o, [
        { type: pkcs11js.CKA_ID },
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_EXTRACTABLE },
      ]);
      let value: string;
      try {
        p11.C_GetAttributeValue(s, o, [{ type: pkcs11js.CKA_VALUE }]);
        value = "readable";
      } catch (err) {
        value = (err as Error).message;
      }
      return { id: `p11:${id!.value.toString("hex")}`, sensitive: sensitive!.value[0] === 1, extractable: extractable!.value[0] === 1, value };
    });
  });
}

test("secrets seal through the SoftHSM2 token; the KEK is generated there, sensitive and not extractable", { timeout: 30_000 }, async () => {
  const database = await createTestDatabase("sqlite");
  try {
    const s1 = await startTestServer({ database, config: hsm.config });
    let sealed: string, orgId: string;
    try {
      assert.equal(s1.deps.kms.kind, "pkcs11");
      const owner = await bootstrapOrg(s1);
      orgId = owner.org.id;
      sealed = await s1.deps.kms.seal(new TextEncoder().encode("ldap bind password"), "ctx/hsm", { orgId });
      assert.match(sealed, /^kms2:dk_[A-Za-z0-9_-]+:/);
      assert.equal(new TextDecoder().decode(await s1.deps.kms.open(sealed, "ctx/hsm", { orgId })), "ldap bind password");
      const keks = tokenKeks();
      assert.equal(keks.length, 1, "one KEK generated in the token (PARLEY_PKCS11_CREATE_KEY)");
      assert.deepEqual([keks[0]!.sensitive, keks[0]!.extractable, keks[0]!.value], [true, false, "CKR_ATTRIBUTE_SENSITIVE"]);
      const rows = await s1.deps.db.selectFrom("kms_data_keys").select(["scope", "kek_id"]).execute();
      assert.deepEqual(rows.map((r) => r.scope).sort(), [orgId, "server"].sort());
      assert.ok(
        rows.every((r) => r.kek_id === keks[0]!.id),
        "every data key is wrapped by the HSM's KEK",
      );
      assert.equal((await s1.deps.kms.keks.list()).length, 1);
    } finally {
      await s1.close();
    }
    // A node started later unwraps the same data keys through the token; no second KEK is made.
    const s2 = await startTestServer({ database, config: { ...hsm.config, pkcs11CreateKey: false } });
    try {
      assert.equal(new TextDecoder().decode(await s2.deps.kms.open(sealed, "ctx/hsm", { orgId })), "ldap bind password");
      await assert.rejects(s2.deps.kms.open(sealed.slice(0, -4) + "AAAA", "ctx/hsm", { orgId }), /does not authenticate/);
      assert.equal(tokenKeks().length, 1);
    } finally {
      await s2.close();
    }
  } finally {
    await database.drop();
  }
});

test("an unusable HSM at boot: the server refuses to start with one error naming the module, token or slot", { timeout: 30_000 }, async () => {
  const database = await createTestDatabase("sqlite");
  const start = (config: Record<string, unknown>) => startTestServer({ database, config: { ...hsm.config, ...config } });
  const refused = async (config: Record<string, unknown>, re: RegExp) => {
    const err = (await start(config).then(
      (s) => s.close().then(() => assert.fail(`the server started with ${JSON.stringify(config)}`)),
      (e: unknown) => e,
    )) as Error;
    assert.equal(err.name, "KmsError", String(err));
    assert.match(err.message, re);
    assert.ok(!err.message.includes("\n"), "one line");
    assert.ok(!err.message.includes(hsm.pin), "the PIN is never in a message");
  };
  try {
    await refused(
      { pkcs11Module: "/nonexistent/libvendor-pkcs11.so" },
      /cannot load the PKCS#11 module \/nonexistent\/libvendor-pkcs11\.so \(PARLEY_PKCS11_MODULE\).*SoftHSM2: /,
    );
    await refused(
      { pkcs11Token: "no-such-token" },
      new RegExp(
        `no token labelled "no-such-token" \\(PARLEY_PKCS11_TOKEN\\) in the PKCS#11 module ${SOFTHSM_MODULE}, which has "${hsm.label}" \\(slot ${hsm.slot}\\)`,
      ),
    );
    await refused(
      { pkcs11Token: undefined, pkcs11Slot: 4242 },
      /no token in slot 4242 \(PARLEY_PKCS11_SLOT\) in the PKCS#11 module .*softhsm2-util --init-token/,
    );
    await refused(
      { pkcs11Pin: "000000" },
      new RegExp(`PKCS#11 token "${hsm.label}" \\(slot ${hsm.slot}, module .*\\) refused the PIN \\(CKR_PIN_INCORRECT\\): correct PARLEY_PKCS11_PIN`),
    );
    await refused(
      { pkcs11CreateKey: false, pkcs11KeyLabel: "no-such-kek" },
      /holds no AES key labelled "no-such-kek" \(PARLEY_PKCS11_KEY_LABEL\): set PARLEY_PKCS11_CREATE_KEY=true/,
    );
    await refused({ pkcs11Module: undefined }, /PARLEY_KMS=pkcs11 needs PARLEY_PKCS11_MODULE/);
    await refused(
      { pkcs11Pin: undefined, pkcs11PinFile: path.join(database.dataDir, "missing-pin") },
      /cannot read the PKCS#11 PIN file .*missing-pin \(PARLEY_PKCS11_PIN_FILE\)/,
    );
    // The slot id works as well as the label, and a PIN file as well as the PIN.
    const pinFile = path.join(database.dataDir, "pin");
    fs.writeFileSync(pinFile, `${hsm.pin}\n`, { mode: 0o600 });
    const ok = await start({ pkcs11Token: undefined, pkcs11Slot: hsm.slot, pkcs11Pin: undefined, pkcs11PinFile: pinFile });
    await ok.close();
  } finally {
    await database.drop();
  }
});

/** A value in the format sealed before per-org data keys (`kms1:`), under the key file's key. */
function kms1Seal(master: Buffer, plaintext: string, context: string): string {
  const gcm = (key: Buffer, data: Buffer, aad: string) => {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", key, iv);
    c.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([c.update(data), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64");
  };
  const dek = crypto.randomBytes(32);
  return `kms1:${JSON.stringify({ kek: kekIdOf(master), dek: gcm(master, dek, `parley-kms-dek/1|${context}`), data: gcm(dek, Buffer.from(plaintext), `parley-kms-data/1|${context}`) })}`;
}

test(
  "moving from the key file to the HSM: old values (kms1 too) keep opening; rotate re-wraps into the token; retire destroys the old HSM key",
  { timeout: 40_000 },
  async () => {
    const database: TestDatabase = await createTestDatabase("sqlite");
    try {
      const s1 = await startTestServer({ database });
      const owner = await bootstrapOrg(s1);
      const orgId = owner.org.id;
      const master = fs.readFileSync(path.join(database.dataDir, "master.key"));
      const old = kms1Seal(master, "totp secret", "user_mfa/usr_1");
      const v2 = await s1.deps.kms.seal(new TextEncoder().encode("client secret"), "sso/idp_1", { orgId });
      // The JWT key sealed in the old format, as a database from before per-org keys has it.
      const jwt = await s1.deps.db.selectFrom("server_keys").selectAll().where("purpose", "=", "jwt").executeTakeFirstOrThrow();
      const jwk = new TextDecoder().decode(await s1.deps.kms.open(jwt.private_jwk, `server_keys/${jwt.id}/jwt`));
      await s1.deps.db
        .updateTable("server_keys")
        .set({ private_jwk: kms1Seal(master, jwk, `server_keys/${jwt.id}/jwt`) })
        .where("id", "=", jwt.id)
        .execute();
      await s1.deps.db.insertInto("meta").values({ key: "legacy-sealed", value: old }).execute();
      await s1.close();

      const s2 = await startTestServer({ database, config: hsm.config });
      try {
        assert.equal(new TextDecoder().decode(await s2.deps.kms.open(old, "user_mfa/usr_1", { orgId })), "totp secret", "kms1 still opens");
        assert.equal(new TextDecoder().decode(await s2.deps.kms.open(v2, "sso/idp_1", { orgId })), "client secret");
        assert.equal(
          (await call(s2, "GET", "/me", undefined, { authorization: `Bearer ${owner.accessToken}` })).status,
          200,
          "tokens signed before the move verify",
        );
        const resealed = await s2.deps.db.selectFrom("server_keys").select("private_jwk").where("id", "=", jwt.id).executeTakeFirstOrThrow();
        assert.match(resealed.private_jwk, /^kms2:/, "the JWT key was sealed again in the new format on load");
        // A new org's data key is wrapped in the HSM; the older ones still by the key file.
        const other = await makeOrg(s2);
        const status = await kekStatus(s2.deps);
        const fileKek = kekIdOf(master);
        const hsmKek = status.find((k) => k.active)!;
        assert.equal(hsmKek.source, "pkcs11");
        assert.equal(hsmKek.dataKeys, 1, `only ${other.org.slug}'s data key so far`);
        assert.deepEqual(
          status.filter((k) => k.id === fileKek).map((k) => [k.source, k.dataKeys, k.legacyValues]),
          [["key-file", 2, 1]],
        );

        const r = await rotateKek(s2.deps);
        assert.equal(r.rewrapped, 3, "the server's, the first org's and the second org's data keys");
        const after1 = await kekStatus(s2.deps);
        assert.deepEqual(
          after1.map((k) => [k.id === r.kek, k.active, k.source, k.dataKeys]),
          [
            [true, true, "pkcs11", 3],
            [false, false, "pkcs11", 0],
            [false, false, "key-file", 0],
          ],
        );
        assert.equal(tokenKeks().length, 2);
        // The old HSM key goes; the key file's stays (kms1 values still need it, and it is the operator's file).
        const retired = await retireKeks(s2.deps);
        assert.deepEqual(retired.retired, [hsmKek.id]);
        assert.deepEqual(
          retired.kept.map((k) => k.id),
          [fileKek],
        );
        assert.deepEqual(
          tokenKeks().map((k) => k.id),
          [r.kek],
        );
        assert.equal(new TextDecoder().decode(await s2.deps.kms.open(v2, "sso/idp_1", { orgId })), "client secret");
        const actions = await s2.deps.db
          .selectFrom("audit_log")
          .select("action")
          .where("org_id", "=", orgId)
          .where("action", "like", "kms.%")
          .orderBy("seq")
          .execute();
        assert.deepEqual(
          actions.map((a) => a.action),
          ["kms.kek_rotated", "kms.kek_retired"],
        );
      } finally {
        await s2.close();
      }
      // A node started after the rotation unwraps everything through the new HSM key alone.
      fs.rmSync(path.join(database.dataDir, "master.key"));
      const s3 = await startTestServer({ database, config: hsm.config });
      try {
        assert.equal(new TextDecoder().decode(await s3.deps.kms.open(v2, "sso/idp_1", { orgId })), "client secret");
        await assert.rejects(
          s3.deps.kms.open(old, "user_mfa/usr_1", { orgId }),
          /sealed with master key .* does not hold: restore the original master key file/,
        );
      } finally {
        await s3.close();
      }
    } finally {
      await database.drop();
    }
  },
);

test("a KEK made in the same millisecond as the last one, or with the clock set back, is the active one", { timeout: 30_000 }, async () => {
  // Its own label: the other tests count the "parley-kek" objects in the token.
  const ring = await createPkcs11Ring({ module: SOFTHSM_MODULE, token: hsm.label, pin: hsm.pin, keyLabel: "parley-kek-order", createKey: true });
  const realNow = Date.now;
  try {
    const made = [(await ring.active()).id];
    // Twenty rotations in one millisecond (the clock held still: a real one moves on while the
    // ring lists the token), then more as the clock runs.
    const at = realNow();
    for (let i = 0; i < 25; i++) {
      Date.now = i < 20 ? () => at : realNow;
      const kek = await ring.create();
      assert.equal((await ring.active()).id, kek.id, `rotation ${i + 1}: the new key is active`);
      made.push(kek.id);
    }
    Date.now = () => realNow() - 86_400_000; // the clock a day behind
    const late = await ring.create();
    assert.equal((await ring.active()).id, late.id, "made with the clock set back, it is still the newest");
    made.push(late.id);
    assert.deepEqual(
      (await ring.list()).map((k) => k.id),
      made.reverse(),
      "newest first, in the order they were made",
    );
  } finally {
    Date.now = realNow;
    // The active one stays, under its own label, in the test's temporary token.
    for (const k of await ring.list()) if (!k.active) await ring.destroy(k.id);
    ring.close();
  }
});

/** A KEK made in the token as the HSM's own tools might, with a CKA_ID of their choosing. */
function toolMadeKek(label: string, id: Buffer): void {
  withToken(pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION, (p11, s) =>
    p11.C_GenerateKey(s, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, kekTemplate(pkcs11js, label, id)),
  );
}

test("a KEK made after one the HSM's tools gave a high ID (ff) is the active one", { timeout: 30_000 }, async () => {
  toolMadeKek("parley-kek-tools", Buffer.from([0xff]));
  const ring = await createPkcs11Ring({ module: SOFTHSM_MODULE, token: hsm.label, pin: hsm.pin, keyLabel: "parley-kek-tools", createKey: false });
  try {
    assert.equal((await ring.active()).id, "p11:ff", "the tools' key is used as it is");
    const first = await ring.create();
    assert.equal((await ring.active()).id, first.id, "a rotation makes the new key active");
    const second = await ring.create();
    assert.equal((await ring.active()).id, second.id, "and the next one");
    assert.deepEqual(
      (await ring.list()).map((k) => k.id),
      [second.id, first.id, "p11:ff"],
    );
  } finally {
    for (const k of await ring.list()) if (!k.active) await ring.destroy(k.id);
    ring.close();
  }
});
