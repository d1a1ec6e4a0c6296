// Large-group commit costs per crypto provider: one commit adding N members to a
// 1-member group, the last joiner processing the Welcome, then a self-update commit by
// the creator at N+1 members and its processing by that joiner. The joiners' KeyPackages
// are made once per suite and reused by every provider's run, so runs differ only in
// the provider (each run is a fresh group; the joiner's KeyPackage is last-resort so
// every run's Welcome finds it).
import {
  addMembers, confirmPending, createDeviceIdentity, createGroup, generateKeyPackages, joinFromWelcome, loadDeviceIdentity,
  MemoryKeyStore, processMessage, selfUpdate, type CryptoProviderName, type DeviceIdentity, type SuiteName,
} from "@parley/crypto";

/** Figures of one run (ms, bytes). */
export interface CommitRun {
  suite: SuiteName;
  provider: CryptoProviderName;
  members: number;
  addMs: number;
  addCommitBytes: number;
  welcomeBytes: number;
  joinMs: number;
  updateMs: number;
  updateCommitBytes: number;
  processUpdateMs: number;
}

/** KeyPackages of N joiners (made once per suite) and the last joiner's key store. */
export interface Joiners {
  suite: SuiteName;
  keyPackages: Uint8Array[];
  lastStore: MemoryKeyStore;
}

export async function makeJoiners(suite: SuiteName, n: number): Promise<Joiners> {
  const keyPackages: Uint8Array[] = [];
  let lastStore = new MemoryKeyStore();
  for (let i = 0; i < n; i++) {
    const store = new MemoryKeyStore();
    const id = await createDeviceIdentity({ orgId: "o", userId: `u${i}`, deviceId: `d${i}`, suite, keyStore: store });
    const [kp] = await generateKeyPackages(id, 1, { lastResort: i === n - 1 });
    keyPackages.push(kp!.keyPackage);
    lastStore = store;
  }
  return { suite, keyPackages, lastStore };
}

export async function commitRun(j: Joiners, provider: CryptoProviderName): Promise<CommitRun> {
  const suite = j.suite;
  const owner = await createDeviceIdentity({ orgId: "o", userId: "owner", deviceId: "d0", suite, cryptoProvider: provider });
  const joiner = (await loadDeviceIdentity(j.lastStore, { cryptoProvider: provider })) as DeviceIdentity;
  const g = await createGroup(owner, `bench-${suite}-${provider}-${Date.now()}`);
  let t = performance.now();
  const add = await addMembers(g, j.keyPackages);
  const addMs = performance.now() - t;
  confirmPending(g);
  t = performance.now();
  const gj = await joinFromWelcome(joiner, add.welcome!);
  const joinMs = performance.now() - t;
  t = performance.now();
  const upd = await selfUpdate(g);
  const updateMs = performance.now() - t;
  confirmPending(g);
  t = performance.now();
  const r = await processMessage(gj, upd.commit);
  const processUpdateMs = performance.now() - t;
  if (r.kind !== "commit") throw new Error(`expected a commit, got ${r.kind}`);
  return {
    suite, provider, members: j.keyPackages.length + 1, addMs, addCommitBytes: add.commit.length, welcomeBytes: add.welcome!.length,
    joinMs, updateMs, updateCommitBytes: upd.commit.length, processUpdateMs,
  };
}
