// Group-level interop between crypto providers: members on ts-mls's default provider
// ("reference") and members on the platform provider (node:crypto here) share groups —
// Welcomes, commits both ways, application messages both ways, external joins from
// either side's GroupInfo, state moved between providers, and the server's key-less
// checks of a reference member's commit. The browser provider (which @parley/crypto
// picks only outside Node) is put through the same steps at the ts-mls level.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as mls from "ts-mls";
import {
  addMembers,
  confirmPending,
  createGroup,
  encrypt,
  epochAuthenticator,
  exportGroupState,
  groupInfoOf,
  importGroupState,
  joinExternal,
  joinFromWelcome,
  loadDeviceIdentity,
  processMessage,
  removeMembers,
  selfUpdate,
  type Group,
} from "./index.ts";
import { checkCommitLeadsTo, verifyGroupInfo, verifyPublicMessage } from "./public.ts";
import { device, makeDirectory, ORG } from "./test-devices.ts";
import { utf8 } from "./bytes.ts";
import { nodeCryptoProvider } from "./provider-node.ts";
import { webCryptoProvider } from "./provider-web.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function says(from: Group, to: Group[], msg: string) {
  const ct = await encrypt(from, utf8(msg));
  for (const g of to) {
    const r = await processMessage(g, ct);
    assert.ok(r.kind === "application", `${msg}: got ${r.kind}`);
    assert.equal(text(r.plaintext), msg);
  }
}

async function commitSeenBy(commit: Uint8Array, groups: Group[]) {
  for (const g of groups) assert.equal((await processMessage(g, commit)).kind, "commit");
}

function sameEpoch(groups: Group[]) {
  for (const g of groups.slice(1)) assert.deepEqual(epochAuthenticator(g), epochAuthenticator(groups[0]!));
}

for (const suite of ["default", "xwing"] as const) {
  test(`reference and platform providers share a group (${suite})`, async () => {
    const dir = makeDirectory();
    const policy = { authorizeLeaf: dir.authorizeLeaf };
    const alice = await device("alice", "a1", suite, "reference");
    const bob = await device("bob", "b1", suite, "platform");
    const carol = await device("carol", "c1", suite, "reference");
    const dave = await device("dave", "d1", suite, "platform");
    const erin = await device("erin", "e1", suite, "reference");
    for (const d of [alice, bob, carol, dave, erin]) dir.register(d.identity);

    // Reference creates and adds; platform opens its Welcome.
    const ga = await createGroup(alice.identity, "chan-interop", { externalSenders: [{ signaturePublicKey: dir.server.publicKey, orgId: ORG }], ...policy });
    const gi0 = await groupInfoOf(ga);
    const add1 = await addMembers(ga, [bob.keyPackage]);
    confirmPending(ga);
    // The server's checks run on the platform provider: a reference member's commit verifies.
    checkCommitLeadsTo(await verifyPublicMessage(add1.commit, await verifyGroupInfo(gi0)), await verifyGroupInfo(add1.groupInfo));
    const gb = await joinFromWelcome(bob.identity, add1.welcome!, policy, { groupInfo: add1.groupInfo });
    sameEpoch([ga, gb]);
    await says(ga, [gb], "reference -> platform");
    await says(gb, [ga], "platform -> reference");

    // Platform commits an add; reference processes it and opens the Welcome.
    const add2 = await addMembers(gb, [carol.keyPackage]);
    confirmPending(gb);
    await commitSeenBy(add2.commit, [ga]);
    const gc = await joinFromWelcome(carol.identity, add2.welcome!, policy, { groupInfo: add2.groupInfo });
    sameEpoch([ga, gb, gc]);
    await says(gc, [ga, gb], "carol (reference) to all");

    // Self-updates (commits with update paths, HPKE to the other side's keys) both ways.
    const u1 = await selfUpdate(ga);
    confirmPending(ga);
    await commitSeenBy(u1.commit, [gb, gc]);
    const u2 = await selfUpdate(gb);
    confirmPending(gb);
    await commitSeenBy(u2.commit, [ga, gc]);
    sameEpoch([ga, gb, gc]);

    // External joins: platform from a reference member's GroupInfo, then reference from a platform one.
    const j1 = await joinExternal(dave.identity, await groupInfoOf(ga), policy);
    await commitSeenBy(j1.commit, [ga, gb, gc]);
    const j2 = await joinExternal(erin.identity, await groupInfoOf(gb), policy);
    await commitSeenBy(j2.commit, [ga, gb, gc, j1.group]);
    const all = [ga, gb, gc, j1.group, j2.group];
    sameEpoch(all);
    await says(j1.group, [ga, gc, j2.group], "dave (platform) to all");
    await says(j2.group, [gb, j1.group], "erin (reference) to all");

    // A platform member removes a reference member.
    const rm = await removeMembers(gb, [{ deviceId: "c1" }]);
    confirmPending(gb);
    await commitSeenBy(rm.commit, [ga, gc, j1.group, j2.group]);
    sameEpoch([ga, gb, j1.group, j2.group]);

    // Bob's saved state, reopened on the reference provider, carries on.
    const bobRef = (await loadDeviceIdentity(bob.identity.keyStore, { cryptoProvider: "reference" }))!;
    const gbRef = await importGroupState(bobRef, exportGroupState(gb), policy);
    await says(gbRef, [ga, j1.group], "bob, reopened on reference");
  });
}

