import { test } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import {
  approvalCode,
  approvalCommitment,
  checkApprovalCommitment,
  generateApprovalKeyPair,
  generateLockerKeyPair,
  generateUserIdentity,
  openFromDevice,
  sealToDevice,
  signDeviceApproval,
  verifyDeviceApproval,
} from "../index.ts";
import { isE2eeError } from "../public.ts";
import { concat, fromHex, utf8 } from "../bytes.ts";

const fields = { orgId: "org1", userId: "alice", deviceId: "a2", deviceSignaturePublicKey: ed25519.getPublicKey(ed25519.utils.randomSecretKey()) };

test("a device approval verifies for exactly the device it names", () => {
  const id = generateUserIdentity();
  const approval = signDeviceApproval(id.privateKey, fields);
  assert.ok(verifyDeviceApproval(id.publicKey, approval, fields));
  assert.ok(!verifyDeviceApproval(generateUserIdentity().publicKey, approval, fields), "another identity key");
  assert.ok(!verifyDeviceApproval(id.publicKey, approval, { ...fields, deviceId: "a3" }), "another device id");
  assert.ok(!verifyDeviceApproval(id.publicKey, approval, { ...fields, userId: "bob" }), "another user");
  const otherKey = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
  assert.ok(!verifyDeviceApproval(id.publicKey, approval, { ...fields, deviceSignaturePublicKey: otherKey }), "another signature key");
  assert.ok(!verifyDeviceApproval(id.publicKey, { ...approval, deviceId: "a3" }, { ...fields, deviceId: "a3" }), "an approval edited to name another device");
  const forged = signDeviceApproval(generateUserIdentity().privateKey, fields);
  assert.ok(!verifyDeviceApproval(id.publicKey, forged, fields), "signed by another user's key");
  assert.ok(!verifyDeviceApproval(id.publicKey, { ...approval, signature: approval.signature.slice(1) }, fields), "malformed signature");
});

test("known answer: the approval's signed bytes", () => {
  const seed = fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  const key = new Uint8Array(32).fill(7);
  const f = { orgId: "org1", userId: "alice", deviceId: "a2", deviceSignaturePublicKey: key };
  const lp = (b: Uint8Array) => concat(Uint8Array.of(0, b.length), b);
  const message = concat(lp(utf8("parley device approval v1")), lp(utf8("org1")), lp(utf8("alice")), lp(utf8("a2")), lp(key));
  assert.deepEqual(signDeviceApproval(seed, f).signature, ed25519.sign(message, seed));
});

test("approval codes: six digits, the same on both devices, different with another key or device", () => {
  const a = generateApprovalKeyPair();
  const b = generateApprovalKeyPair();
  const code = approvalCode(a.publicKey, b.publicKey, "a1", "a2");
  assert.match(code, /^\d{6}$/);
  assert.equal(approvalCode(b.publicKey, a.publicKey, "a2", "a1"), code, "order-independent");
  // Fixed keys for the inequalities: six digits from random keys agree one time in a million.
  const [k1, k2, k3] = [1, 2, 3].map((n) => new Uint8Array(32).fill(n)) as [Uint8Array, Uint8Array, Uint8Array];
  const fixed = approvalCode(k1, k2, "a1", "a2");
  assert.notEqual(approvalCode(k3, k2, "a1", "a2"), fixed, "a swapped key");
  assert.notEqual(approvalCode(k1, k2, "a1", "a3"), fixed, "another device id");
  assert.notEqual(approvalCode(k2, k1, "a1", "a2"), fixed, "keys swapped between the devices");
  assert.equal(approvalCode(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), "a1", "a2"), KAT_CODE, "known answer");

  const commitment = approvalCommitment(b.publicKey, "a2");
  assert.ok(checkApprovalCommitment(commitment, b.publicKey, "a2"));
  assert.ok(!checkApprovalCommitment(commitment, a.publicKey, "a2"), "a key other than the committed one");
  assert.ok(!checkApprovalCommitment(commitment, b.publicKey, "a3"));
});
// Checked against an independent Python computation of the same definition.
const KAT_CODE = "642148";

test("hand-off: the private keys reach the new device from the approving device only", async () => {
  const approver = generateApprovalKeyPair();
  const fresh = generateApprovalKeyPair();
  const secrets = { lockerPrivateKey: generateLockerKeyPair().privateKey, identityPrivateKey: generateUserIdentity().privateKey };
  const ctx = { orgId: "org1", userId: "alice", fromDeviceId: "a1", toDeviceId: "a2" };
  const sealed = await sealToDevice(approver, fresh.publicKey, secrets, ctx);
  assert.deepEqual(await openFromDevice(fresh.privateKey, approver.publicKey, sealed, ctx), secrets);
  const failed = (e: unknown) => isE2eeError(e, "handoff_open_failed");
  await assert.rejects(openFromDevice(generateApprovalKeyPair().privateKey, approver.publicKey, sealed, ctx), failed, "another ephemeral key");
  await assert.rejects(openFromDevice(fresh.privateKey, approver.publicKey, sealed, { ...ctx, toDeviceId: "a3" }), failed, "another context");
  // A relay that knows only public keys seals its own secrets to the new device: refused.
  const relay = generateApprovalKeyPair();
  const fake = await sealToDevice(relay, fresh.publicKey, secrets, ctx);
  await assert.rejects(openFromDevice(fresh.privateKey, approver.publicKey, fake, ctx), failed, "not sealed by the approving device");
  const bad = sealed.slice();
  bad[bad.length - 1]! ^= 1;
  await assert.rejects(openFromDevice(fresh.privateKey, approver.publicKey, bad, ctx), failed, "changed bytes");
});
