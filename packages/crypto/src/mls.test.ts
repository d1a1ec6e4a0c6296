import { test } from "node:test";
import assert from "node:assert/strict";
import {
  addMembers,
  commitPendingProposals,
  confirmPending,
  createGroup,
  discardPending,
  encrypt,
  epoch,
  epochAuthenticator,
  exportGroupState,
  groupInfoOf,
  hasPendingProposals,
  importGroupState,
  isActive,
  joinExternal,
  joinFromWelcome,
  members,
  processMessage,
  removeMembers,
  selfUpdate,
  setLeafPolicy,
  generateKeyPackages,
  type Group,
} from "./index.ts";
import { externalRemoveProposal, groupInfoMembers, inspectMlsMessage, isE2eeError, parseKeyPackage, signBinding, verifyBinding } from "./public.ts";
import { device, makeDirectory, ORG } from "./test-devices.ts";
import { utf8 } from "./bytes.ts";
import type { SuiteName } from "./suites.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function expectCode(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: unknown) => (isE2eeError(e) && e.code === code ? true : assert.fail(`expected ${code}, got ${String(e)}`)));
}

/** Alice creates a group and adds Bob (and optionally Carol) in one commit. */
async function threeDevices(suite: SuiteName = "default") {
  const dir = makeDirectory();
  const a = await device("alice", "a1", suite);
  const b = await device("bob", "b1", suite);
  const c = await device("carol", "c1", suite);
  for (const d of [a, b, c]) dir.register(d.identity);
  const policy = { authorizeLeaf: dir.authorizeLeaf };
  const ga = await createGroup(a.identity, "chan1", { externalSenders: [{ signaturePublicKey: dir.server.publicKey, orgId: ORG }], ...policy });
  const bundle = await addMembers(ga, [b.keyPackage, c.keyPackage]);
  assert.equal(epoch(ga), 0n, "creating a commit does not move the group");
  confirmPending(ga);
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  const gc = await joinFromWelcome(c.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  return { dir, a, b, c, ga, gb, gc, policy, bundle };
}

async function roundTrip(from: Group, to: Group[], msg: string) {
  const ct = await encrypt(from, utf8(msg));
  for (const g of to) {
    const r = await processMessage(g, ct);
    assert.equal(r.kind, "application");
    if (r.kind === "application") assert.equal(text(r.plaintext), msg);
  }
  return ct;
}

for (const suite of ["default", "xwing"] as const) {
  test(`three devices exchange messages (${suite})`, async () => {
    const { ga, gb, gc, bundle } = await threeDevices(suite);
    assert.equal(bundle.added.length, 2);
    assert.deepEqual(epochAuthenticator(ga), epochAuthenticator(gb));
    assert.deepEqual(epochAuthenticator(ga), epochAuthenticator(gc));
    const ct = await encrypt(gb, utf8("hi from bob"));
    const r = await processMessage(ga, ct);
    assert.ok(r.kind === "application");
    assert.deepEqual(r.sender, { leafIndex: 1, userId: "bob", deviceId: "b1" });
    await roundTrip(gc, [ga, gb], "hi from carol");
    assert.deepEqual(
      members(gb).map((m) => m.userId),
      ["alice", "bob", "carol"],
    );
  });
}

// ts-mls 2.0.0-rc.10 gave a commit with exactly one Remove no update path, so the
// removed member could derive the next epoch. patches/ts-mls+2.0.0-rc.10.patch applies
// the upstream fix (commit ff827dc, released in rc.11); this test guards it.
test("removed member cannot decrypt later messages; commit reports removal", async () => {
  const { ga, gb, gc } = await threeDevices();
  const bundle = await removeMembers(ga, [{ deviceId: "c1" }]);
  assert.deepEqual(
    bundle.removed.map((m) => m.deviceId),
    ["c1"],
  );
  confirmPending(ga);
  const rb = await processMessage(gb, bundle.commit);
  assert.ok(rb.kind === "commit" && rb.removed[0]?.deviceId === "c1");
  const rc = await processMessage(gc, bundle.commit);
  assert.ok(rc.kind === "commit" && rc.removedSelf);
  assert.equal(isActive(gc), false);
  const ct = await roundTrip(ga, [gb], "after removal");
  await assert.rejects(processMessage(gc, ct), (e: unknown) => isE2eeError(e));
});

test("concurrent commits: loser discards, re-syncs, retries; all end in the same epoch", async () => {
  const { ga, gb, gc, a, dir, policy } = await threeDevices();
  const d = await device("dave", "d1");
  dir.register(d.identity);
  const fromA = await selfUpdate(ga);
  const fromB = await addMembers(gb, [d.keyPackage]);
  // The server accepts A's commit (first for epoch 1); B gets stale_epoch.
  confirmPending(ga);
  discardPending(gb);
  for (const g of [gb, gc]) assert.equal((await processMessage(g, fromA.commit)).kind, "commit");
  const retry = await addMembers(gb, [d.keyPackage]);
  assert.equal(retry.epoch, 3n);
  assert.ok(fromB.epoch === 2n);
  // Echo of B's own commit confirms it.
  const own = await processMessage(gb, retry.commit);
  assert.ok(own.kind === "commit" && own.ownCommit);
  for (const g of [ga, gc]) await processMessage(g, retry.commit);
  const gd = await joinFromWelcome(d.identity, retry.welcome!, policy, { groupInfo: retry.groupInfo });
  for (const g of [ga, gb, gc, gd]) assert.equal(epoch(g), 3n);
  await roundTrip(gd, [ga, gb, gc], "dave here");
  await roundTrip(ga, [gb, gc, gd], "welcome dave");
  assert.ok(a);
});

test("a stale pending commit is dropped when another member's commit arrives", async () => {
  const { ga, gb } = await threeDevices();
  await selfUpdate(gb); // never confirmed
  const winner = await selfUpdate(ga);
  confirmPending(ga);
  const r = await processMessage(gb, winner.commit);
  assert.ok(r.kind === "commit" && !r.ownCommit);
  assert.equal(epoch(gb), 2n);
});

test("external join by a user's new device, tree checked by authorizeLeaf", async () => {
  const { ga, gb, gc, dir, policy } = await threeDevices();
  const b2 = await device("bob", "b2");
  dir.register(b2.identity);
  const gi = await groupInfoOf(ga);
  const { commit, group: gb2 } = await joinExternal(b2.identity, gi, policy);
  const info = await inspectMlsMessage(commit);
  assert.equal(info.sender?.type, "new_member_commit");
  assert.ok(info.joiner?.identity.kind === "device" && info.joiner.identity.deviceId === "b2");
  for (const g of [ga, gb, gc]) {
    const r = await processMessage(g, commit);
    assert.ok(r.kind === "commit" && r.added[0]?.deviceId === "b2");
  }
  await roundTrip(gb2, [ga, gb, gc], "new device");
});

test("server external Remove proposal committed by a member", async () => {
  const { ga, gb, gc, dir } = await threeDevices();
  const leaves = groupInfoMembers(await groupInfoOf(ga));
  const carol = leaves.find((l) => l.identity.kind === "device" && l.identity.userId === "carol")!;
  const prop = await externalRemoveProposal({
    serverPrivateKey: dir.server.privateKey,
    suite: "default",
    orgId: ORG,
    groupId: "chan1",
    epoch: epoch(ga),
    leafIndex: carol.leafIndex,
  });
  for (const g of [ga, gb, gc]) {
    const r = await processMessage(g, prop.message);
    assert.ok(r.kind === "proposal" && r.external && r.proposals[0]?.type === "remove");
  }
  assert.ok(hasPendingProposals(gb));
  const bundle = await commitPendingProposals(gb);
  const info = await inspectMlsMessage(bundle.commit);
  assert.deepEqual(info.proposalRefs, [prop.proposalRefHex], "the server can tell its proposal was committed");
  confirmPending(gb);
  await processMessage(ga, bundle.commit);
  const rc = await processMessage(gc, bundle.commit);
  assert.ok(rc.kind === "commit" && rc.removedSelf);
  await roundTrip(gb, [ga], "carol is gone");
});

test("tampered, replayed and future-epoch messages", async () => {
  const { ga, gb } = await threeDevices();
  const ct = await encrypt(ga, utf8("once"));
  const bad = ct.slice();
  bad[bad.length - 5]! ^= 1;
  await expectCode(processMessage(gb, bad), "invalid_message");
  assert.equal((await processMessage(gb, ct)).kind, "application");
  // ts-mls deletes a generation's key once used: the same message again is a replay.
  await expectCode(processMessage(gb, ct), "replay");
  const up = await selfUpdate(ga);
  confirmPending(ga);
  const future = await encrypt(ga, utf8("from the future"));
  await expectCode(processMessage(gb, future), "future_epoch");
  await processMessage(gb, up.commit);
  const r = await processMessage(gb, future);
  assert.ok(r.kind === "application" && text(r.plaintext) === "from the future");
});

test("a commit adding a leaf refused by authorizeLeaf is rejected and not applied", async () => {
  const { ga, gb, policy } = await threeDevices();
  const mallory = await device("mallory", "m1"); // not in the directory
  // The committer's own policy refuses it first…
  await expectCode(addMembers(ga, [mallory.keyPackage]), "unauthorized_leaf");
  // …and a committer without the check (malicious or buggy) is caught by the receivers.
  setLeafPolicy(ga, {});
  const bundle = await addMembers(ga, [mallory.keyPackage]);
  await expectCode(processMessage(gb, bundle.commit, policy), "unauthorized_leaf");
  assert.equal(epoch(gb), 1n);
  await roundTrip(gb, [], "still usable");
});

test("a Welcome into a tree with an unbound leaf is refused", async () => {
  const dir = makeDirectory();
  const a = await device("alice", "a1");
  const m = await device("mallory", "m1");
  const b = await device("bob", "b1");
  dir.register(a.identity);
  dir.register(b.identity);
  const ga = await createGroup(a.identity, "chan2");
  const bundle = await addMembers(ga, [m.keyPackage, b.keyPackage]);
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, { authorizeLeaf: dir.authorizeLeaf }, { groupInfo: bundle.groupInfo }), "unauthorized_leaf");
});

