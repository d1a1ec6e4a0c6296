// The checks on each added leaf that ts-mls makes when a commit is built or processed
// (RFC 9420 §7.3 and §12.2): its HPKE key is new to the tree, its signature key belongs to
// no member, and every member lists its credential type. Parley's ts-mls patch makes them
// once per commit instead of once per KeyPackage (issue 7, docs/adr/0005); these tests fail
// if that patch, or a later ts-mls, weakens them. Forged KeyPackages are properly signed, so
// the named defect is their only one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultCredentialTypes } from "ts-mls";
import {
  addMembers,
  confirmPending,
  createGroup,
  encrypt,
  epoch,
  epochAuthenticator,
  generateKeyPackages,
  hasPendingCommit,
  joinFromWelcome,
  members,
  processMessage,
  selfUpdate,
  type Group,
} from "./index.ts";
import { isE2eeError } from "./public.ts";
import { device, makeDirectory } from "./test-devices.ts";
import { utf8 } from "./bytes.ts";
import {
  addProposal,
  doctorOwnTree,
  forgeCommit,
  forgeKeyPackage,
  keyPackageLeafHpkeKey,
  leafHpkeKey,
  parentHpkeKey,
  removeProposal,
} from "./testing/forge.ts";

type Dev = Awaited<ReturnType<typeof device>>;

/** alice (creator), bob and carol in one group, every device joined, plus a directory that knows them. */
async function trio() {
  const dir = makeDirectory();
  const policy = { authorizeLeaf: dir.authorizeLeaf };
  const [a, b, c] = await Promise.all([device("alice", "a1"), device("bob", "b1"), device("carol", "c1")]);
  for (const d of [a, b, c]) dir.register(d.identity);
  const alice = await createGroup(a.identity, "chan1", policy);
  const add = await addMembers(alice, [b.keyPackage, c.keyPackage]);
  confirmPending(alice);
  const bob = await joinFromWelcome(b.identity, add.welcome!, policy, { groupInfo: add.groupInfo });
  const carol = await joinFromWelcome(c.identity, add.welcome!, policy, { groupInfo: add.groupInfo });
  /** A device the directory knows (so Parley's own leaf policy accepts it). */
  const newcomer = async (user: string, id: string): Promise<Dev> => {
    const d = await device(user, id);
    dir.register(d.identity);
    return d;
  };
  return { dir, policy, alice, bob, carol, devs: { a, b, c }, newcomer };
}

/** `addMembers` is refused with invalid_message naming `why`, and the group is unchanged. */
async function refusedAdd(group: Group, keyPackages: Uint8Array[], why: RegExp) {
  const at = epoch(group);
  await assert.rejects(
    addMembers(group, keyPackages),
    (e: unknown) => (isE2eeError(e, "invalid_message") && why.test(e.message)) || assert.fail(`expected ${why}, got ${String(e)}`),
  );
  assert.equal(epoch(group), at);
  assert.equal(hasPendingCommit(group), false);
}

const HPKE_NOT_UNIQUE = /hpke keys not unique/;

test("an added leaf whose HPKE key is a member's leaf key or a parent node's key is refused, also as the only or last Add", async () => {
  const t = await trio();
  // A self-update fills alice's direct path (nodes 1 and 3), so the tree holds parent keys too.
  const upd = await selfUpdate(t.alice);
  confirmPending(t.alice);
  for (const g of [t.bob, t.carol]) await processMessage(g, upd.commit);
  const dave = await t.newcomer("dave", "d1");
  const erin = await t.newcomer("erin", "e1");
  const bobsKey = await forgeKeyPackage(dave.identity, { leafHpkeKey: leafHpkeKey(t.alice, 1) });
  await refusedAdd(t.alice, [bobsKey], HPKE_NOT_UNIQUE);
  await refusedAdd(t.alice, [erin.keyPackage, bobsKey], HPKE_NOT_UNIQUE);
  await refusedAdd(t.alice, [bobsKey, erin.keyPackage], HPKE_NOT_UNIQUE);
  for (const node of [1, 3]) {
    const key = parentHpkeKey(t.alice, node);
    assert.ok(key, `parent node ${node} has a key after the self-update`);
    await refusedAdd(t.alice, [await forgeKeyPackage(dave.identity, { leafHpkeKey: key })], HPKE_NOT_UNIQUE);
  }
  // Control: the same devices with their own keys are added.
  const ok = await addMembers(t.alice, [dave.keyPackage, erin.keyPackage]);
  confirmPending(t.alice);
  assert.equal((await processMessage(t.bob, ok.commit)).kind, "commit");
  assert.equal(members(t.alice).length, 5);
});

test("two added leaves announcing one HPKE key are refused, wherever they sit in the commit", async () => {
  const t = await trio();
  const [erin, frank, gina] = await Promise.all([t.newcomer("erin", "e1"), t.newcomer("frank", "f1"), t.newcomer("gina", "g1")]);
  const erinsKey = await forgeKeyPackage(frank.identity, { leafHpkeKey: keyPackageLeafHpkeKey(erin.keyPackage) });
  await refusedAdd(t.alice, [erin.keyPackage, erinsKey], HPKE_NOT_UNIQUE);
  await refusedAdd(t.alice, [erin.keyPackage, erinsKey, gina.keyPackage], HPKE_NOT_UNIQUE);
  await refusedAdd(t.alice, [erinsKey, gina.keyPackage, erin.keyPackage], HPKE_NOT_UNIQUE);
});

