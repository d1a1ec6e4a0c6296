// Regression tests for Parley's commit rules (commit-rules.ts): a removed device never
// opens the UpdatePath of a later commit, across the flows that remove and then add
// (revoke-then-add, kick-then-invite, leave-then-join), and receivers refuse handshakes
// that break the rules rc.10 does not check.
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultProposalTypes } from "ts-mls";
import {
  addMembers,
  commitPendingProposals,
  confirmPending,
  createGroup,
  encrypt,
  epoch,
  epochAuthenticator,
  exportGroupState,
  groupInfoOf,
  hasPendingProposals,
  joinExternal,
  joinFromWelcome,
  members,
  processMessage,
  selfUpdate,
  type CommitBundle,
  type Group,
} from "./index.ts";
import { externalRemoveProposal, isE2eeError } from "./public.ts";
import { device, makeDirectory, ORG } from "./test-devices.ts";
import { utf8 } from "./bytes.ts";
import { heldPrivateKeys, openUpdatePath } from "./testing/update-path.ts";
import { addProposal, forgeCommit, forgeMemberProposal, leafHpkeKey } from "./testing/forge.ts";

type Dev = Awaited<ReturnType<typeof device>>;

/** A group of the named devices (first one creates it), every device joined. */
async function makeGroup(names: [string, string][]) {
  const dir = makeDirectory();
  const devs: Dev[] = [];
  for (const [u, d] of names) {
    const x = await device(u, d);
    dir.register(x.identity);
    devs.push(x);
  }
  const policy = { authorizeLeaf: dir.authorizeLeaf };
  const first = await createGroup(devs[0]!.identity, "chan1", { externalSenders: [{ signaturePublicKey: dir.server.publicKey, orgId: ORG }], ...policy });
  const groups = new Map<string, Group>([[names[0]![1], first]]);
  const bundle = await addMembers(
    first,
    devs.slice(1).map((d) => d.keyPackage),
  );
  confirmPending(first);
  for (const d of devs.slice(1)) groups.set(d.identity.deviceId, await joinFromWelcome(d.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo }));
  return { dir, policy, groups, first };
}
type G = Awaited<ReturnType<typeof makeGroup>>;

/** The server proposes removing `deviceId`'s leaf; every member processes the proposal. */
async function serverRemove(g: G, deviceId: string): Promise<void> {
  const leaf = members(g.first).find((m) => m.deviceId === deviceId)!.leafIndex;
  const prop = await externalRemoveProposal({
    serverPrivateKey: g.dir.server.privateKey,
    suite: "default",
    orgId: ORG,
    groupId: "chan1",
    epoch: epoch(g.first),
    leafIndex: leaf,
  });
  for (const grp of g.groups.values()) await processMessage(grp, prop.message);
}

/** A commit as the server would see it: the GroupInfo before it, the bundle, applied by every member. */
interface Applied {
  before: Uint8Array;
  bundle: CommitBundle;
}
async function apply(g: G, committer: string, build: (grp: Group) => Promise<CommitBundle>): Promise<Applied> {
  const grp = g.groups.get(committer)!;
  const before = await groupInfoOf(grp);
  const bundle = await build(grp);
  confirmPending(grp);
  for (const [id, other] of g.groups) {
    if (id === committer) continue;
    const r = await processMessage(other, bundle.commit);
    if (r.kind === "commit" && r.removedSelf) g.groups.delete(id);
  }
  return { before, bundle };
}

async function join(g: G, d: Dev, bundle: CommitBundle) {
  g.dir.register(d.identity);
  g.groups.set(d.identity.deviceId, await joinFromWelcome(d.identity, bundle.welcome!, g.policy, { groupInfo: bundle.groupInfo }));
}

/** Every member agrees on the epoch and exchanges a message with every other. */
async function assertHealthy(g: G) {
  const all = [...g.groups.values()];
  for (const x of all) assert.deepEqual(epochAuthenticator(x), epochAuthenticator(all[0]!));
  const ct = await encrypt(all.at(-1)!, utf8("still talking"));
  for (const x of all.slice(0, -1)) assert.equal((await processMessage(x, ct)).kind, "application");
}

