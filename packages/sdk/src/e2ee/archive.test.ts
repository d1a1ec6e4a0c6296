/**
 * Receivers and archive copies (issue 9, ADR 0007), through real SDK clients and a real server:
 * a live message's copy is checked against its MLS payload (a sender whose copy says something
 * else, and a server that strips, cuts or alters stored copies, are shown on the message); a
 * device that holds an epoch's history key reads that epoch's events from their copies with no
 * MLS state (events before it joined, its own sends whose plaintext it lost).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore } from "@parley/crypto";
import { collect, FAST, startLivePair, startOrg, until } from "../testing/e2ee-clients.ts";
import { MemoryStore } from "../store.ts";
import { ParleyClient } from "../client.ts";
import { heldHistoryEpochs, heldHistoryKey, historyKeysOf } from "./history-keys.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** Alice and bob live, bob's device with its store and key store at hand (to resume it later as the same device). */
async function aliceAndBob(t: import("node:test").TestContext) {
  const { server, org } = await startOrg(t);
  const alice = org.owner;
  const bobDevice = { store: new MemoryStore(), keyStore: new MemoryKeyStore() };
  const bob = await org.user("bob", { store: bobDevice.store, e2ee: { ...FAST.e2ee, keyStore: bobDevice.keyStore } });
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));
  return { server, org, alice, bob, bobDevice };
}

test("a copy that disagrees with its message is shown as a fault on it; stripped, cut or altered stored copies are caught at catch-up", async (t) => {
  const { server, alice, bob, bobDevice } = await aliceAndBob(t);
  const ch = await alice.createChannel({ kind: "private", name: "checked", members: [bob.userId] });
  const seen = collect(bob, ch.id);

  await alice.sendMessage(ch.id, "honest");
  await until(() => seen.some((e) => e.text === "honest"), "bob reads the honest message");
  assert.equal(seen.find((e) => e.text === "honest")!.content.archiveFault, undefined, "an honest copy agrees");

  // A sender (a modified client) whose copy says something else than its MLS message.
  const clientId = "two-faced-send-1";
  const live = await alice.e2ee!.encrypt(ch.id, { text: "what bob sees" }, { kind: "message", clientId, archive: true });
  const other = await alice.e2ee!.encrypt(ch.id, { text: "what the archive keeps" }, { kind: "message", clientId, archive: true });
  assert.equal(live.epoch, other.epoch);
  await alice.api.call("sendEvent", {
    params: { channelId: ch.id },
    body: { clientId, kind: "message", content: b64(live.bytes), epoch: live.epoch, archive: b64(other.archive!) },
  });
  await until(() => seen.some((e) => e.clientId === clientId), "bob gets the two-faced message");
  const twoFaced = seen.find((e) => e.clientId === clientId)!;
  assert.equal(twoFaced.text, "what bob sees", "the live copy is shown");
  assert.equal(twoFaced.content.archiveFault?.reason, "mismatch");

  // Sent with no copy in a shared channel.
  const bare = await alice.e2ee!.encrypt(ch.id, { text: "no copy" }, { kind: "message", clientId: "bare-send-01" });
  await alice.api.call("sendEvent", {
    params: { channelId: ch.id },
    body: { clientId: "bare-send-01", kind: "message", content: b64(bare.bytes), epoch: bare.epoch },
  });
  await until(() => seen.some((e) => e.clientId === "bare-send-01"), "bob gets the message without a copy");
  assert.equal(seen.find((e) => e.clientId === "bare-send-01")!.content.archiveFault?.reason, "missing");

  // A server that alters stored copies while bob is offline: bob's catch-up reads them from the database.
  await bob.close();
  const sends = ["stripped", "cut", "resigned", "flipped", "moved"];
  const clientIds = new Map<string, string>();
  for (const text of sends) clientIds.set(text, (await alice.sendMessage(ch.id, text)).event.clientId);
  const rows = await server.deps.db.selectFrom("events").select(["id", "client_id", "archive"]).where("channel_id", "=", ch.id).execute();
  const row = (text: string) => rows.find((r) => r.client_id === clientIds.get(text))!;
  const bytesOf = (text: string) => new Uint8Array(row(text).archive as Uint8Array);
  const set = (text: string, archive: Uint8Array | null) =>
    server.deps.db
      .updateTable("events")
      .set({ archive: archive === null ? null : Buffer.from(archive) })
      .where("id", "=", row(text).id)
      .execute();
  await set("stripped", null);
  await set("cut", bytesOf("cut").slice(0, 20));
  const resigned = bytesOf("resigned");
  resigned[resigned.length - 1]! ^= 1; // the signature's last byte
  await set("resigned", resigned);
  const flipped = bytesOf("flipped");
  flipped[30]! ^= 1; // inside the ciphertext: the signature covers it
  await set("flipped", flipped);
  const moved = bytesOf("moved");
  moved[8]! ^= 1; // the framing's epoch (u64 after the version byte)
  await set("moved", moved);

  const bobAgain = await ParleyClient.resume({ ...FAST, store: bobDevice.store, e2ee: { ...FAST.e2ee, keyStore: bobDevice.keyStore } });
  t.after(() => bobAgain.close());
  const again = collect(bobAgain, ch.id);
  bobAgain.connect();
  await until(() => sends.every((s) => again.some((e) => e.text === s)), "bob's device catches up and reads the five sends from MLS");
  const faults = Object.fromEntries(sends.map((s) => [s, again.find((e) => e.text === s)!.content.archiveFault?.reason]));
  assert.deepEqual(faults, { stripped: "missing", cut: "truncated", resigned: "bad_signature", flipped: "bad_signature", moved: "wrong_epoch" });
});

