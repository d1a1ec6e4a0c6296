import { test } from "node:test";
import assert from "node:assert/strict";
import { contentTypes, decode, encode, mlsMessageDecoder, mlsMessageEncoder, wireformats, type MlsMessage } from "ts-mls";
import { createContentCommitSignature } from "../../../node_modules/ts-mls/dist/src/framedContent.js";
import { signGroupInfo } from "../../../node_modules/ts-mls/dist/src/groupInfo.js";
import { addMembers, confirmPending, createGroup, groupInfoOf, joinExternal, selfUpdate } from "./index.ts";
import {
  checkCommitLeadsTo,
  externalRemoveProposal,
  generateServerSigningKey,
  groupInfoExternalSenders,
  isE2eeError,
  verifyGroupInfo,
  verifyPublicMessage,
} from "./public.ts";
import { signaturePrivateKey } from "./identity.ts";
import { suiteImpl, type SuiteName } from "./suites.ts";
import { device, ORG } from "./test-devices.ts";

async function expectCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => (isE2eeError(e) && e.code === code ? true : assert.fail(`expected ${code}, got ${String(e)}`)));
}

const msgOf = (b: Uint8Array) => decode(mlsMessageDecoder, b)!;
const bytesOf = (m: MlsMessage) => encode(mlsMessageEncoder, m);

/** Alice's group with the server as external sender; Bob added (epoch 1). */
async function setup(suite: SuiteName) {
  const server = generateServerSigningKey();
  const a = await device("alice", "a1", suite);
  const b = await device("bob", "b1", suite);
  const ga = await createGroup(a.identity, "chan1", { externalSenders: [{ signaturePublicKey: server.publicKey, orgId: ORG }] });
  const gi0 = await groupInfoOf(ga);
  const add = await addMembers(ga, [b.keyPackage]);
  return { server, a, b, ga, gi0, add };
}

for (const suite of ["default", "xwing"] as const) {
  test(`a valid commit and its GroupInfo verify; external senders are listed (${suite})`, async () => {
    const { server, a, ga, gi0, add } = await setup(suite);
    const prev = await verifyGroupInfo(gi0);
    assert.equal(prev.epoch, 0n);
    assert.equal(prev.suite, suite);
    assert.deepEqual(
      prev.members.map((m) => m.leafIndex),
      [0],
    );
    assert.deepEqual(prev.externalSenders, [{ index: 0, signaturePublicKey: server.publicKey, credentialIdentity: { kind: "server", orgId: ORG } }]);
    assert.deepEqual(groupInfoExternalSenders(gi0), prev.externalSenders);
    const v = await verifyPublicMessage(add.commit, prev);
    assert.equal(v.contentType, "commit");
    assert.deepEqual(v.sender, { type: "member", leafIndex: 0 });
    assert.deepEqual(v.signaturePublicKey, a.identity.signaturePublicKey);
    // The same check from the stored bytes (no handle).
    assert.equal((await verifyPublicMessage(add.commit, gi0)).contentType, "commit");
    const next = await verifyGroupInfo(add.groupInfo, { suite });
    assert.equal(next.epoch, 1n);
    assert.equal(next.signer, 0);
    assert.equal(next.members.length, 2);
    assert.equal(next.externalSenders.length, 1);
    checkCommitLeadsTo(v, next);
    // A GroupInfo of another commit from the same epoch does not follow from this one.
    confirmPending(ga);
    const up = await selfUpdate(ga);
    await expectCode(verifyPublicMessage(up.commit, prev), "invalid_message"); // epoch 1 commit against epoch 0
    assert.throws(
      () => checkCommitLeadsTo(v, prev),
      (e: unknown) => isE2eeError(e, "invalid_message"),
    );
  });
}

