// Welcomes without the ratchet tree (issue 7): the joiner takes the tree from the
// GroupInfo of the Welcome's epoch, and only if it hashes to the Welcome's tree_hash.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultExtensionTypes, encode, mlsMessageEncoder, wireformats, type MlsMessage } from "ts-mls";
import {
  addMembers,
  confirmPending,
  createGroup,
  encrypt,
  epoch,
  groupInfoOf,
  joinFromWelcome,
  processMessage,
  selfUpdate,
  type CommitBundle,
} from "./index.ts";
import { isE2eeError } from "./public.ts";
import { addMembersInternal } from "./commits.ts";
import { equalBytes, fromUtf8, utf8 } from "./bytes.ts";
import { treeLeaves } from "./tree.ts";
import { ratchetTreeFromExtension, treeHashRoot } from "./ts-mls-internal.ts";
import { suiteImpl, type SuiteName } from "./suites.ts";
import { decodeMlsMessage } from "./wire.ts";
import { device, makeDirectory, ORG } from "./test-devices.ts";
import type { LeafCandidate } from "./group-state.ts";

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    if (!isE2eeError(e) || e.code !== code) assert.fail(`expected ${code}, got ${String(e)}`);
    if (message && !message.test(e.message)) assert.fail(`expected a message like ${message}, got "${e.message}"`);
    return true;
  });
}

/** Alice's group adds Bob; `calls` counts the leaf checks Bob's join asks for. */
async function aliceAddsBob(suite: SuiteName = "default", treeInWelcome = false, groupId = "chan-w") {
  const dir = makeDirectory();
  const a = await device("alice", "a1", suite);
  const b = await device("bob", "b1", suite);
  for (const d of [a, b]) dir.register(d.identity);
  const calls: LeafCandidate[] = [];
  const policy = { authorizeLeaf: (l: LeafCandidate) => (calls.push(l), dir.authorizeLeaf(l)) };
  const ga = await createGroup(a.identity, groupId, {
    externalSenders: [{ signaturePublicKey: dir.server.publicKey, orgId: ORG }],
    authorizeLeaf: dir.authorizeLeaf,
  });
  const bundle = await addMembersInternal(ga, [b.keyPackage], { treeInWelcome });
  confirmPending(ga);
  return { a, b, ga, bundle, policy, calls };
}

/** The GroupInfo's ratchet_tree extension data, or undefined. */
function treeOf(groupInfo: Uint8Array): Uint8Array | undefined {
  const m = decodeMlsMessage(groupInfo);
  assert.equal(m.wireformat, wireformats.mls_group_info);
  return m.groupInfo.extensions.find((e) => e.extensionType === defaultExtensionTypes.ratchet_tree)?.extensionData as Uint8Array | undefined;
}

/** The GroupInfo with one byte of a leaf's HPKE key flipped (and, optionally, its own tree_hash made to match). */
async function doctored(groupInfo: Uint8Array, suite: SuiteName, fixOwnTreeHash: boolean): Promise<Uint8Array> {
  const m = decodeMlsMessage(groupInfo) as MlsMessage & { wireformat: typeof wireformats.mls_group_info };
  const gi = m.groupInfo;
  const ext = gi.extensions.find((e) => e.extensionType === defaultExtensionTypes.ratchet_tree)!;
  const tree = (ext.extensionData as Uint8Array).slice();
  const key = treeLeaves(tree)[0]!.encryptionKey;
  const at = Buffer.from(tree).indexOf(Buffer.from(key));
  assert.ok(at > 0);
  tree[at + 3]! ^= 1;
  const extensions = gi.extensions.map((e) => (e === ext ? { ...e, extensionData: tree } : e));
  let groupContext = gi.groupContext;
  if (fixOwnTreeHash) {
    const tree2 = ratchetTreeFromExtension({ ...gi, extensions })!;
    groupContext = { ...groupContext, treeHash: await treeHashRoot(tree2, (await suiteImpl(suite)).hash) };
  }
  return encode(mlsMessageEncoder, { ...m, groupInfo: { ...gi, groupContext, extensions } });
}

async function talks(ga: Awaited<ReturnType<typeof createGroup>>, gb: Awaited<ReturnType<typeof createGroup>>) {
  const r = await processMessage(gb, await encrypt(ga, utf8("hello bob")));
  assert.ok(r.kind === "application" && fromUtf8(r.plaintext) === "hello bob");
}