test("a device holding an epoch's history key reads that epoch from archive copies with no MLS state: before it joined, and its own lost sends", async (t) => {
  const { org } = await startOrg(t);
  const stores = { carol: new MemoryKeyStore() };
  const alice = org.owner;
  const carol = await org.user("carol", { e2ee: { ...FAST.e2ee, keyStore: stores.carol } });
  for (const c of [alice, carol]) c.connect();
  await Promise.all([alice, carol].map((c) => c.waitUntilLive()));
  const aliceKs = alice.e2ee!.identity.keyStore;
  // joined: nothing is handed to carol when she is added (the keys are copied by hand below, as the locker would).
  const ch = await alice.createChannel({ kind: "private", name: "before-carol", history: "joined" });
  await alice.sendMessage(ch.id, "before carol joined");
  await alice.react(ch.id, 1, "👍").catch(() => undefined);
  const before = await heldHistoryEpochs(aliceKs, ch.id, 0);
  assert.ok(before.length > 0);

  await alice.addMembers(ch.id, [carol.userId]);
  const seen = collect(carol, ch.id);
  await alice.sendMessage(ch.id, "after carol joined");
  await until(() => seen.some((e) => e.text === "after carol joined"), "carol reads the live message");
  const { events } = await carol.api.call("listEvents", { params: { channelId: ch.id }, query: { after: 0 } });
  const carolFirst = Math.min(...(await heldHistoryEpochs(stores.carol, ch.id, 0)));
  const early = events.find((e) => e.kind === "message" && e.epoch < carolFirst)!;
  const decoded = async (c: ParleyClient, e: typeof early) => (await c.decode([e]))[0]!.content;
  assert.equal((await decoded(carol, early)).decodeReason, "history_unavailable", "without the key, the earlier message is history this device never had");

  // Hand carol the keys of the epochs before she joined.
  await historyKeysOf(stores.carol).add(
    ch.id,
    0,
    await Promise.all(before.map(async (e) => ({ epoch: e, key: (await heldHistoryKey(aliceKs, ch.id, 0, e))! }))),
  );
  const read = await decoded(carol, early);
  assert.equal(read.text, "before carol joined", "read from its archive copy");
  assert.equal(read.archiveFault, undefined);

  // Alice's own send, on a device whose local history was lost (same keys, fresh store).
  const session = alice.session!;
  await alice.close();
  const store = new MemoryStore();
  await store.saveSession(session);
  const restarted = await ParleyClient.resume({ ...FAST, store, e2ee: { ...FAST.e2ee, keyStore: aliceKs } });
  t.after(() => restarted.close());
  const own = events.find((e) => e.clientId === early.clientId)!;
  const mine = await decoded(restarted, own);
  assert.equal(mine.text, "before carol joined", "its own send, read from the copy");
});

test("where content must be MLS, a send without a copy in a channel that keeps them is refused, and the client sends it again with one", async (t) => {
  const { server, alice, bob } = await startLivePair(t);
  const ch = await alice.createChannel({ kind: "private", name: "switched", members: [bob.userId], history: "device-only" });
  const seen = collect(bob, ch.id);
  const none = await alice.sendMessage(ch.id, "device-only");
  assert.equal(none.event.archive, undefined);

  // The policy becomes shared behind alice's back (no channel.updated reaches her client).
  await server.deps.db.updateTable("channels").set({ history: "shared" }).where("id", "=", ch.id).execute();
  const sent = await alice.sendMessage(ch.id, "now kept");
  assert.ok(sent.event.archive, "encrypted again with its archive copy");
  await until(() => seen.some((e) => e.text === "now kept"), "bob reads it");
  assert.equal(seen.find((e) => e.text === "now kept")!.content.archiveFault, undefined, "and its copy agrees");
  const rows = await server.deps.db
    .selectFrom("events")
    .select(["client_id", "archive"])
    .where("channel_id", "=", ch.id)
    .where("kind", "=", "message")
    .execute();
  assert.deepEqual(
    rows.map((r) => r.archive !== null),
    [false, true],
    "nothing was stored without the copy",
  );
});