// The same steps through ts-mls directly, for providers @parley/crypto does not pick on Node.
for (const [name, provider] of [
  ["browser", webCryptoProvider],
  ["node", nodeCryptoProvider],
] as const) {
  test(`ts-mls level: default provider and the ${name} provider share a group`, async () => {
    const suite = "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519";
    const ref = { cipherSuite: await mls.getCiphersuiteImpl(suite), authService: mls.unsafeTestingAuthenticationService };
    const ours = { cipherSuite: await mls.getCiphersuiteImpl(suite, provider), authService: mls.unsafeTestingAuthenticationService };
    const kp = (s: string, ctx: typeof ref) =>
      mls.generateKeyPackage({ credential: { credentialType: mls.defaultCredentialTypes.basic, identity: utf8(s) }, cipherSuite: ctx.cipherSuite });
    const [a, b, c] = [await kp("a", ref), await kp("b", ours), await kp("c", ours)];
    let sa = await mls.createGroup({ context: ref, groupId: utf8("g"), keyPackage: a.publicPackage, privateKeyPackage: a.privatePackage });
    const add = await mls.createCommit({
      context: ref,
      state: sa,
      ratchetTreeExtension: true,
      extraProposals: [{ proposalType: mls.defaultProposalTypes.add, add: { keyPackage: b.publicPackage } }],
    });
    sa = add.newState;
    let sb = await mls.joinGroup({ context: ours, welcome: add.welcome!.welcome, keyPackage: b.publicPackage, privateKeys: b.privatePackage });

    const send = async (ctx: typeof ref, from: mls.ClientState, msg: string) => {
      const m = await mls.createApplicationMessage({ context: ctx, state: from, message: utf8(msg) });
      return { state: m.newState, wire: mls.decode(mls.mlsMessageDecoder, mls.encode(mls.mlsMessageEncoder, m.message)) as mls.MlsFramedMessage };
    };
    const receive = async (ctx: typeof ref, to: mls.ClientState, wire: mls.MlsFramedMessage, expect?: string) => {
      const r = await mls.processMessage({ context: ctx, state: to, message: wire });
      if (expect !== undefined) assert.ok(r.kind === "applicationMessage" && text(r.message) === expect);
      return r.newState;
    };
    let m = await send(ref, sa, "to ours");
    sa = m.state;
    sb = await receive(ours, sb, m.wire, "to ours");
    m = await send(ours, sb, "to ref");
    sb = m.state;
    sa = await receive(ref, sa, m.wire, "to ref");

    // Our provider commits (update path + add); the default one processes it.
    const upd = await mls.createCommit({
      context: ours,
      state: sb,
      ratchetTreeExtension: true,
      extraProposals: [{ proposalType: mls.defaultProposalTypes.add, add: { keyPackage: c.publicPackage } }],
    });
    sb = upd.newState;
    sa = await receive(ref, sa, upd.commit as mls.MlsFramedMessage);
    assert.deepEqual(sa.keySchedule.epochAuthenticator, sb.keySchedule.epochAuthenticator);

    // External join with our provider from a GroupInfo the default provider made.
    const d = await kp("d", ours);
    const gi = await mls.createGroupInfoWithExternalPubAndRatchetTree(sa, [], ref.cipherSuite);
    const ext = await mls.joinGroupExternal({ context: ours, groupInfo: gi, keyPackage: d.publicPackage, privateKeys: d.privatePackage, resync: false });
    const extWire = {
      version: mls.protocolVersions.mls10,
      wireformat: mls.wireformats.mls_public_message,
      publicMessage: ext.publicMessage,
    } as mls.MlsFramedMessage;
    sa = await receive(ref, sa, extWire);
    assert.deepEqual(sa.keySchedule.epochAuthenticator, ext.newState.keySchedule.epochAuthenticator);
    m = await send(ref, sa, "to the joiner");
    await receive(ours, ext.newState, m.wire, "to the joiner");
  });
}
