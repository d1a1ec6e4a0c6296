/**
 * Reminders from two devices of one user (issue 13, `/remind`), real clients and server: a
 * reminder set on the laptop fires on the laptop live and on the phone, which was offline when
 * it fell due, once it connects; both open the sealed text and target; Done removes it on both;
 * and the server's storage (its whole SQLite file) holds neither the text nor the target.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { MemoryKeyStore } from "@parley/crypto";
import { FAST, startLivePair, until } from "./testing/e2ee-clients.ts";
import { assertNotStored } from "./testing/stored-scan.ts";
import type { ReminderView } from "./reminders.ts";

test("a reminder's text is sealed: it fires on every device of the user, offline ones when they connect, and the server stores no plaintext", async (t) => {
  const { server, org, alice, bob } = await startLivePair(t);
  const canary = `cnry${Math.random().toString(36).slice(2)}${Date.now()}`;
  const ch = await alice.createChannel({ kind: "private", name: "remind-here", members: [bob.userId] });
  const sent = await bob.sendMessage(ch.id, "the release is on friday");
  const recoveryKey = await alice.e2ee!.locker.setUp();

  // The phone: signed in and holding the locker, but not connected when the reminder falls due.
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await phone.e2ee!.locker.restore(recoveryKey);
  const onPhone: ReminderView[] = [];
  phone.reminders.onDue((r) => onPhone.push(r));
  const onLaptop: ReminderView[] = [];
  alice.reminders.onDue((r) => onLaptop.push(r));

  const set = await alice.reminders.create({ dueAt: Date.now() + 1_500, text: `call ${canary} back`, target: { channelId: ch.id, seq: sent.event.seq } });
  assert.equal(set.state, "pending");
  const pending = await alice.reminders.list("pending");
  assert.deepEqual(
    pending.map((r) => [r.id, r.text, r.target]),
    [[set.id, `call ${canary} back`, { channelId: ch.id, seq: sent.event.seq }]],
  );

  await until(() => onLaptop.length === 1, "the laptop hears the reminder fire");
  assert.equal(onLaptop[0]!.id, set.id);
  assert.equal(onLaptop[0]!.text, `call ${canary} back`);
  assert.deepEqual(onLaptop[0]!.target, { channelId: ch.id, seq: sent.event.seq });
  assert.equal(onPhone.length, 0);

  // The phone connects later: the stream replays the item and it opens the note itself.
  phone.connect();
  await phone.waitUntilLive();
  await until(() => onPhone.length === 1, "the phone, offline when it fired, learns it on connect");
  assert.equal(onPhone[0]!.text, `call ${canary} back`);
  const fired = await phone.reminders.list("fired");
  assert.deepEqual(
    fired.map((r) => [r.id, r.state, r.text]),
    [[set.id, "fired", `call ${canary} back`]],
  );

  // Snooze from the phone, then Done from the laptop: gone on both, note included.
  const snoozed = await phone.reminders.snooze(set.id, Date.now() + 3_600_000);
  assert.equal(snoozed.state, "pending");
  assert.equal(snoozed.text, `call ${canary} back`);
  await alice.reminders.dismiss(set.id);
  assert.deepEqual(await phone.reminders.list(), []);
  assert.equal(await phone.personal.reminderNote(set.id), undefined);

  // A reminder that cannot be sealed (a device without the locker) leaves no row behind.
  const bare = await org.device("bob", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await assert.rejects(bare.reminders.create({ dueAt: Date.now() + 60_000, text: "never stored" }), { code: "locker_unavailable" });
  assert.deepEqual((await bare.api.call("listReminders", { query: {} })).reminders, []);

  // The server's whole storage: no canary, no target (channel id and seq), in any encoding checked.
  await server.deps.storage.sqlite!.pragma("wal_checkpoint(TRUNCATE)");
  const files = fs.readdirSync(server.database.dataDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
  const dump = Buffer.concat([...files.map((f) => fs.readFileSync(path.join(f.parentPath, f.name))), Buffer.from(server.logs.join("\n"))]);
  assert.ok(dump.includes(Buffer.from(set.id)), "the scan reads the database (the reminder's id is there)");
  assertNotStored(dump, [canary, `${ch.id}","seq":${sent.event.seq}`]);
});