test("fast history: a new device holding the past keys opens none of a 60-event backlog in its timeline, reads every page of it from archive copies, and reads what follows through MLS", async (t) => {
  const { org, alice } = await startLivePair(t);
  const recoveryKey = await alice.e2ee!.locker.setUp();
  const ch = await alice.createChannel({ kind: "private", name: "backlog" });
  for (let i = 1; i <= 60; i++) await alice.sendMessage(ch.id, `backlog ${i}`);
  await alice.idle();
  await alice.e2ee!.locker.flush();

  // A new device of alice's restores her locker before it connects: it holds every past key when its timeline starts.
  const phone = await org.device("alice", { e2ee: { ...FAST.e2ee, keyStore: new MemoryKeyStore() } });
  await phone.e2ee!.locker.restore(recoveryKey);
  const delivered = collect(phone, ch.id);
  const unavailable: number[] = [];
  phone.on("historyUnavailable", (n) => unavailable.push(n.beforeSeq));
  phone.connect();
  await phone.waitUntilLive();
  await until(() => phone.e2ee!.members(ch.id) !== undefined, "the phone joins the group");
  await alice.sendMessage(ch.id, "after the phone joined");
  await until(() => delivered.some((e) => e.text === "after the phone joined"), "the live message arrives through MLS");
  await phone.idle();
  assert.deepEqual(
    delivered.filter((e) => e.kind === "message").map((e) => e.text),
    ["after the phone joined"],
    "the backlog went past the timeline unopened: it is read with the pages that show it",
  );
  assert.deepEqual(unavailable, [], "nothing is reported unreadable: the device holds the keys");

  // Pages, newest first, as the app and the CLI read them.
  const texts: string[] = [];
  for (let before: number | undefined; ;) {
    const page = await phone.history(ch.id, { limit: 25, ...(before ? { before } : {}) });
    texts.unshift(...page.events.filter((e) => e.kind === "message").map((e) => e.text ?? `!${e.content.decodeReason}`));
    if (!page.hasMore || page.events.length === 0) break;
    before = page.events[0]!.seq;
  }
  assert.deepEqual(texts, [...Array.from({ length: 60 }, (_, i) => `backlog ${i + 1}`), "after the phone joined"]);
});

test("fast history for a returning member: messages of epochs that end within its backlog are read from their copies, MLS opens the commits and what follows the last", async (t) => {
  const { server, alice, bob, bobDevice } = await aliceAndBob(t);
  const ch = await alice.createChannel({ kind: "private", name: "backlog", members: [bob.userId] });
  const first = collect(bob, ch.id);
  await alice.sendMessage(ch.id, "before bob went away");
  // Shown before bob goes away (being in the group is not enough: the message may still be on its
  // way, and then it is new to the device when it comes back): it must not be shown again.
  await until(() => first.some((e) => e.text === "before bob went away"), "bob reads the message");
  await bob.idle();
  await bob.close();

  // Away: 250 messages (more than the 200 generations MLS may skip at once), a new epoch, 250 more, another, and 20.
  const clientIds = new Map<string, string>();
  const say = async (from: number, n: number) => {
    for (let i = 0; i < n; i += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
          const text = `m${from + i + k}`;
          clientIds.set(text, (await alice.sendMessage(ch.id, text)).event.clientId);
        }),
      );
  };
  await say(0, 250);
  await alice.e2ee!.selfUpdate(ch.id);
  await say(250, 250);
  await alice.e2ee!.selfUpdate(ch.id);
  await say(500, 20);
  await alice.idle();
  // A server that alters the MLS message of one event in an ended epoch and one in the last: the
  // first is read from its (intact) copy, the second still goes through MLS and is refused.
  const rows = await server.deps.db.selectFrom("events").select(["id", "client_id", "content"]).where("channel_id", "=", ch.id).execute();
  for (const text of ["m100", "m510"]) {
    const row = rows.find((r) => r.client_id === clientIds.get(text))!;
    const content = Buffer.from(row.content as Uint8Array);
    content[content.length - 5]! ^= 1;
    await server.deps.db.updateTable("events").set({ content }).where("id", "=", row.id).execute();
  }

  const bobAgain = await ParleyClient.resume({ ...FAST, store: bobDevice.store, e2ee: { ...FAST.e2ee, keyStore: bobDevice.keyStore } });
  t.after(() => bobAgain.close());
  const again = collect(bobAgain, ch.id);
  bobAgain.connect();
  await until(() => again.filter((e) => e.kind === "message").length >= 520, "bob's device goes through the backlog", 60_000);
  const messages = again.filter((e) => e.kind === "message");
  const unreadable = messages.filter((e) => e.content.decodeError).map((e) => e.text ?? e.clientId);
  assert.equal(unreadable.length, 1, `only the altered message of the last epoch: ${unreadable.join(", ")}`);
  assert.ok(messages.find((e) => e.clientId === clientIds.get("m510"))!.content.decodeError, "m510 (the last epoch) went through MLS");
  assert.deepEqual(
    messages.filter((e) => !e.content.decodeError).map((e) => e.text),
    Array.from({ length: 520 }, (_, i) => `m${i}`).filter((s) => s !== "m510"),
    "in order; m100 read from its copy",
  );
});
