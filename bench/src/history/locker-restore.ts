/**
 * Key locker restore bench (issue 9, target: 100 channels × 1,000 epochs restored on a new device
 * in <= 3 s). A real server (SQLite) and SDK clients: alice sets up her locker, her devices' keys
 * of 100 channels × 1,000 epochs are appended (one sealed batch of 1,000 keys per channel, as the
 * SDK seals them), then a new device restores with the recovery key — with the in-memory key store
 * and with the CLI's encrypted file key store (one fsync'd file per record). Peer in the same run:
 * the same keys sealed one HPKE seal per key (what batching avoids), opened for a sample and
 * scaled. Prints figures; gates nothing.
 *
 *   node bench/src/history/locker-restore.ts [--channels N] [--epochs N]
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EncryptedFileKeyStore } from "@parley/crypto/node";
import { MemoryKeyStore, openLockerBatches, sealLockerBatch, type KeyStore, type LockerEntry } from "@parley/crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { FAST, makeOrg } from "../../../packages/sdk/src/testing/e2ee-clients.ts";
import { historyKeysOf } from "../../../packages/sdk/src/e2ee/history-keys.ts";

const num = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CHANNELS = num("--channels", 100);
const EPOCHS = num("--epochs", 1000);
const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

const server = await startTestServer({ config: { rateLimitUser: 1_000_000 } });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-locker-bench-"));
try {
  const org = await makeOrg(server.url);
  const alice = org.owner;
  const owner = { orgId: alice.session!.orgId, userId: alice.userId };
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const publicKey = Buffer.from((await alice.api.call("getLocker")).publicKey, "base64");

  process.stderr.write(`sealing ${CHANNELS} channels × ${EPOCHS} epochs… `);
  let t = performance.now();
  const uploads = [];
  for (let c = 0; c < CHANNELS; c++) {
    const ch = await alice.api.call("createChannel", { body: { kind: "private", name: `bench-${c}`, members: [] } });
    const entries: LockerEntry[] = Array.from({ length: EPOCHS }, (_, e) => ({
      channelId: ch.id,
      generation: 0,
      epoch: BigInt(e),
      hk: crypto.randomBytes(32),
    }));
    uploads.push({ channelId: ch.id, generation: 0, fromEpoch: 0, toEpoch: EPOCHS - 1, sealed: b64(await sealLockerBatch(publicKey, owner, entries)) });
  }
  for (let i = 0; i < uploads.length; i += 4) await alice.api.call("appendLockerEntries", { body: { entries: uploads.slice(i, i + 4) } });
  process.stderr.write(`${Math.round(performance.now() - t)} ms\n`);

  const restore = async (label: string, keyStore: KeyStore) => {
    const device = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore } });
    const t0 = performance.now();
    const added = await device.e2ee!.locker.restore(recoveryKey);
    const ms = performance.now() - t0;
    const held = (await historyKeysOf(keyStore).channels()).length;
    await device.close();
    return `${label}: ${added.toLocaleString("en")} keys of ${held} channels restored in ${Math.round(ms)} ms (${Math.round(added / (ms / 1000)).toLocaleString("en")} keys/s)`;
  };
  const lines = [await restore("new device, memory key store", new MemoryKeyStore())];
  lines.push(
    await restore("new device, encrypted file key store (CLI)", await EncryptedFileKeyStore.openWithKeyFile(path.join(dir, "store"), path.join(dir, "key"))),
  );

  // Peer: one seal per key, opened one by one (sample of 1,000, scaled to all keys).
  const locker = alice.e2ee!.identity.keyStore;
  const privateKey = (await locker.get("sdk/locker/private"))!;
  const sample = 1000;
  const singles = [];
  for (let i = 0; i < sample; i++) {
    const entry: LockerEntry = { channelId: "peer", generation: 0, epoch: BigInt(i), hk: crypto.randomBytes(32) };
    singles.push({
      sealed: await sealLockerBatch(publicKey, owner, [entry]),
      meta: { channelId: "peer", generation: 0, fromEpoch: BigInt(i), toEpoch: BigInt(i) },
    });
  }
  t = performance.now();
  for (const s of singles) await openLockerBatches(privateKey, owner, [s]);
  const perKey = (performance.now() - t) / sample;
  lines.push(
    `peer, one HPKE seal per key: ${perKey.toFixed(3)} ms per key opened = ${Math.round((perKey * CHANNELS * EPOCHS) / 1000).toLocaleString("en")} s for ${(CHANNELS * EPOCHS).toLocaleString("en")} keys (HPKE opens alone)`,
  );
  console.log(`Locker restore, ${CHANNELS} channels × ${EPOCHS} epochs (target <= 3 s):`);
  for (const l of lines) console.log(`  ${l}`);
  await org.closeAll();
} finally {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