for (const suite of ["default", "xwing"] as const) {
  test(`a Welcome carries no ratchet tree; the joiner takes it from the bundle's GroupInfo (${suite})`, async () => {
    const { ga, b, bundle, policy } = await aliceAddsBob(suite);
    const withTree = await aliceAddsBob(suite, true);
    assert.ok(treeOf(bundle.groupInfo), "the GroupInfo for the server keeps the tree (external joins, leaf map)");
    assert.ok(bundle.welcome!.length < withTree.bundle.welcome!.length - treeOf(bundle.groupInfo)!.length / 2, "the Welcome is smaller by about the tree");
    const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
    assert.equal(epoch(gb), 1n);
    await talks(ga, gb);
  });
}

test("without a GroupInfo, a Welcome without a tree is refused (bad_input) and the KeyPackage stays for the retry", async () => {
  const { ga, b, bundle, policy, calls } = await aliceAddsBob();
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, policy), "bad_input", /no ratchet tree/);
  assert.equal(calls.length, 0);
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  await talks(ga, gb);
});

test("a Welcome that carries the tree still joins, with or without a GroupInfo (which it then ignores)", async () => {
  const { ga, b, bundle, policy } = await aliceAddsBob("default", true);
  const other = await aliceAddsBob("default", false, "chan-other");
  // Any GroupInfo, even another group's: the Welcome's own tree is the one used.
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: other.bundle.groupInfo });
  await talks(ga, gb);
});

test("the GroupInfo of a later epoch is refused before any leaf is checked", async () => {
  const { ga, b, bundle, policy, calls } = await aliceAddsBob();
  const later: CommitBundle = await selfUpdate(ga);
  confirmPending(ga);
  await expectCode(
    joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: later.groupInfo }),
    "invalid_message",
    /epoch 2; the Welcome joins epoch 1/,
  );
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: await groupInfoOf(ga) }), "invalid_message", /epoch 2/);
  assert.equal(calls.length, 0, "no leaf of a tree that is not the Welcome's reaches the leaf policy");
  // The right one still joins, and the joiner follows the later commit.
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  assert.equal((await processMessage(gb, later.commit)).kind, "commit");
  await talks(ga, gb);
});

test("a doctored tree is refused, even inside a GroupInfo whose own tree_hash was made to match", async () => {
  const { ga, b, bundle, policy, calls } = await aliceAddsBob();
  for (const fix of [false, true]) {
    const bad = await doctored(bundle.groupInfo, "default", fix);
    assert.ok(!equalBytes(treeOf(bad)!, treeOf(bundle.groupInfo)!));
    await expectCode(
      joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bad }),
      "invalid_message",
      /not the one the Welcome's group context names/,
    );
  }
  assert.equal(calls.length, 0);
  await talks(ga, await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo }));
});

test("another group's GroupInfo of the same epoch, a GroupInfo without a tree, or not a GroupInfo are refused", async () => {
  const { b, bundle, policy } = await aliceAddsBob();
  const other = await aliceAddsBob("default", false, "chan-other");
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: other.bundle.groupInfo }), "invalid_message", /another group/);
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.commit }), "bad_input", /not a GroupInfo/);
  const m = decodeMlsMessage(bundle.groupInfo) as MlsMessage & { wireformat: typeof wireformats.mls_group_info };
  const treeless = encode(mlsMessageEncoder, {
    ...m,
    groupInfo: { ...m.groupInfo, extensions: m.groupInfo.extensions.filter((e) => e.extensionType !== defaultExtensionTypes.ratchet_tree) },
  });
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: treeless }), "bad_input", /carries no ratchet tree/);
});

test("addMembers (the public API) builds the Welcome without the tree", async () => {
  const a = await device("alice", "a1");
  const b = await device("bob", "b1");
  const ga = await createGroup(a.identity, "chan-p");
  const bundle = await addMembers(ga, [b.keyPackage]);
  confirmPending(ga);
  await expectCode(joinFromWelcome(b.identity, bundle.welcome!), "bad_input", /no ratchet tree/);
  await talks(ga, await joinFromWelcome(b.identity, bundle.welcome!, {}, { groupInfo: bundle.groupInfo }));
});