test("a KeyPackage of a member's device, or two of one device, are refused (same signature key) unless the commit removes that member", async () => {
  const t = await trio();
  const [bobAgain] = await generateKeyPackages(t.devs.b.identity, 1);
  await refusedAdd(t.alice, [bobAgain!.keyPackage], /Add proposal for someone already in the group/);
  const dave = await t.newcomer("dave", "d1");
  const [daveAgain] = await generateKeyPackages(dave.identity, 1);
  await refusedAdd(t.alice, [dave.keyPackage, daveAgain!.keyPackage], /multiple Add proposals that contain KeyPackages that represent the same client/);
  await refusedAdd(t.alice, [dave.keyPackage, t.devs.c.keyPackage], /someone already in the group/);
  // ts-mls lets a commit remove a device and add it back (Parley's commit rule does not:
  // it never mixes Removes and Adds, so this is forged past the rule).
  await assert.rejects(forgeCommit(t.alice, { proposals: [removeProposal(2), addProposal(bobAgain!.keyPackage)] }), /someone already in the group/);
  await forgeCommit(t.alice, { proposals: [removeProposal(1), addProposal(bobAgain!.keyPackage)] });
});

test("a leaf whose credential type some member's leaf does not list is refused, also when that member is added by the same commit", async () => {
  const t = await trio();
  const nina = await t.newcomer("nina", "n1");
  const xavier = await t.newcomer("xavier", "x1");
  const basicOnly = await forgeKeyPackage(nina.identity, { credentialTypes: [defaultCredentialTypes.basic] });
  const x509 = await forgeKeyPackage(xavier.identity, {
    credential: { credentialType: defaultCredentialTypes.x509, certificates: [utf8("not a certificate")] },
  });
  // Control: every member lists X.509 (ts-mls's default capabilities), so what refuses this
  // leaf is Parley's authentication service (Basic credentials only), not the check under test.
  await assert.rejects(addMembers(t.alice, [x509]), (e: unknown) => isE2eeError(e, "unauthorized_leaf") || assert.fail(String(e)));
  const unsupported = /LeafNode has credential that is not supported by member of the group/;
  await refusedAdd(t.alice, [basicOnly, x509], unsupported);
  await addMembers(t.alice, [basicOnly]);
  confirmPending(t.alice);
  await refusedAdd(t.alice, [x509], unsupported);
});

test("a tree that already holds a duplicate HPKE or signature key refuses every Add", async () => {
  const t = await trio();
  const dave = await t.newcomer("dave", "d1");
  doctorOwnTree(t.alice, 2, { hpkePublicKey: leafHpkeKey(t.alice, 1) });
  await refusedAdd(t.alice, [dave.keyPackage], HPKE_NOT_UNIQUE);
  const u = await trio();
  doctorOwnTree(u.alice, 2, { signaturePublicKey: u.devs.b.identity.signaturePublicKey });
  await refusedAdd(u.alice, [(await u.newcomer("dave", "d1")).keyPackage], /signature keys not unique/);
});

test("a receiver refuses a commit adding a leaf with a member's HPKE key; nothing is applied", async () => {
  const t = await trio();
  const dave = await t.newcomer("dave", "d1");
  // alice's view of bob's leaf is doctored so that her own check lets the commit through.
  const bobsKey = leafHpkeKey(t.alice, 1);
  doctorOwnTree(t.alice, 1, { hpkePublicKey: keyPackageLeafHpkeKey((await device("bob", "spare")).keyPackage) });
  const forged = await addMembers(t.alice, [await forgeKeyPackage(dave.identity, { leafHpkeKey: bobsKey })]);
  const at = epoch(t.carol);
  await assert.rejects(
    processMessage(t.carol, forged.commit),
    (e: unknown) => (isE2eeError(e, "invalid_message") && HPKE_NOT_UNIQUE.test(e.message)) || assert.fail(String(e)),
  );
  assert.equal(epoch(t.carol), at);
});

test("50 devices are added in one commit: members process it, joiners join, everyone talks", async () => {
  const t = await trio();
  const joiners: Dev[] = [];
  for (let i = 0; i < 50; i++) joiners.push(await t.newcomer(`user${i}`, `dev${i}`));
  const add = await addMembers(
    t.alice,
    joiners.map((j) => j.keyPackage),
  );
  confirmPending(t.alice);
  assert.equal(add.added.length, 50);
  for (const g of [t.bob, t.carol]) assert.equal((await processMessage(g, add.commit)).kind, "commit");
  const first = await joinFromWelcome(joiners[0]!.identity, add.welcome!, t.policy, { groupInfo: add.groupInfo });
  const last = await joinFromWelcome(joiners.at(-1)!.identity, add.welcome!, t.policy, { groupInfo: add.groupInfo });
  const all = [t.alice, t.bob, t.carol, first, last];
  for (const g of all) {
    assert.equal(members(g).length, 53);
    assert.deepEqual(epochAuthenticator(g), epochAuthenticator(t.alice));
  }
  const ct = await encrypt(last, utf8("hello from the last joiner"));
  for (const g of all.slice(0, -1)) assert.equal((await processMessage(g, ct)).kind, "application");
});
