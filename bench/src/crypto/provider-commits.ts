// Large-group commit costs per crypto provider: one commit adding N members to a
// 1-member group, the last joiner processing the Welcome, then a self-update commit by
// the creator at N+1 members and its processing by that joiner. The joiners' KeyPackages
// are made once per suite and reused by every provider's run, so runs differ only in
// the provider (each run is a fresh group; the joiner's KeyPackage is last-resort so
// every run's Welcome finds it).
import {
  addMembers,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  generateKeyPackages,
  joinFromWelcome,
  loadDeviceIdentity,
  MemoryKeyStore,
  processMessage,
  selfUpdate,
  type CryptoProviderName,
  type DeviceIdentity,
  type SuiteName,
} from "@parley/crypto";

/** Figures of one run (ms, bytes). */
export interface CommitRun {
  suite: SuiteName;
  provider: CryptoProviderName;
  members: number;
  addMs: number;
  /** CPU time of the process (all threads) during the add. */
  addCpuMs: number;
  addCommitBytes: number;
  welcomeBytes: number;
  joinMs: number;
  updateMs: number;
  updateCpuMs: number;
  updateCommitBytes: number;
  processUpdateMs: number;
  processUpdateCpuMs: number;
}

/** Wall and CPU (this process, all threads) milliseconds of `f`. */
export async function timed<T>(f: () => Promise<T>): Promise<[T, number, number]> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = await f();
  const c = process.cpuUsage(c0);
  return [v, performance.now() - t0, (c.user + c.system) / 1000];
}

/** KeyPackages of N joiners (made once per suite) and the last joiner's key store. */
export interface Joiners {
  suite: SuiteName;
  keyPackages: Uint8Array[];
  lastStore: MemoryKeyStore;
  /** KeyPackageRef (hex) of the last joiner's (last-resort) KeyPackage. */
  lastRefHex: string;
}

export async function makeJoiners(suite: SuiteName, n: number): Promise<Joiners> {
  const keyPackages: Uint8Array[] = [];
  let lastStore = new MemoryKeyStore();
  let lastRefHex = "";
  for (let i = 0; i < n; i++) {
    const store = new MemoryKeyStore();
    const id = await createDeviceIdentity({ orgId: "o", userId: `u${i}`, deviceId: `d${i}`, suite, keyStore: store });
    const [kp] = await generateKeyPackages(id, 1, { lastResort: i === n - 1 });
    keyPackages.push(kp!.keyPackage);
    lastStore = store;
    lastRefHex = kp!.refHex;
  }
  return { suite, keyPackages, lastStore, lastRefHex };
}

export async function commitRun(j: Joiners, provider: CryptoProviderName): Promise<CommitRun> {
  const suite = j.suite;
  const owner = await createDeviceIdentity({ orgId: "o", userId: "owner", deviceId: "d0", suite, cryptoProvider: provider });
  const joiner = (await loadDeviceIdentity(j.lastStore, { cryptoProvider: provider })) as DeviceIdentity;
  const g = await createGroup(owner, `bench-${suite}-${provider}-${Date.now()}`);
  const [add, addMs, addCpuMs] = await timed(() => addMembers(g, j.keyPackages));
  confirmPending(g);
  const [gj, joinMs] = await timed(() => joinFromWelcome(joiner, add.welcome!, {}, { groupInfo: add.groupInfo }));
  const [upd, updateMs, updateCpuMs] = await timed(() => selfUpdate(g));
  confirmPending(g);
  const [r, processUpdateMs, processUpdateCpuMs] = await timed(() => processMessage(gj, upd.commit));
  if (r.kind !== "commit") throw new Error(`expected a commit, got ${r.kind}`);
  return {
    suite,
    provider,
    members: j.keyPackages.length + 1,
    addMs,
    addCpuMs,
    addCommitBytes: add.commit.length,
    welcomeBytes: add.welcome!.length,
    joinMs,
    updateMs,
    updateCpuMs,
    updateCommitBytes: upd.commit.length,
    processUpdateMs,
    processUpdateCpuMs,
  };
}
