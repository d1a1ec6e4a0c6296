// E2EE benchmark: application-message throughput through @parley/crypto vs raw ts-mls in
// the same run, and commit costs (add 1/10/100[/1,000] members, join from Welcome, one
// removal) for the default and X-Wing suites. Prints figures and writes
// bench/results/crypto.json. `--with-1000` adds the 1,000-member cases; each case is
// skipped once a suite's previous size took longer than PARLEY_BENCH_CASE_LIMIT_MS.
import { writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  addMembers,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  generateKeyPackages,
  joinFromWelcome,
  removeMembers,
  type SuiteName,
} from "@parley/crypto";
import { rawThroughput, wrapperThroughput } from "./throughput.ts";

const MESSAGES = Number(process.env.PARLEY_BENCH_MESSAGES ?? 2000);
const CASE_LIMIT_MS = Number(process.env.PARLEY_BENCH_CASE_LIMIT_MS ?? 20000);
const sizes = [1, 10, 100, ...(process.argv.includes("--with-1000") ? [1000] : [])];

interface CommitCase {
  suite: SuiteName;
  members: number;
  addMs: number;
  commitBytes: number;
  welcomeBytes: number;
  groupInfoBytes: number;
  joinMs: number;
  removeMs: number;
  removeCommitBytes: number;
}

async function commitCase(suite: SuiteName, n: number): Promise<CommitCase> {
  const owner = await createDeviceIdentity({ orgId: "o", userId: "owner", deviceId: "d0", suite });
  const g = await createGroup(owner, `bench-${suite}-${n}`);
  const joiners = [];
  const kps: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const id = await createDeviceIdentity({ orgId: "o", userId: `u${i}`, deviceId: `d${i}`, suite });
    const [kp] = await generateKeyPackages(id, 1);
    joiners.push(id);
    kps.push(kp!.keyPackage);
  }
  let t = performance.now();
  const bundle = await addMembers(g, kps);
  const addMs = performance.now() - t;
  confirmPending(g);
  t = performance.now();
  await joinFromWelcome(joiners[n - 1]!, bundle.welcome!, {}, { groupInfo: bundle.groupInfo });
  const joinMs = performance.now() - t;
  t = performance.now();
  const rm = await removeMembers(g, [1]);
  const removeMs = performance.now() - t;
  return {
    suite,
    members: n,
    addMs,
    commitBytes: bundle.commit.length,
    welcomeBytes: bundle.welcome!.length,
    groupInfoBytes: bundle.groupInfo.length,
    joinMs,
    removeMs,
    removeCommitBytes: rm.commit.length,
  };
}

// Alternate the two runs so warm-up and thermal drift hit both equally.
// The wrapper's overhead, like for like: both on ts-mls's default ("reference") crypto
// provider. bench/src/crypto/provider.ts compares the providers.
await wrapperThroughput(MESSAGES, "reference");
await rawThroughput(MESSAGES);
const wrapper: number[] = [];
const raw: number[] = [];
for (let i = 0; i < 3; i++) {
  wrapper.push(await wrapperThroughput(MESSAGES, "reference"));
  raw.push(await rawThroughput(MESSAGES));
}
const best = (xs: number[]) => Math.max(...xs);
const overheadPct = (1 - best(wrapper) / best(raw)) * 100;
console.log(
  `encrypt+decrypt msgs/s (1 core, ${MESSAGES} msgs, 200 B, reference provider on both): @parley/crypto ${best(wrapper).toFixed(0)}, raw ts-mls ${best(raw).toFixed(0)}, overhead ${overheadPct.toFixed(1)}%`,
);

const cases: CommitCase[] = [];
const skipped: string[] = [];
for (const suite of ["default", "xwing"] as const) {
  let lastMs = 0;
  for (const n of sizes) {
    if (lastMs > CASE_LIMIT_MS) {
      skipped.push(`${suite}/${n} (previous size took ${lastMs.toFixed(0)} ms)`);
      continue;
    }
    const t = performance.now();
    const c = await commitCase(suite, n);
    lastMs = performance.now() - t;
    cases.push(c);
    console.log(
      `${suite.padEnd(7)} add ${String(n).padStart(4)}: ${c.addMs.toFixed(0)} ms, commit ${c.commitBytes} B, welcome ${c.welcomeBytes} B, groupInfo ${c.groupInfoBytes} B | join ${c.joinMs.toFixed(0)} ms | remove 1 of ${n + 1}: ${c.removeMs.toFixed(0)} ms, ${c.removeCommitBytes} B`,
    );
  }
}
if (skipped.length) console.log(`skipped: ${skipped.join(", ")}`);
const out = {
  date: new Date().toISOString(),
  node: process.version,
  messages: MESSAGES,
  throughput: { wrapper: best(wrapper), raw: best(raw), overheadPct, runs: { wrapper, raw } },
  cases,
  skipped,
};
const dir = join(import.meta.dirname, "..", "..", "results");
await mkdir(dir, { recursive: true });
await writeFile(join(dir, "crypto.json"), JSON.stringify(out, null, 2) + "\n");
