/**
 * The personal store from two devices of one user (issue 13, ADR 0009), real clients and server:
 * a saved message and a draft written on one device appear on the other (pulled, and live on the
 * server's "personal.items" frame); concurrent edits of one draft converge on the newest; a
 * device without the locker key is refused before anything is sent; and the server's rows hold
 * neither the text nor which channel or message they are about.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { FAST, startLivePair, until } from "./testing/e2ee-clients.ts";
import { assertNotStored } from "./testing/stored-scan.ts";
import { PersonalStore } from "./personal.ts";

test("two devices of one user share saved messages and drafts, converge on the newest draft, and the server stores no plaintext", async (t) => {
  const { server, org, alice, bob } = await startLivePair(t);
  const canary = `cnry${Math.random().toString(36).slice(2)}${Date.now()}`;
  const ch = await alice.createChannel({ kind: "private", name: "saved-here", members: [bob.userId] });
  const sent = await bob.sendMessage(ch.id, `the deploy key is ${canary}`);
  const recoveryKey = await alice.e2ee!.locker.setUp();

  // A second device of alice, which reads the locker after the recovery key.
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  phone.connect();
  await phone.waitUntilLive();
  await assert.rejects(phone.personal.sync(), { code: "locker_unavailable" });
  assert.equal(await server.deps.db.selectFrom("personal_items").select("item_key").executeTakeFirst(), undefined, "nothing written");
  await phone.e2ee!.locker.restore(recoveryKey);
  await phone.personal.sync();
  const phoneChanges: string[] = [];
  phone.personal.onChange((kind) => phoneChanges.push(kind));

  // Saved on the laptop: the phone hears of it live and lists it, opened.
  const saved = await alice.personal.save({ channelId: ch.id, seq: sent.event.seq, senderId: bob.userId, text: `the deploy key is ${canary}` });
  assert.equal(saved.preview, `the deploy key is ${canary}`);
  await until(() => phone.personal.saved().length === 1, "the phone syncs the saved message on the live frame");
  assert.deepEqual(phone.personal.saved(), [saved]);
  assert.ok(phoneChanges.includes("saved"));
  assert.equal(await phone.personal.isSaved(ch.id, sent.event.seq), true);
  assert.equal(await phone.personal.isSaved(ch.id, sent.event.seq + 1), false);

  // A draft typed on the phone appears on the laptop.
  await phone.personal.setDraft(ch.id, `draft mentioning ${canary}`);
  await until(() => alice.personal.drafts().length === 1, "the laptop syncs the draft");
  assert.equal((await alice.personal.draft(ch.id))?.text, `draft mentioning ${canary}`);

  // Both edit the draft; the laptop's clock says later. The phone's older write is refused and it adopts the laptop's.
  const laptopTs = Date.now() + 60_000;
  const laptop = new PersonalStore({
    api: alice.api,
    owner: () => ({ orgId: alice.session!.orgId, userId: alice.userId }),
    lockerPrivateKey: async () => (await alice.e2ee!.locker.secrets())?.lockerPrivateKey,
    now: () => laptopTs,
  });
  await laptop.setDraft(ch.id, "the laptop's later words");
  const won = await phone.personal.setDraft(ch.id, "the phone's earlier words");
  assert.equal(won?.text, "the laptop's later words");
  assert.equal((await phone.personal.draft(ch.id))?.text, "the laptop's later words");
  await alice.personal.sync();
  assert.equal((await alice.personal.draft(ch.id))?.text, "the laptop's later words");

  // A thread draft is its own item; sending (empty text) deletes a draft everywhere.
  await alice.personal.setDraft(ch.id, "in the thread", sent.event.seq);
  await phone.personal.sync();
  assert.equal((await phone.personal.draft(ch.id, sent.event.seq))?.text, "in the thread");
  await alice.personal.setDraft(ch.id, "", sent.event.seq);
  await until(() => phone.personal.drafts().length === 1, "the phone drops the sent thread draft");

  // Synced settings (recent emoji) travel the same way.
  await phone.personal.setSetting("emoji.recent", ["tada", "party-parrot"]);
  await alice.personal.sync();
  assert.deepEqual(await alice.personal.setting("emoji.recent"), ["tada", "party-parrot"]);

  // Unsave on the phone: gone on the laptop too.
  await phone.personal.unsave(ch.id, sent.event.seq);
  await until(() => alice.personal.saved().length === 0, "the laptop drops the unsaved message");

  // The server's rows: sealed bytes under opaque keys; no canary, no channel id, no seq, in any encoding checked.
  const rows = await server.deps.db.selectFrom("personal_items").selectAll().where("user_id", "=", alice.userId).execute();
  assert.ok(rows.length >= 4);
  const stream = await server.deps.db.selectFrom("user_stream").selectAll().where("user_id", "=", alice.userId).where("kind", "=", "personal.items").execute();
  const dump = Buffer.concat([
    ...rows.flatMap((r) => [Buffer.from(r.item_key), Buffer.from(r.sealed ?? new Uint8Array())]),
    ...stream.map((s) => Buffer.from(JSON.stringify(s))),
  ]);
  assertNotStored(dump, [canary, ch.id, `${ch.id}/${sent.event.seq}`]);
});
