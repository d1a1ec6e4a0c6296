/**
 * One device identity for both suites (both sign with Ed25519): X-Wing
 * KeyPackages of an identity made under "default" carry the same key, are kept
 * in a FILE key store (their SHA-512 refs once made file names too long), and
 * open a Welcome of an X-Wing group.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EncryptedFileKeyStore } from "./node.ts";
import {
  addMembers,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  generateKeyPackages,
  identityForSuite,
  joinFromWelcome,
  listKeyPackageRefs,
  loadDeviceIdentity,
  members,
  parseKeyPackage,
} from "./index.ts";

test("identityForSuite: same key, X-Wing KeyPackages in a file key store, Welcome opens", async () => {
  const dir = await mkdtemp(join(tmpdir(), "parley-suite-id-"));
  try {
    const ks = await EncryptedFileKeyStore.openWithPassphrase(join(dir, "s"), "pw");
    const base = await createDeviceIdentity({ orgId: "o", userId: "u", deviceId: "d", suite: "default", keyStore: ks });
    const x = identityForSuite(base, "xwing");
    assert.equal(x.suite, "xwing");
    assert.deepEqual(x.signaturePublicKey, base.signaturePublicKey);
    assert.deepEqual(x.credentialIdentity, base.credentialIdentity);
    assert.equal(identityForSuite(base, "default"), base);
    const [kp] = await generateKeyPackages(x, 1);
    const info = await parseKeyPackage(kp!.keyPackage);
    assert.equal(info.suite, "xwing");
    assert.deepEqual(info.signaturePublicKey, base.signaturePublicKey);
    assert.equal((await listKeyPackageRefs(x)).length, 1);
    // The stored identity is still the one it was (no re-creation for another suite).
    assert.equal((await loadDeviceIdentity(ks))?.suite, "default");

    const creator = identityForSuite(await createDeviceIdentity({ orgId: "o", userId: "v", deviceId: "e", suite: "default" }), "xwing");
    const group = await createGroup(creator, "00000000000000000000000001");
    const bundle = await addMembers(group, [kp!.keyPackage]);
    confirmPending(group);
    const joined = await joinFromWelcome(x, bundle.welcome!, {}, { groupInfo: bundle.groupInfo });
    assert.equal(joined.suite, "xwing");
    assert.deepEqual(
      members(joined)
        .map((m) => m.deviceId)
        .sort(),
      ["d", "e"],
    );
    assert.equal((await listKeyPackageRefs(x)).length, 0, "the one-time KeyPackage was consumed");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