test("forged directory binding is rejected", () => {
  const dir = makeDirectory();
  const other = makeDirectory();
  const fields = { orgId: ORG, userId: "bob", deviceId: "b1", signaturePublicKey: new Uint8Array(32).fill(7) };
  const good = signBinding(dir.server.privateKey, fields);
  assert.equal(verifyBinding(good, dir.server.publicKey), true);
  assert.equal(verifyBinding(signBinding(other.server.privateKey, fields), dir.server.publicKey), false);
  assert.equal(verifyBinding({ ...good, deviceId: "b2" }, dir.server.publicKey), false);
  assert.equal(verifyBinding({ ...good, signaturePublicKey: new Uint8Array(32).fill(8) }, dir.server.publicKey), false);
});

test("state export/import round trip keeps working", async () => {
  const { ga, gb, b } = await threeDevices();
  const saved = exportGroupState(gb);
  const gb2 = await importGroupState(b.identity, saved);
  assert.equal(epoch(gb2), epoch(gb));
  await roundTrip(ga, [gb2], "after restore");
});

test("KeyPackages: parse/verify for the server, last-resort survives a join", async () => {
  const { identity } = await device("erin", "e1");
  const [lr] = await generateKeyPackages(identity, 1, { lastResort: true });
  const info = await parseKeyPackage(lr!.keyPackage);
  assert.equal(info.refHex, lr!.refHex);
  assert.deepEqual(info.identity, { kind: "device", orgId: ORG, userId: "erin", deviceId: "e1" });
  assert.deepEqual(info.signaturePublicKey, identity.signaturePublicKey);
  assert.equal(info.suite, "default");
  const forged = lr!.keyPackage.slice();
  forged[forged.length - 3]! ^= 1;
  await assert.rejects(parseKeyPackage(forged), (e: unknown) => isE2eeError(e));
  const a = await device("alice", "a1");
  const g = await createGroup(a.identity, "c");
  const bundle = await addMembers(g, [lr!.keyPackage]);
  confirmPending(g);
  await joinFromWelcome(identity, bundle.welcome!, {}, { groupInfo: bundle.groupInfo });
  assert.ok(await identity.keyStore.get(`kp/${lr!.refHex}`), "last-resort KeyPackage is kept");
  const w = await inspectMlsMessage(bundle.welcome!);
  assert.deepEqual(w.welcomeFor, [lr!.refHex]);
  const c = await inspectMlsMessage(bundle.commit);
  assert.equal(c.adds[0]?.keyPackageRefHex, lr!.refHex);
});

