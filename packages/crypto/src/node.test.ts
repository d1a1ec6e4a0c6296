import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EncryptedFileKeyStore } from "./node.ts";
import { createDeviceIdentity, loadDeviceIdentity, generateKeyPackages, listKeyPackageRefs } from "./index.ts";

test("encrypted file key store: round trip, 0600 files, wrong passphrase refused, identity reload", async () => {
  const dir = await mkdtemp(join(tmpdir(), "parley-ks-"));
  try {
    const ks = await EncryptedFileKeyStore.openWithPassphrase(join(dir, "s"), "correct horse");
    const id = await createDeviceIdentity({ orgId: "o", userId: "u", deviceId: "d", suite: "default", keyStore: ks });
    const kps = await generateKeyPackages(id, 2);
    const again = await loadDeviceIdentity(await EncryptedFileKeyStore.openWithPassphrase(join(dir, "s"), "correct horse"));
    assert.deepEqual(again?.signaturePublicKey, id.signaturePublicKey);
    assert.deepEqual((await listKeyPackageRefs(id)).sort(), kps.map((k) => k.refHex).sort());
    for (const f of await readdir(join(dir, "s"))) assert.equal((await stat(join(dir, "s", f))).mode & 0o777, 0o600);
    const raw = await readFile(
      join(
        dir,
        "s",
        (await readdir(join(dir, "s"))).find((f) => f.endsWith(".key"))!,
      ),
    );
    assert.equal(raw.includes(Buffer.from(id.signaturePublicKey)), false);
    const wrong = await EncryptedFileKeyStore.openWithPassphrase(join(dir, "s"), "wrong");
    await assert.rejects(wrong.get("identity"));
    const kf = await EncryptedFileKeyStore.openWithKeyFile(join(dir, "k"), join(dir, "master.key"));
    await kf.put("a", new Uint8Array([1, 2]));
    assert.equal((await stat(join(dir, "master.key"))).mode & 0o777, 0o600);
    assert.deepEqual(await kf.get("a"), new Uint8Array([1, 2]));
    await kf.delete("a");
    assert.equal(await kf.get("a"), undefined);
    await writeFile(join(dir, "x"), "");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
