/**
 * Rotating the server's directory key (`parley keys rotate --signing directory`) with real
 * clients and a real server: devices that pinned the old key follow its endorsement of the new
 * one, a device registered after the rotation is admitted to a channel, the server re-signs
 * every binding in the background, and a key the pinned one did not endorse (a replaced or
 * compromised server key) is refused with `directory_key_changed`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { endorseDirectoryKey, generateServerSigningKey, verifyBinding } from "@parley/crypto";
import { rotateSigningKey } from "@parley/server";
import { startOrg, collect, until } from "../testing/e2ee-clients.ts";
import type { ParleyClient } from "../client.ts";
import { ParleyError } from "../errors.ts";
import { base64ToBytes } from "../codec.ts";
import { directoryTrust, type DirectoryKey } from "./directory-trust.ts";

const CONFIG = { checkMlsFraming: true, keyRefreshSeconds: 1 };

async function livePair(t: import("node:test").TestContext) {
  const { server, org } = await startOrg(t, {}, { config: CONFIG });
  const alice = org.owner;
  const bob = await org.user("bob");
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));
  const ch = await alice.createChannel({ kind: "private", name: "keys", members: [bob.userId] });
  await alice.sendMessage(ch.id, "before the rotation");
  return { server, org, alice, bob, ch };
}

/** Poll an async condition (at most `ms`). */
async function eventually(cond: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pinOf = async (c: ParleyClient) => c.e2ee!.identity.keyStore.get("directory-pin");
const inGroup = (c: ParleyClient, channelId: string, deviceId: string) => !!c.e2ee!.members(channelId)?.some((m) => m.deviceId === deviceId);

test(
  "directory key rotation: devices follow the endorsement, a device registered after it is admitted, every binding is re-signed",
  { timeout: 90_000 },
  async (t) => {
    const { server, org, alice, bob, ch } = await livePair(t);
    const before = await alice.api.call("getE2eeConfig");
    assert.deepEqual(await pinOf(alice), base64ToBytes(before.directoryKey), "alice pinned the key she saw first");

    const r = await rotateSigningKey(server.deps, "directory", { overlapSeconds: 3600 });
    const after = await alice.api.call("getE2eeConfig");
    assert.equal(after.directoryKeys.length, 2);
    const [old, fresh] = after.directoryKeys;
    assert.equal(old!.publicKey, before.directoryKey);
    assert.ok(old!.verifiesUntil! > Date.now(), "the old key verifies during the overlap");
    assert.equal(fresh!.id, r.id);
    assert.equal(fresh!.verifiesUntil, null);
    assert.equal(fresh!.endorsement?.by, old!.id, "the new key is endorsed by the old one");
    assert.equal(after.directoryKey, fresh!.publicKey);

    // Bob's new phone registers now: its binding is signed by the new key only. Alice's device, which
    // trusted the old key, fetches the config again, follows the endorsement and admits the phone.
    const phone = await org.device("bob");
    const seen = collect(phone, ch.id);
    phone.connect();
    await phone.waitUntilLive();
    const phoneId = phone.session!.deviceId;
    await until(() => inGroup(alice, ch.id, phoneId), "bob's phone joined the channel's group", 30_000);
    await alice.sendMessage(ch.id, "after the rotation");
    await until(() => seen.some((e) => e.text === "after the rotation"), "the phone reads the channel");
    await eventually(async () => {
      const pin = await pinOf(alice);
      return !!pin && Buffer.from(pin).toString("base64") === fresh!.publicKey;
    }, "alice's pin moved to the new key");

    // The job re-signs every binding with the new key once every node signs with it.
    const newKey = base64ToBytes(fresh!.publicKey);
    await eventually(
      async () => {
        const left = await server.deps.db.selectFrom("device_bindings").select("device_id").where("signed_by", "!=", r.id).execute();
        return left.length === 0;
      },
      "every binding re-signed",
      30_000,
    );
    const { bindings } = await alice.api.call("listBindings", { query: { userIds: [alice.userId, bob.userId] } });
    assert.equal(bindings.length, 3);
    for (const b of bindings) {
      const wire = { ...b, signaturePublicKey: base64ToBytes(b.signaturePublicKey), signature: base64ToBytes(b.signature) };
      assert.ok(verifyBinding(wire, newKey), `${b.deviceId}'s binding verifies with the new key`);
    }
    // A device that starts after the overlap knows only the new key, and still reads.
    await bob.sendMessage(ch.id, "from the laptop");
    await until(() => seen.some((e) => e.text === "from the laptop"), "the phone reads bob's laptop");
  },
);

test(
  "a directory key the pinned one did not endorse is refused: directory_key_changed, and the device it vouches for is not admitted",
  { timeout: 90_000 },
  async (t) => {
    const { server, org, alice, ch } = await livePair(t);
    const errors: unknown[] = [];
    alice.on("error", (e) => errors.push(e));
    // A replaced server key: a new directory key with no endorsement, the old one retired at once.
    const r = await server.deps.kms.rotateSigningKey("directory", Date.now());
    await server.deps.db.updateTable("server_keys").set({ endorsement: null }).where("id", "=", r.id).execute();
    const pinned = await pinOf(alice);

    const phone = await org.device("bob");
    phone.connect();
    await phone.waitUntilLive();
    const phoneId = phone.session!.deviceId;
    const refused = await alice.e2ee!.directory.binding(phone.session!.userId, phoneId);
    assert.equal(refused, undefined, "alice does not accept the phone's binding");
    await until(() => errors.some((e) => e instanceof ParleyError && e.code === "directory_key_changed"), "alice is told the directory key changed");
    assert.deepEqual(await pinOf(alice), pinned, "alice keeps her pin");
    await alice.sendMessage(ch.id, "still here");
    assert.equal(inGroup(alice, ch.id, phoneId), false, "the phone is not in alice's group");
  },
);

test("directoryTrust: first use pins the active key; a pinned key follows endorsements only; an expired overlap stops verifying", () => {
  const now = 1_000_000;
  const keys = [generateServerSigningKey(), generateServerSigningKey(), generateServerSigningKey()];
  const listed: DirectoryKey[] = keys.map((k, i) => ({ id: `key_${i}`, publicKey: k.publicKey, createdAt: i, verifiesUntil: now + 10, endorsement: null }));
  for (let i = 1; i < listed.length; i++) {
    listed[i]!.endorsement = { by: listed[i - 1]!.id, signature: endorseDirectoryKey(keys[i - 1]!.privateKey, listed[i]!) };
  }
  listed[0]!.verifiesUntil = now - 1; // its overlap is over
  listed[2]!.verifiesUntil = null; // active
  const active = keys[2]!.publicKey;

  const first = directoryTrust(listed, active, undefined, now);
  assert.deepEqual(first.pin, active);
  assert.deepEqual(first.verifiers, [keys[1]!.publicKey, active]);
  assert.equal(first.problem, undefined);

  // Pinned the oldest: the chain 0 -> 1 -> 2 is followed; key 0 no longer verifies bindings.
  const chained = directoryTrust(listed, active, keys[0]!.publicKey, now);
  assert.deepEqual(chained.pin, active);
  assert.deepEqual(chained.verifiers, [keys[1]!.publicKey, active]);

  // A broken link (key 2's endorsement by someone else) stops the chain.
  const forged = listed.map((k) => ({ ...k }));
  forged[2]!.endorsement = { by: "key_1", signature: endorseDirectoryKey(generateServerSigningKey().privateKey, forged[2]!) };
  const broken = directoryTrust(forged, active, keys[0]!.publicKey, now);
  assert.equal(broken.problem, "directory_key_changed");
  assert.deepEqual(broken.pin, keys[0]!.publicKey);
  assert.deepEqual(broken.verifiers, [keys[0]!.publicKey]);

  // An endorsement of different fields (the createdAt changed) does not verify either.
  const moved = listed.map((k) => ({ ...k }));
  moved[2]!.createdAt += 1;
  assert.equal(directoryTrust(moved, active, keys[1]!.publicKey, now).problem, "directory_key_changed");
});
