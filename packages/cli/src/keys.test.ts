/**
 * `parley keys status | rotate | retire` with the real binary on a real SQLite database
 * while a server runs on it (in this process): a KEK rotation with progress, retiring
 * the old KEK, a JWT rotation the running server picks up, a bad flag, and a rotation
 * against a SoftHSM2 token. (The server's side runs on SQLite and PostgreSQL in
 * modules/keys/rotation.test.ts; an unusable HSM at boot in platform/kms/pkcs11.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createTestDatabase, startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, call, makeOrg } from "@parley/server/testing/factories";
import { createTestHsm } from "@parley/server/testing/softhsm";
import { parley } from "./testing/spawn-cli.ts";

test("keys rotate, status and retire on a running server's database", { timeout: 180_000 }, async () => {
  const database = await createTestDatabase("sqlite");
  const server = await startTestServer({ database, config: { keyRefreshSeconds: 1 } });
  try {
    const owner = await bootstrapOrg(server);
    await server.deps.kms.seal(new TextEncoder().encode("org secret"), "ctx", { orgId: owner.org.id }); // the org's data key
    const keys = (args: string[], env?: Record<string, string>) => parley(["keys", ...args, "--data-dir", database.dataDir, "--json"], env ? { env } : {});
    const before = (await server.deps.kms.keks.active()).id;

    const rotated = await keys(["rotate"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const r = rotated.json();
    assert.deepEqual([r.previous, r.rewrapped], [[before], 2]);
    assert.match(rotated.stderr, /re-wrapped 2\/2 data keys/);

    const status = (await keys(["status"])).json();
    assert.equal(status.kms, "key-file");
    assert.deepEqual(
      status.keks.map((k: { id: string; active: boolean; dataKeys: number }) => [k.id, k.active, k.dataKeys]),
      [
        [r.kek, true, 2],
        [before, false, 0],
      ],
    );
    assert.ok(status.signingKeys.some((k: { purpose: string; state: string }) => k.purpose === "jwt" && k.state === "active"));

    const retired = await keys(["retire"]);
    assert.equal(retired.code, 0, retired.stderr);
    assert.deepEqual(retired.json().retired, [before]);

    const jwt = await keys(["rotate", "--signing", "jwt", "--overlap", "600"]);
    assert.equal(jwt.code, 0, jwt.stderr);
    const newKid = jwt.json().id as string;
    // The running server publishes both keys and still takes the tokens it issued before.
    const deadline = Date.now() + 5000;
    let kids: string[] = [];
    while (kids.length < 2 && Date.now() < deadline) {
      kids = ((await call(server, "GET", "/auth/jwks")).body.keys as Array<{ kid: string }>).map((k) => k.kid);
      if (kids.length < 2) await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(kids.includes(newKid) && kids.length === 2, `JWKS: ${kids.join(", ")}`);
    assert.equal((await owner.api("GET", "/me")).status, 200);
    const actions = await server.deps.db.selectFrom("audit_log").select("action").where("action", "like", "kms.%").orderBy("seq").execute();
    assert.deepEqual(
      actions.map((a) => a.action),
      ["kms.kek_rotated", "kms.kek_retired", "kms.signing_key_rotated"],
    );

    // The directory key: the running server serves both keys, the new one endorsed by the old one.
    const oldDirectory = (await server.deps.kms.key("directory")).id;
    const dir = await keys(["rotate", "--signing", "directory", "--overlap", "3600"]);
    assert.equal(dir.code, 0, dir.stderr);
    assert.deepEqual(dir.json().previous, [oldDirectory]);
    const listed = await (async () => {
      for (const end = Date.now() + 5000; ; await new Promise((res) => setTimeout(res, 200))) {
        const cfg = (await owner.api("GET", "/e2ee/config")).body;
        if (cfg.directoryKey !== undefined && cfg.directoryKeys.at(-1).publicKey === cfg.directoryKey) return cfg;
        if (Date.now() > end) assert.fail("the server does not serve the new directory key");
      }
    })();
    assert.deepEqual(
      listed.directoryKeys.map((k: { id: string; endorsement: { by: string } | null }) => [k.id, k.endorsement?.by ?? null]),
      [
        [oldDirectory, null],
        [dir.json().id, oldDirectory],
      ],
    );
    const after = (await keys(["status"])).json();
    assert.deepEqual(
      after.signingKeys.filter((k: { purpose: string }) => k.purpose === "directory").map((k: { id: string; state: string }) => [k.id, k.state]),
      [
        [oldDirectory, "verifying"],
        [dir.json().id, "active"],
      ],
    );
    assert.equal(after.bindingsToResign, 0);

    const bad = await keys(["rotate", "--signing", "external-sender"]);
    assert.equal(bad.code, 2);
    assert.match(bad.json().error.message, /--signing takes jwt, audit or directory/);
  } finally {
    await server.stop();
  }
});

test("keys rotate against a SoftHSM2 token shared with the running server", { timeout: 180_000 }, async () => {
  const hsm = createTestHsm();
  const database = await createTestDatabase("sqlite");
  const server = await startTestServer({ database, config: hsm.config });
  try {
    const owner = await bootstrapOrg(server);
    await server.deps.kms.seal(new TextEncoder().encode("org secret"), "ctx", { orgId: owner.org.id });
    const before = (await server.deps.kms.keks.active()).id;
    const run = await parley(["keys", "rotate", "--retire-old", "--data-dir", database.dataDir, "--json"], { env: hsm.env });
    assert.equal(run.code, 0, run.stderr);
    const r = run.json();
    assert.match(r.kek, /^p11:[0-9a-f]{16}$/);
    assert.deepEqual([r.previous, r.rewrapped, r.retired], [[before], 2, [before]]);
    // The server sees the token's new KEK (another process made it) and nothing else.
    assert.deepEqual(
      (await server.deps.kms.keks.list()).map((k) => k.id),
      [r.kek],
    );
    // A data key the server makes now (a new org's) is wrapped by the new KEK.
    const other = await makeOrg(server);
    const row = await server.deps.db.selectFrom("kms_data_keys").select("kek_id").where("scope", "=", other.org.id).executeTakeFirstOrThrow();
    assert.equal(row.kek_id, r.kek);
  } finally {
    await server.stop();
    hsm.cleanup();
  }
});