test("a leaf check that throws (directory unreachable) is 'unavailable', changes nothing, and the same commit applies once it answers", async () => {
  const { ga, gb, dir } = await threeDevices();
  const d = await device("dave", "d1");
  dir.register(d.identity);
  const bundle = await addMembers(ga, [d.keyPackage]);
  confirmPending(ga);
  setLeafPolicy(gb, {
    authorizeLeaf: () => {
      throw new Error("fetch failed");
    },
  });
  await expectCode(processMessage(gb, bundle.commit), "unavailable");
  assert.equal(epoch(gb), 1n, "nothing applied");
  setLeafPolicy(gb, { authorizeLeaf: dir.authorizeLeaf });
  assert.equal((await processMessage(gb, bundle.commit)).kind, "commit");
  assert.deepEqual(epochAuthenticator(ga), epochAuthenticator(gb));
});

// createCommit snapshots the epoch's secret tree into the new state's retained epochs. Messages
// decrypted while the commit waits for the server spend (and zero) ratchet secrets that snapshot
// still points at, so later messages of that epoch failed to decrypt after the commit was confirmed.
test("messages of the old epoch still decrypt after a commit that waited while others were decrypted", async () => {
  const { ga, gb, dir } = await threeDevices();
  const d = await device("dave", "d1");
  dir.register(d.identity);
  await selfUpdate(ga);
  for (const m of ["while pending 1", "while pending 2"]) await roundTrip(gb, [ga], m);
  confirmPending(ga);
  for (const m of ["after confirm 1", "after confirm 2"]) await roundTrip(gb, [ga], m);
});

test("saved group states name their MLS engine: this engine's and pre-engine (PGS1) states load; another engine's is engine_mismatch", async () => {
  const { ga, a, policy } = await threeDevices();
  const saved = exportGroupState(ga);
  assert.equal(new TextDecoder().decode(saved.subarray(0, 4)), "PGS2");
  assert.equal(epoch(await importGroupState(a.identity, saved, policy)), 1n);
  const body = saved.subarray(5 + saved[4]!);
  const legacy = new Uint8Array([...utf8("PGS1"), ...body]);
  assert.equal(epoch(await importGroupState(a.identity, legacy, policy)), 1n);
  const other = utf8("ts-mls@2.1.0");
  const foreign = new Uint8Array([...utf8("PGS2"), other.length, ...other, ...body]);
  await expectCode(importGroupState(a.identity, foreign, policy), "engine_mismatch");
});
