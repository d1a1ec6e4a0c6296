/**
 * The key locker and the recovery key from devices (issue 9, ADR 0007), real clients and server:
 * the first device sets the locker up and gets a recovery key; every device appends the history
 * keys it learns; a new device of the user, with no other device online, restores everything with
 * the recovery key and reads every earlier message (shared and joined channels alike: they were
 * the user's own). A mistyped or wrong key is refused with nothing written; changing the key
 * from a device that reads the locker retires the old one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateRecoveryKey, isE2eeError, MemoryKeyStore } from "@parley/crypto";
import { FAST, startLivePair, until } from "../testing/e2ee-clients.ts";
import type { ParleyClient } from "../client.ts";
import { historyKeysOf } from "./history-keys.ts";

async function readable(c: ParleyClient, channelId: string): Promise<string[]> {
  const { events } = await c.history(channelId, { limit: 200 });
  return events.filter((e) => e.kind === "message").map((e) => (e.content.decodeReason ? `!${e.content.decodeReason}` : e.text!));
}

test("a new device restores every channel's past with the recovery key alone; wrong keys change nothing; a changed key retires the old one", async (t) => {
  const { server, org, alice, bob } = await startLivePair(t);

  assert.deepEqual(await alice.e2ee!.locker.status(), { exists: false, canRead: false });
  const shared = await alice.createChannel({ kind: "private", name: "locker-shared", members: [bob.userId] });
  await alice.sendMessage(shared.id, "said before the locker existed");
  const recoveryKey = await alice.e2ee!.locker.setUp();
  assert.match(recoveryKey, /^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]{4}$/, "14 groups of 4 characters");
  assert.deepEqual(await alice.e2ee!.locker.status(), { exists: true, canRead: true });
  await assert.rejects(alice.e2ee!.locker.setUp(), { code: "already_exists" });

  const dm = await alice.openDm([bob.userId]);
  assert.equal(dm.history, "joined");
  await bob.sendMessage(dm.id, "a DM from bob");
  await alice.sendMessage(shared.id, "said after the locker was set up");
  await alice.e2ee!.selfUpdate(shared.id);
  await bob.sendMessage(shared.id, "bob in a later epoch");
  await alice.idle();
  await alice.e2ee!.locker.flush();
  const entries = await server.deps.db.selectFrom("locker_entries").select(["channel_id"]).where("user_id", "=", alice.userId).execute();
  assert.ok(entries.some((e) => e.channel_id === shared.id) && entries.some((e) => e.channel_id === dm.id), "keys of both channels were appended");

  // Alice's only device goes away; a new one signs in and joins the channels.
  await alice.close();
  const phoneKeys = new MemoryKeyStore();
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: phoneKeys } });
  const keysFor = new Map<string, number>();
  phone.on("historyKeys", (n) => keysFor.set(n.channelId, (keysFor.get(n.channelId) ?? 0) + n.added));
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(shared.id) !== undefined && phone.e2ee!.members(dm.id) !== undefined, "the phone joins both groups");
  assert.deepEqual(await phone.e2ee!.locker.status(), { exists: true, canRead: false });
  assert.ok(
    (await readable(phone, shared.id)).every((t) => t === "!history_unavailable"),
    "nothing earlier is readable yet",
  );

  const typo = recoveryKey.slice(0, -1) + (recoveryKey.endsWith("0") ? "1" : "0");
  await assert.rejects(phone.e2ee!.locker.restore(typo), (err) => isE2eeError(err, "recovery_key_invalid"));
  await assert.rejects(phone.e2ee!.locker.restore(generateRecoveryKey().display), (err) => isE2eeError(err, "recovery_key_wrong"));
  assert.deepEqual(await phoneKeys.list("sdk/locker/"), [], "nothing written on a wrong key");
  assert.equal((await phone.e2ee!.locker.status()).canRead, false);

  const added = await phone.e2ee!.locker.restore(recoveryKey.toLowerCase().replace(/-/g, " "));
  assert.ok(added >= 4, `keys restored: ${added}`);
  assert.ok((keysFor.get(shared.id) ?? 0) > 0 && (keysFor.get(dm.id) ?? 0) > 0, "the app is told per channel");
  assert.deepEqual(await readable(phone, shared.id), ["said before the locker existed", "said after the locker was set up", "bob in a later epoch"]);
  assert.deepEqual(await readable(phone, dm.id), ["a DM from bob"]);

  // A new recovery key from the phone (it reads the locker now): the old one stops working.
  const newKey = await phone.e2ee!.locker.changeRecoveryKey();
  assert.notEqual(newKey, recoveryKey);
  const tabletKeys = new MemoryKeyStore();
  const tablet = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: tabletKeys } });
  await assert.rejects(tablet.e2ee!.locker.restore(recoveryKey), (err) => isE2eeError(err, "recovery_key_wrong"));
  assert.ok((await tablet.e2ee!.locker.restore(newKey)) >= 4);
});

test("a device revoked in the middle of reading the past gets nothing more: no locker entries, no history pages, no key to what follows", async (t) => {
  const { server, org, alice, bob } = await startLivePair(t);
  const ch = await alice.createChannel({ kind: "private", name: "revoked-midway", members: [bob.userId] });
  for (let i = 0; i < 6; i++) await bob.sendMessage(ch.id, `before ${i}`);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  await alice.e2ee!.locker.flush();

  const phoneKeys = new MemoryKeyStore();
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: phoneKeys } });
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(ch.id) !== undefined, "the phone joins the group");
  await phone.e2ee!.locker.restore(recoveryKey);
  const firstPage = await phone.history(ch.id, { limit: 4 });
  const texts = firstPage.events.filter((e) => e.kind === "message").map((e) => e.text ?? `!${e.content.decodeReason}`);
  assert.ok(texts.length >= 2 && texts.every((x) => x.startsWith("before ")), `the newest page reads: ${texts.join(", ")}`);

  // Revoked from the laptop between two pages of its backfill.
  const phoneDevice = phone.session!.deviceId;
  await alice.api.call("revokeDevice", { params: { id: phoneDevice } });
  await assert.rejects(phone.history(ch.id, { before: firstPage.events[0]!.seq, limit: 3 }), { code: "unauthorized" });
  await assert.rejects(phone.api.call("listLockerEntries", { query: {} }), { code: "unauthorized" });

  // What follows is sealed under keys the phone never gets (its leaf is removed first).
  await until(() => !alice.e2ee!.members(ch.id)!.some((m) => m.deviceId === phoneDevice), "the phone's leaf is removed", 20_000);
  const after = await bob.sendMessage(ch.id, "after the revocation");
  const held = await historyKeysOf(phoneKeys).epochs(ch.id, 0);
  assert.ok(!held.includes(after.event.epoch), `the phone holds no key of epoch ${after.event.epoch} (holds ${held.join(", ")})`);
  const copy = (await server.deps.db.selectFrom("events").select("archive").where("id", "=", after.event.id).executeTakeFirstOrThrow()).archive;
  assert.ok(copy, "the copy exists");
  const read = await phone.decode([after.event]);
  assert.equal(read[0]!.text, undefined, "the revoked device reads nothing of it");
});

test("a device that reads the locker and joins a channel's group epochs later looks in the locker again for the keys of the epochs between", async (t) => {
  const { org, alice } = await startLivePair(t);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const ch = await alice.createChannel({ kind: "private", name: "later" });
  await alice.sendMessage(ch.id, "before the restore");
  await alice.idle();
  await alice.e2ee!.locker.flush();

  // The phone restores now, then stays away while the channel moves on to a new epoch.
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await phone.e2ee!.locker.restore(recoveryKey);
  await alice.e2ee!.selfUpdate(ch.id);
  await alice.sendMessage(ch.id, "after the restore, in an epoch the phone never had");
  await alice.idle();
  await alice.e2ee!.locker.flush(); // alice's device appends the new epoch's key

  let fromLocker = 0;
  phone.on("historyKeys", (n) => {
    if (n.channelId === ch.id) fromLocker += n.added;
  });
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(ch.id) !== undefined, "the phone joins the group, at the latest epoch");
  await until(() => fromLocker > 0, "the phone looks in the locker again and finds the missing epoch's key");
  assert.deepEqual(await readable(phone, ch.id), ["before the restore", "after the restore, in an epoch the phone never had"]);
});

test("a device back after a backlog reads the newest messages from their copies with the later epochs' keys from the locker, before its group has decrypted the backlog", async (t) => {
  const { org, alice } = await startLivePair(t);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const ch = await alice.createChannel({ kind: "private", name: "backlog" });
  await alice.sendMessage(ch.id, "before the phone went away");
  await alice.idle();
  await alice.e2ee!.locker.flush();
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await phone.e2ee!.locker.restore(recoveryKey);
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(ch.id) !== undefined, "the phone joins the group");
  await phone.idle();
  await phone.close(); // away: its group stays at this epoch

  await alice.e2ee!.selfUpdate(ch.id);
  await alice.sendMessage(ch.id, "said in an epoch the phone's group has not reached");
  await alice.idle();
  await alice.e2ee!.locker.flush(); // alice's laptop appends the new epoch's key

  // The phone's timeline has not processed the commit: the first page asks the locker, the next reads the copy.
  const first = await readable(phone, ch.id);
  assert.deepEqual(first.slice(-1), ["!not_decrypted"], first.join(" | "));
  let again = first;
  for (let i = 0; i < 100 && again.at(-1)?.startsWith("!"); i++) {
    await new Promise((r) => setTimeout(r, 50));
    again = await readable(phone, ch.id);
  }
  assert.deepEqual(again, ["before the phone went away", "said in an epoch the phone's group has not reached"]);
});