/** The removed device's keys open no UpdatePath ciphertext of any later commit; a current member's open some (control). */
async function assertSealedFrom(stolen: Uint8Array, control: Uint8Array, commits: Applied[]) {
  const held = heldPrivateKeys(stolen);
  let controlOpened = 0;
  for (const c of commits) {
    assert.equal(
      await openUpdatePath(held, c.bundle.commit, c.before, c.bundle.groupInfo),
      0,
      `the removed device opened the path of the commit to epoch ${c.bundle.epoch}`,
    );
    controlOpened += await openUpdatePath(heldPrivateKeys(control), c.bundle.commit, c.before, c.bundle.groupInfo);
  }
  assert.ok(controlOpened > 0, "control: a member's keys open the first commit's path, so the probe works");
}

const mixed = (e: unknown) => isE2eeError(e, "mixed_commit") || assert.fail(`expected mixed_commit, got ${String(e)}`);

test("revoke then add: the stolen device's keys open no later UpdatePath; the add waits for the removal's commit", async () => {
  const g = await makeGroup([
    ["alice", "a1"],
    ["bob", "b1"],
    ["bob", "b2"],
    ["carol", "c1"],
  ]);
  const stolen = exportGroupState(g.groups.get("b2")!);
  const control = exportGroupState(g.groups.get("c1")!);
  await serverRemove(g, "b2");
  const b3 = await device("bob", "b3");
  g.dir.register(b3.identity);
  // Without the rule this one commit would remove b2 and put b3 in its slot, sealing the path to b2's old key.
  await assert.rejects(addMembers(g.first, [b3.keyPackage]), mixed);
  assert.equal(epoch(g.first), 1n, "a refused commit changes nothing");
  const commits = [await apply(g, "a1", commitPendingProposals)];
  assert.equal(g.groups.has("b2"), false);
  const add = await apply(g, "a1", (grp) => addMembers(grp, [b3.keyPackage]));
  await join(g, b3, add.bundle);
  assert.equal(members(g.first).find((m) => m.deviceId === "b3")?.leafIndex, 2, "b3 took the slot b2 left");
  commits.push(add, await apply(g, "c1", selfUpdate), await apply(g, "b3", selfUpdate));
  await assertSealedFrom(stolen, control, commits);
  await assertHealthy(g);
});

test("kick then invite and leave then join: neither the kicked nor the leaving device opens a later UpdatePath", async () => {
  const g = await makeGroup([
    ["alice", "a1"],
    ["bob", "b1"],
    ["carol", "c1"],
  ]);
  const kicked = exportGroupState(g.groups.get("c1")!);
  const control = exportGroupState(g.groups.get("a1")!);
  await serverRemove(g, "c1"); // carol is kicked: the last leaf, so the invitee would reuse it
  const d1 = await device("dave", "d1");
  g.dir.register(d1.identity);
  await assert.rejects(addMembers(g.groups.get("b1")!, [d1.keyPackage]), mixed);
  const commits = [await apply(g, "b1", commitPendingProposals)];
  const invite = await apply(g, "b1", (grp) => addMembers(grp, [d1.keyPackage]));
  await join(g, d1, invite.bundle);
  commits.push(invite, await apply(g, "d1", selfUpdate));
  await assertSealedFrom(kicked, control, commits);

  // bob leaves; erin is invited and frank's device joins by external commit after the removal is committed.
  const left = exportGroupState(g.groups.get("b1")!);
  const control2 = exportGroupState(g.groups.get("d1")!);
  await serverRemove(g, "b1");
  const erin = await device("erin", "e1");
  g.dir.register(erin.identity);
  await assert.rejects(addMembers(g.first, [erin.keyPackage]), mixed);
  const later = [await apply(g, "a1", commitPendingProposals)];
  const inv = await apply(g, "a1", (grp) => addMembers(grp, [erin.keyPackage]));
  await join(g, erin, inv.bundle);
  const frank = await device("frank", "f1");
  g.dir.register(frank.identity);
  const before = await groupInfoOf(g.first);
  const ext = await joinExternal(frank.identity, before, g.policy);
  for (const x of g.groups.values()) await processMessage(x, ext.commit);
  g.groups.set("f1", ext.group);
  later.push(inv, { before, bundle: { commit: ext.commit, groupInfo: ext.groupInfo, epoch: ext.epoch, added: [], removed: [] } });
  await assertSealedFrom(left, control2, later);
  await assertHealthy(g);
});