test("a commit with a flipped signature byte, or signed by another key, does not verify", async () => {
  const { b, gi0, add } = await setup("default");
  const prev = await verifyGroupInfo(gi0);
  const m = msgOf(add.commit);
  assert.ok(m.wireformat === wireformats.mls_public_message);
  const sig = m.publicMessage.auth.signature;
  const flipped = sig.slice();
  flipped[5]! ^= 0x01;
  const tampered = bytesOf({ ...m, publicMessage: { ...m.publicMessage, auth: { ...m.publicMessage.auth, signature: flipped } } });
  await expectCode(verifyPublicMessage(tampered, prev), "invalid_message");
  // Bob (no leaf in epoch 0) signs the same content claiming Alice's leaf: the server must refuse it.
  const c = m.publicMessage.content;
  assert.ok(c.contentType === contentTypes.commit);
  const msg0 = msgOf(gi0);
  assert.ok(msg0.wireformat === wireformats.mls_group_info);
  const impl = await suiteImpl("default");
  const forged = await createContentCommitSignature(
    msg0.groupInfo.groupContext,
    "mls_public_message",
    c.commit,
    c.sender,
    c.authenticatedData,
    signaturePrivateKey(b.identity),
    impl.signature,
  );
  const other = bytesOf({ ...m, publicMessage: { ...m.publicMessage, auth: { ...m.publicMessage.auth, signature: forged.signature } } });
  await expectCode(verifyPublicMessage(other, prev), "invalid_message");
});

test("a GroupInfo with a tampered signature, or signed by someone else, does not verify", async () => {
  const { b, gi0, add } = await setup("default");
  const m = msgOf(add.groupInfo);
  assert.ok(m.wireformat === wireformats.mls_group_info);
  const sig = m.groupInfo.signature.slice();
  sig[0]! ^= 0x80;
  await expectCode(verifyGroupInfo(bytesOf({ ...m, groupInfo: { ...m.groupInfo, signature: sig } })), "invalid_message");
  // Bob re-signs Alice's GroupInfo (signer leaf 0 = Alice): his key is not the signer's.
  const impl = await suiteImpl("default");
  const resigned = await signGroupInfo(m.groupInfo, signaturePrivateKey(b.identity), impl.signature);
  await expectCode(verifyGroupInfo(bytesOf({ ...m, groupInfo: resigned })), "invalid_message");
  // ...and naming Bob's leaf as signer verifies the signature, but not as the committer.
  const asBob = await signGroupInfo({ ...m.groupInfo, signer: 1 }, signaturePrivateKey(b.identity), impl.signature);
  const vb = await verifyGroupInfo(bytesOf({ ...m, groupInfo: asBob }));
  const v = await verifyPublicMessage(add.commit, await verifyGroupInfo(gi0));
  checkCommitLeadsTo(v, await verifyGroupInfo(add.groupInfo));
  assert.throws(
    () => checkCommitLeadsTo(v, vb),
    (e: unknown) => isE2eeError(e, "invalid_message"),
  );
  // A not-a-GroupInfo is bad input.
  await expectCode(verifyGroupInfo(add.commit), "bad_input");
});

test("an external commit verifies with the joiner's path key; the server's external proposal with its sender index", async () => {
  const { server, ga } = await setup("default");
  confirmPending(ga);
  const gi1 = await groupInfoOf(ga);
  const prev = await verifyGroupInfo(gi1);
  const c = await device("carol", "c1");
  const join = await joinExternal(c.identity, gi1);
  const v = await verifyPublicMessage(join.commit, prev);
  assert.deepEqual(v.sender, { type: "new_member_commit" });
  assert.deepEqual(v.signaturePublicKey, c.identity.signaturePublicKey);
  checkCommitLeadsTo(v, await verifyGroupInfo(join.groupInfo));

  const p = await externalRemoveProposal({ serverPrivateKey: server.privateKey, suite: "default", orgId: ORG, groupId: "chan1", epoch: 1n, leafIndex: 1 });
  const vp = await verifyPublicMessage(p.message, prev);
  assert.equal(vp.contentType, "proposal");
  assert.deepEqual(vp.sender, { type: "external", senderIndex: 0 });
  assert.equal(vp.next, undefined);
  // A wrong sender index names no external sender; another key does not verify.
  const wrongIndex = await externalRemoveProposal({
    serverPrivateKey: server.privateKey,
    suite: "default",
    orgId: ORG,
    groupId: "chan1",
    epoch: 1n,
    leafIndex: 1,
    senderIndex: 1,
  });
  await expectCode(verifyPublicMessage(wrongIndex.message, prev), "invalid_message");
  const impostor = await externalRemoveProposal({
    serverPrivateKey: generateServerSigningKey().privateKey,
    suite: "default",
    orgId: ORG,
    groupId: "chan1",
    epoch: 1n,
    leafIndex: 1,
  });
  await expectCode(verifyPublicMessage(impostor.message, prev), "invalid_message");
});
