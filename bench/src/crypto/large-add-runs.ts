// One measured run of a large add (issue 7, "Welcome size and add cost"): a 1-member group
// adds N members in ONE commit, the last joiner joins from the Welcome, the creator commits
// a self-update at N+1 members and the joiner processes that commit. The same joiners'
// KeyPackages (made once per suite, provider-commits.ts) go into every configuration:
//   raw ts-mls (its default provider), with and without the ratchet tree in the Welcome;
//   @parley/crypto as before issue 7 (tree in the Welcome, the default suite's HPKE on @hpke);
//   @parley/crypto without the tree, HPKE still on @hpke (default suite: the tree's share);
//   @parley/crypto now ("Parley now (no tree)": the default suite's HPKE on node:crypto).
import * as mls from "ts-mls";
import {
  confirmPending,
  createDeviceIdentity,
  createGroup,
  joinFromWelcome,
  loadDeviceIdentity,
  processMessage,
  selfUpdate,
  type DeviceIdentity,
  type SuiteName,
} from "@parley/crypto";
import { addMembersInternal } from "../../../packages/crypto/src/commits.ts";
import { loadKeyPackage } from "../../../packages/crypto/src/key-packages.ts";
import { makeNodeCryptoProvider } from "../../../packages/crypto/src/provider-node.ts";
import { suiteImpl } from "../../../packages/crypto/src/suites.ts";
import { ratchetTreeFromExtension } from "../../../packages/crypto/src/ts-mls-internal.ts";
import { decodeMlsMessage } from "../../../packages/crypto/src/wire.ts";
import { timed, type Joiners } from "./provider-commits.ts";

/** A configuration of the large-add bench. */
export interface AddConfig {
  /** raw ts-mls with its default provider, or @parley/crypto with the platform (node:crypto) provider. */
  kind: "raw" | "parley";
  treeInWelcome: boolean;
  /** @parley/crypto only: where the default suite's HPKE runs (X-Wing's is always @hpke). */
  hpke?: "node" | "@hpke";
}

/** The configurations, by the name the tables use. "parley, no tree, @hpke" runs for the default suite only. */
export const ADD_CONFIGS = {
  "raw ts-mls, tree in Welcome": { kind: "raw", treeInWelcome: true },
  "raw ts-mls, no tree": { kind: "raw", treeInWelcome: false },
  "Parley before (tree in Welcome, @hpke)": { kind: "parley", treeInWelcome: true, hpke: "@hpke" },
  "Parley, no tree, @hpke": { kind: "parley", treeInWelcome: false, hpke: "@hpke" },
  "Parley now (no tree)": { kind: "parley", treeInWelcome: false, hpke: "node" },
} as const satisfies Record<string, AddConfig>;
export type AddConfigName = keyof typeof ADD_CONFIGS;

/** Configurations that differ for a suite (X-Wing's HPKE is @hpke whatever the setting). */
export function configsFor(suite: SuiteName): AddConfigName[] {
  const all = Object.keys(ADD_CONFIGS) as AddConfigName[];
  return suite === "default" ? all : all.filter((n) => n !== "Parley, no tree, @hpke");
}

/** Figures of one run: wall ms, CPU ms of this process (all threads), bytes. */
export interface AddFigures {
  members: number;
  addMs: number;
  addCpuMs: number;
  commitBytes: number;
  welcomeBytes: number;
  /** The GroupInfo with the ratchet tree (what the server stores and returns with the Welcome). */
  groupInfoBytes: number;
  joinMs: number;
  updateMs: number;
  updateCpuMs: number;
  processMs: number;
  processCpuMs: number;
}

const MLS_NAMES = { default: "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", xwing: "MLS_256_XWING_AES256GCM_SHA512_Ed25519" } as const;
const utf8 = (s: string) => new TextEncoder().encode(s);
let runs = 0;

/** One run of `config` over `j`'s joiners. */
export async function addRun(j: Joiners, config: AddConfig): Promise<AddFigures> {
  return config.kind === "raw"
    ? rawRun(j, config.treeInWelcome)
    : withDefaultSuiteHpke(j.suite, config.hpke ?? "node", () => parleyRun(j, config.treeInWelcome));
}

async function lastJoiner(j: Joiners): Promise<DeviceIdentity> {
  return (await loadDeviceIdentity(j.lastStore)) as DeviceIdentity;
}

async function parleyRun(j: Joiners, treeInWelcome: boolean): Promise<AddFigures> {
  const owner = await createDeviceIdentity({ orgId: "o", userId: "owner", deviceId: "d0", suite: j.suite });
  const joiner = await lastJoiner(j);
  const g = await createGroup(owner, `large-add-${j.suite}-${++runs}`);
  const [add, addMs, addCpuMs] = await timed(() => addMembersInternal(g, j.keyPackages, { treeInWelcome }));
  confirmPending(g);
  const [gj, joinMs] = await timed(() => joinFromWelcome(joiner, add.welcome!, {}, { groupInfo: add.groupInfo }));
  const [upd, updateMs, updateCpuMs] = await timed(() => selfUpdate(g));
  confirmPending(g);
  const [r, processMs, processCpuMs] = await timed(() => processMessage(gj, upd.commit));
  if (r.kind !== "commit") throw new Error(`expected a commit, got ${r.kind}`);
  return {
    members: j.keyPackages.length + 1,
    addMs,
    addCpuMs,
    commitBytes: add.commit.length,
    welcomeBytes: add.welcome!.length,
    groupInfoBytes: add.groupInfo.length,
    joinMs,
    updateMs,
    updateCpuMs,
    processMs,
    processCpuMs,
  };
}