test("the crash variants (an add into a slot blank before the commit, an add that extends the tree) work as separate commits", async () => {
  const g = await makeGroup([
    ["alice", "a1"],
    ["bob", "b1"],
    ["carol", "c1"],
    ["dave", "d1"],
  ]);
  await serverRemove(g, "b1");
  await apply(g, "a1", commitPendingProposals); // leaf 1 is blank from here on
  const stolen = exportGroupState(g.groups.get("c1")!);
  const control = exportGroupState(g.groups.get("d1")!);
  await serverRemove(g, "c1");
  const joiners = await Promise.all([device("erin", "e1"), device("frank", "f1"), device("gina", "g1")]);
  for (const j of joiners) g.dir.register(j.identity);
  await assert.rejects(
    addMembers(
      g.first,
      joiners.map((j) => j.keyPackage),
    ),
    mixed,
  );
  const commits = [await apply(g, "a1", commitPendingProposals)];
  const add = await apply(g, "a1", (grp) =>
    addMembers(
      grp,
      joiners.map((j) => j.keyPackage),
    ),
  );
  for (const j of joiners) await join(g, j, add.bundle);
  assert.deepEqual(
    members(g.first).map((m) => m.leafIndex),
    [0, 1, 2, 3, 4],
    "e1 and f1 fill the blank slots, g1 extends the tree",
  );
  commits.push(add, await apply(g, "g1", selfUpdate));
  await assertSealedFrom(stolen, control, commits);
  await assertHealthy(g);
});

// The rc.10 defects the rule works around, shown on commits forged past the rule. When a
// ts-mls upgrade fixes them these canaries fail: then see docs/adr/0005 before relaxing the rule.
test("rc.10 canary: a forged Remove+Add commit seals the path to the removed leaf, or crashes", async () => {
  const g = await makeGroup([
    ["alice", "a1"],
    ["bob", "b1"],
    ["carol", "c1"],
  ]);
  const stolen = heldPrivateKeys(exportGroupState(g.groups.get("c1")!));
  const d1 = await device("dave", "d1");
  g.dir.register(d1.identity);
  const before = await groupInfoOf(g.first);
  const remove = { proposalType: defaultProposalTypes.remove, remove: { removed: 2 } };
  const forged = await forgeCommit(g.first, { proposals: [remove, addProposal(d1.keyPackage)] });
  const bob = g.groups.get("b1")!;
  await processMessage(bob, forged);
  assert.ok((await openUpdatePath(stolen, forged, before, await groupInfoOf(bob))) > 0, "rc.10 seals the new path secret to the removed leaf's old key");
  const e1 = await device("erin", "e1");
  const f1 = await device("frank", "f1");
  for (const d of [e1, f1]) g.dir.register(d.identity);
  await assert.rejects(
    forgeCommit(g.first, { proposals: [remove, ...[d1, e1, f1].map((d) => addProposal(d.keyPackage))] }),
    TypeError,
    "rc.10 crashes when an added leaf extends the tree in a commit with a path",
  );
});

test("receivers refuse member proposals, GroupContextExtensions commits, identity swaps and duplicate HPKE keys; nothing is applied", async () => {
  const g = await makeGroup([
    ["alice", "a1"],
    ["bob", "b1"],
    ["mallory", "m1"],
  ]);
  const alice = g.groups.get("a1")!;
  const bob = g.groups.get("b1")!;
  const mallory = g.groups.get("m1")!;
  const refused = async (bytes: Uint8Array, why: RegExp) => {
    const at = epoch(bob);
    await assert.rejects(processMessage(bob, bytes), (e: unknown) => (isE2eeError(e, "invalid_message") && why.test(e.message)) || assert.fail(String(e)));
    assert.equal(epoch(bob), at);
    assert.equal(hasPendingProposals(bob), false);
  };
  await refused(await forgeMemberProposal(mallory, { proposalType: defaultProposalTypes.remove, remove: { removed: 0 } }), /do not send proposals/);
  const gce = { proposalType: defaultProposalTypes.group_context_extensions, groupContextExtensions: { extensions: [] } };
  await refused(await forgeCommit(mallory, { proposals: [gce] }), /group_context_extensions/);
  // The directory (a compromised server) also vouches for m1's key as alice's device a9.
  const m1Key = members(alice).find((m) => m.deviceId === "m1")!.signaturePublicKey;
  g.dir.register({ ...(await device("alice", "a9")).identity, signaturePublicKey: m1Key });
  await refused(await forgeCommit(mallory, { leafIdentity: { orgId: ORG, userId: "alice", deviceId: "a9" } }), /changed identity/);
  await refused(await forgeCommit(mallory, { leafHpkeKey: leafHpkeKey(alice, 1) }), /share an HPKE public key/);
  // An honest commit still goes through afterwards.
  const ok = await selfUpdate(mallory);
  confirmPending(mallory);
  for (const x of [alice, bob]) assert.equal((await processMessage(x, ok.commit)).kind, "commit");
});
