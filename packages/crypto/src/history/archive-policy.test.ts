import test from "node:test";
import assert from "node:assert/strict";
import {
  archiveCovers,
  archiveKeyFingerprint,
  archiveKeysFromSecret,
  encodeArchivePolicy,
  generateArchiveSecret,
  signArchivePolicy,
  verifyArchivePolicy,
  type ArchivePolicyFields,
} from "./archive-policy.ts";
import { E2eeError } from "../errors.ts";

function policy(keys = archiveKeysFromSecret(generateArchiveSecret())): { p: ArchivePolicyFields; keys: typeof keys } {
  return {
    keys,
    p: {
      orgId: "org_a",
      version: 1,
      name: "Acme archive",
      archiveKey: keys.archive.publicKey,
      signerKey: keys.signer.publicKey,
      scope: { kinds: ["public"], labels: ["regulated"], channelIds: ["ch_b", "ch_a"] },
      issuedAt: 1_700_000_000_000,
    },
  };
}

test("an archive secret yields the same keys every time; different secrets differ", () => {
  const s = generateArchiveSecret();
  assert.deepEqual(archiveKeysFromSecret(s), archiveKeysFromSecret(s));
  assert.notDeepEqual(archiveKeysFromSecret(s).archive.publicKey, archiveKeysFromSecret(generateArchiveSecret()).archive.publicKey);
  assert.throws(() => archiveKeysFromSecret(new Uint8Array(31)), E2eeError);
});

test("a signed policy verifies; any changed field, another signer or a bad signature does not", () => {
  const { p, keys } = policy();
  const sig = signArchivePolicy(p, keys.signer.privateKey);
  assert.ok(verifyArchivePolicy(p, sig));
  // Scope lists are a set: order and duplicates do not change the signed bytes.
  assert.ok(verifyArchivePolicy({ ...p, scope: { ...p.scope, channelIds: ["ch_a", "ch_b", "ch_a"] } }, sig));
  for (const changed of [
    { ...p, version: 2 },
    { ...p, orgId: "org_b" },
    { ...p, name: "x" },
    { ...p, issuedAt: p.issuedAt + 1 },
    { ...p, scope: { ...p.scope, kinds: [] } },
    { ...p, scope: { ...p.scope, labels: ["regulated", "more"] } },
    { ...p, archiveKey: archiveKeysFromSecret(generateArchiveSecret()).archive.publicKey },
  ]) {
    assert.equal(verifyArchivePolicy(changed, sig), false);
  }
  const other = archiveKeysFromSecret(generateArchiveSecret());
  assert.throws(() => signArchivePolicy(p, other.signer.privateKey), E2eeError, "signing names its own key");
  const forged = signArchivePolicy({ ...p, signerKey: other.signer.publicKey }, other.signer.privateKey);
  assert.equal(verifyArchivePolicy(p, forged), false);
  assert.equal(verifyArchivePolicy(p, sig.subarray(0, 63)), false);
  assert.throws(() => encodeArchivePolicy({ ...p, version: 0 }), E2eeError);
});

test("coverage by kind, label or id; fingerprints are stable", () => {
  const { p } = policy();
  assert.ok(archiveCovers(p.scope, { id: "ch_x", kind: "public", labels: [] }));
  assert.ok(archiveCovers(p.scope, { id: "ch_x", kind: "private", labels: ["regulated"] }));
  assert.ok(archiveCovers(p.scope, { id: "ch_a", kind: "dm", labels: [] }));
  assert.equal(archiveCovers(p.scope, { id: "ch_x", kind: "private", labels: ["other"] }), false);
  assert.match(archiveKeyFingerprint(p.signerKey), /^([0-9a-f]{4} ){4}[0-9a-f]{4}$/);
});