/**
 * raw ts-mls, default provider, its testing authentication service. Its add also builds the
 * GroupInfo with external pub and tree that a Delivery Service stores (as Parley's does).
 * Without the tree in the Welcome, the joiner decodes the tree from that GroupInfo.
 */
async function rawRun(j: Joiners, treeInWelcome: boolean): Promise<AddFigures> {
  const impl = await mls.getCiphersuiteImpl(MLS_NAMES[j.suite], mls.defaultCryptoProvider);
  const context = { cipherSuite: impl, authService: mls.unsafeTestingAuthenticationService };
  const credential: mls.Credential = { credentialType: mls.defaultCredentialTypes.basic, identity: utf8("creator") };
  const creator = await mls.generateKeyPackage({ credential, cipherSuite: impl });
  const state = await mls.createGroup({
    context,
    groupId: utf8(`raw-${++runs}`),
    keyPackage: creator.publicPackage,
    privateKeyPackage: creator.privatePackage,
  });
  const proposals: mls.Proposal[] = j.keyPackages.map((b) => {
    const m = decodeMlsMessage(b);
    if (m.wireformat !== mls.wireformats.mls_key_package) throw new Error("not a KeyPackage");
    return { proposalType: mls.defaultProposalTypes.add, add: { keyPackage: m.keyPackage } };
  });
  const [add, addMs, addCpuMs] = await timed(async () => {
    const c = await mls.createCommit({ context, state, extraProposals: proposals, wireAsPublicMessage: true, ratchetTreeExtension: treeInWelcome });
    const gi = await mls.createGroupInfoWithExternalPubAndRatchetTree(c.newState, [], impl);
    return {
      ...c,
      commitBytes: mls.encode(mls.mlsMessageEncoder, c.commit),
      welcomeBytes: mls.encode(mls.mlsMessageEncoder, c.welcome as mls.MlsMessage),
      groupInfoBytes: mls.encode(mls.mlsMessageEncoder, { version: mls.protocolVersions.mls10, wireformat: mls.wireformats.mls_group_info, groupInfo: gi }),
    };
  });
  const last = await loadKeyPackage(await lastJoiner(j), j.lastRefHex);
  if (!last) throw new Error("the last joiner's KeyPackage is missing");
  const [joined, joinMs] = await timed(async () => {
    const w = decodeMlsMessage(add.welcomeBytes);
    if (w.wireformat !== mls.wireformats.mls_welcome) throw new Error("not a Welcome");
    const gi = decodeMlsMessage(add.groupInfoBytes);
    const ratchetTree = treeInWelcome || gi.wireformat !== mls.wireformats.mls_group_info ? undefined : ratchetTreeFromExtension(gi.groupInfo);
    return mls.joinGroup({
      context,
      welcome: w.welcome,
      keyPackage: last.publicPackage,
      privateKeys: last.privatePackage,
      ...(ratchetTree ? { ratchetTree } : {}),
    });
  });
  const [upd, updateMs, updateCpuMs] = await timed(() => mls.createCommit({ context, state: add.newState, wireAsPublicMessage: true }));
  const [r, processMs, processCpuMs] = await timed(() => {
    const m = decodeMlsMessage(mls.encode(mls.mlsMessageEncoder, upd.commit)) as mls.MlsFramedMessage;
    return mls.processMessage({ context, state: joined, message: m });
  });
  if (r.kind !== "newState") throw new Error(`expected a commit, got ${r.kind}`);
  return {
    members: j.keyPackages.length + 1,
    addMs,
    addCpuMs,
    commitBytes: add.commitBytes.length,
    welcomeBytes: add.welcomeBytes.length,
    groupInfoBytes: add.groupInfoBytes.length,
    joinMs,
    updateMs,
    updateCpuMs,
    processMs,
    processCpuMs,
  };
}

/**
 * Runs `f` with the platform provider's default-suite HPKE on node:crypto (Parley's) or
 * on @hpke (before issue 7) by swapping it in the shared suite implementation; the
 * bench's process only, restored afterwards.
 */
async function withDefaultSuiteHpke<T>(suite: SuiteName, hpke: "node" | "@hpke", f: () => Promise<T>): Promise<T> {
  if (suite !== "default" || hpke === "node") return f();
  const impl = await suiteImpl("default", "platform");
  const saved = impl.hpke;
  impl.hpke = (await makeNodeCryptoProvider({ defaultSuiteHpke: "@hpke" }).getCiphersuiteImpl(1)).hpke;
  try {
    return await f();
  } finally {
    impl.hpke = saved;
  }
}
