/**
 * The compliance archive secret kept by an HSM instead of shares (issue 11, ADR 0008): a real
 * SoftHSM2 token wraps it at `archive init --hsm-out`; `archive scope --hsm-wrapped` opens it
 * only through that token; another token, or a missing PIN, is refused with a clear error.
 * SQLite only (the server side is dialect-tested in modules/compliance/archive.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { startTestServer, TEST_SETUP_TOKEN } from "@parley/server/testing/harness";
import { createTestHsm } from "@parley/server/testing/softhsm";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("archive secret wrapped by an HSM (sqlite, SoftHSM2)", { timeout: 300_000 }, async (t) => {
  const server = await startTestServer({ dialect: "sqlite" });
  const dir = tempDir("archive-hsm");
  const hsm = createTestHsm({ label: "officer-token" });
  t.after(async () => {
    await server.stop();
    hsm.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const token = {
    SOFTHSM2_CONF: hsm.env.SOFTHSM2_CONF!,
    PARLEY_PKCS11_MODULE: hsm.env.PARLEY_PKCS11_MODULE!,
    PARLEY_PKCS11_TOKEN: hsm.label,
    PARLEY_PKCS11_PIN: hsm.pin,
  };
  const owner = (args: string[], env: Record<string, string> = {}) => parley(["--profile-dir", path.join(dir, "owner"), ...args], { env });
  const setup = await owner(
    ["setup", "--server", server.url, "--token", TEST_SETUP_TOKEN, "--org", "acme", "--org-name", "Acme", "--username", "owner", "--display-name", "Owner"],
    { PARLEY_PASSWORD: "olga-secret-pw-123" },
  );
  assert.equal(setup.code, 0, setup.stderr);
  const wrapped = path.join(dir, "archive-secret.hsm");
  const init = await owner(["compliance", "archive", "init", "--name", "Acme archive", "--hsm-out", wrapped, "--kinds", "private"], token);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, /wrapped by your HSM's archive key/);
  const file = JSON.parse(fs.readFileSync(wrapped, "utf8")) as { kek: string; wrapped: string };
  assert.match(file.kek, /^p11:/);
  assert.equal(fs.statSync(wrapped).mode & 0o777, 0o600);

  const scoped = await owner(["compliance", "archive", "scope", "--hsm-wrapped", wrapped, "--kinds", "private,group_dm"], token);
  assert.equal(scoped.code, 0, scoped.stderr);
  assert.match(scoped.stdout, /Stored archive policy version 2/);

  // Without the PIN, or with another token, the secret stays shut; nothing is stored.
  const noPin = await owner(["compliance", "archive", "scope", "--hsm-wrapped", wrapped, "--kinds", "public"], { ...token, PARLEY_PKCS11_PIN: "" });
  assert.equal(noPin.code, 1, noPin.stdout);
  const other = createTestHsm({ label: "other-token" });
  try {
    const elsewhere = await owner(["compliance", "archive", "scope", "--hsm-wrapped", wrapped, "--kinds", "public"], {
      ...token,
      SOFTHSM2_CONF: other.env.SOFTHSM2_CONF!,
      PARLEY_PKCS11_TOKEN: other.label,
      PARLEY_PKCS11_PIN: other.pin,
    });
    assert.equal(elsewhere.code, 1, elsewhere.stdout);
    assert.match(elsewhere.stderr, /"other-token".*holds no AES key labelled "parley-archive"/);
    assert.match(elsewhere.stderr, /use the HSM token the archive secret was wrapped with/);
  } finally {
    other.cleanup();
  }
  const shown = await owner(["compliance", "archive"]);
  assert.match(shown.stdout, /policy version 2/);
});
