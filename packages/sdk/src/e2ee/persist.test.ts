/**
 * Group states are saved per batch (persist.ts), so a crash can leave on disk a
 * state older than what the device did. These tests crash real clients (FileStore +
 * encrypted key store on disk) mid-stream and restart them from a copy of their
 * profile taken at that instant — never closed, so nothing was saved on the way out:
 * - a sender restarted from a state older than its last sends never reuses a sending
 *   generation (the receiver's MLS would refuse it as a replay);
 * - a receiver processes the events after its saved position again: each message
 *   shows exactly once (nothing already in its sealed history is reported again),
 *   nothing is undecryptable, and the group keeps working both ways.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestServer } from "@parley/server/testing/harness";
import { FileStore, openDeviceKeyStore } from "../node.ts";
import { ParleyClient, type ClientOptions } from "../client.ts";
import type { UndecryptableNotice } from "./engine.ts";
import { decodeChannelRecord } from "./persist.ts";
import { FAST, collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

/**
 * A profile on disk whose group states are saved only every `maxEvents` messages (and
 * never by the clock); its local store writes `debounceMs` after a change, or when flushed.
 */
async function profile(dir: string, maxEvents: number, debounceMs = 10): Promise<ClientOptions & { store: FileStore }> {
  return {
    ...FAST,
    store: await FileStore.open(dir, { debounceMs }),
    e2ee: { ...FAST.e2ee, keyStore: await openDeviceKeyStore(dir), persist: { maxEvents, maxDelayMs: 600_000 } },
  };
}

/**
 * What a crash at this instant leaves on disk. The key store is copied before the local
 * store: a group state is saved only after the history it relies on was flushed, and the
 * local store only grows, so a later copy of it is at least as new as the state needs
 * (copying the other way round could pair a newer state with an older history, which no
 * crash can produce).
 */
function crashCopy(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  fs.cpSync(path.join(from, "keys.key"), path.join(to, "keys.key"));
  fs.cpSync(path.join(from, "keys"), path.join(to, "keys"), { recursive: true });
  fs.cpSync(path.join(from, "parley-store.json"), path.join(to, "parley-store.json"));
}

/** The position saved with the channel's group state in the profile at `dir`. */
async function savedSeq(dir: string, channelId: string): Promise<number> {
  const raw = await (await openDeviceKeyStore(dir)).get(`sdk/group/${channelId}`);
  const record = raw && decodeChannelRecord(raw);
  assert.ok(record, "a group state is saved");
  return record.meta.processedSeq;
}

/** Seqs of the channel's events whose decrypted copy is sealed in the profile's local store. */
function sealedSeqs(dir: string, channelId: string): Set<number> {
  const snapshot = JSON.parse(fs.readFileSync(path.join(dir, "parley-store.json"), "utf8")) as { decrypted?: Record<string, { seq: number }[]> };
  return new Set((snapshot.decrypted?.[channelId] ?? []).map((r) => r.seq));
}

const live = async (...cs: ParleyClient[]) => {
  for (const c of cs) c.connect();
  await Promise.all(cs.map((c) => c.waitUntilLive()));
};

/**
 * A server, and alice (on disk, group states saved only on close) with bob in a live org;
 * `root` is the test's temp directory, alice's profile is `aliceDir` in it.
 */
async function senderSetup(t: TestContext) {
  const server = await startTestServer();
  t.after(() => server.stop());
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-persist-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const aliceDir = path.join(root, "alice");
  const org = await makeOrg(server.url, await profile(aliceDir, 10_000));
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob");
  await live(alice, bob);
  return { root, aliceDir, alice, bob };
}

test("a sender restarted from a state older than its last sends never reuses a generation: the receiver decrypts everything", async (t) => {
  const { root, aliceDir, alice, bob } = await senderSetup(t);
  const ch = await alice.createChannel({ kind: "private", name: "team", members: [bob.userId] });
  const seenBob = collect(bob, ch.id);
  const bad: UndecryptableNotice[] = [];
  bob.on("undecryptable", (n) => bad.push(n));
  const ownEchoes = collect(alice, ch.id);
  const first = await alice.sendMessage(ch.id, "m1");
  for (let i = 2; i <= 5; i++) await alice.sendMessage(ch.id, `m${i}`);
  await until(() => seenBob.length >= 5 && ownEchoes.length >= 5, "bob reads m1..m5, alice processed her echoes");
  await alice.idle();
  await alice.store.flush();
  assert.ok((await savedSeq(aliceDir, ch.id)) < first.event.seq, "alice's saved state predates her sends (the crash window is real)");

  const crashed = path.join(root, "alice-after-crash");
  crashCopy(aliceDir, crashed);
  await alice.close();
  assert.ok((await savedSeq(aliceDir, ch.id)) >= Math.max(...ownEchoes.map((e) => e.seq)), "close() saves the group state with its position");
  const again = await ParleyClient.resume(await profile(crashed, 10_000));
  t.after(() => again.close());
  const seenAgain = collect(again, ch.id);
  await live(again);
  for (let i = 1; i <= 3; i++) await again.sendMessage(ch.id, `after restart ${i}`);
  await until(() => seenBob.length >= 8, "bob reads the messages sent after the restart");
  assert.deepEqual(bad, [], "no message is refused (a reused generation is refused as a replay)");
  assert.deepEqual(texts(seenBob), ["m1", "m2", "m3", "m4", "m5", "after restart 1", "after restart 2", "after restart 3"]);
  await bob.sendMessage(ch.id, "bob answers");
  await until(() => seenAgain.some((e) => e.text === "bob answers"), "the restarted device reads bob");
  const sentBefore = new Set(ownEchoes.map((e) => e.seq));
  assert.deepEqual(texts(seenAgain.filter((e) => sentBefore.has(e.seq))), [], "echoes already in the history are not reported again");
});

// The web app's store (IdbStore) keeps no decrypted history of its own (the app's event cache does):
// after a crash, the own echoes after the saved position are processed again, and MLS cannot
// decrypt one's own messages, so the plaintext copies of sends must outlive their echo until
// a state past it is saved.
test("a sender whose local store keeps no decrypted history, restarted from a state older than its echoes, still reads its own messages", async (t) => {
  const { root, aliceDir, alice, bob } = await senderSetup(t);
  const ch = await alice.createChannel({ kind: "private", name: "own", members: [bob.userId] });
  const ownEchoes = collect(alice, ch.id);
  const first = await alice.sendMessage(ch.id, "mine 1");
  await alice.sendMessage(ch.id, "mine 2");
  await until(() => ownEchoes.length >= 2, "alice processed her echoes");
  await alice.idle();
  await alice.store.flush();
  assert.ok((await savedSeq(aliceDir, ch.id)) < first.event.seq, "alice's saved state predates her echoes");

  const crashed = path.join(root, "alice-after-crash");
  crashCopy(aliceDir, crashed);
  const file = path.join(crashed, "parley-store.json");
  const snapshot = JSON.parse(fs.readFileSync(file, "utf8")) as { decrypted?: unknown };
  delete snapshot.decrypted; // what a store without a durable decrypted history holds
  fs.writeFileSync(file, JSON.stringify(snapshot));
  await alice.close();

  const again = await ParleyClient.resume(await profile(crashed, 10_000));
  t.after(() => again.close());
  const bad: UndecryptableNotice[] = [];
  again.on("undecryptable", (n) => bad.push(n));
  const seen = collect(again, ch.id);
  await live(again);
  await until(() => seen.length >= 2, "the restarted device processes its echoes again");
  await again.idle();
  assert.deepEqual(bad, [], "no own message is unavailable");
  assert.deepEqual(texts(seen), ["mine 1", "mine 2"]);
  const history = await again.history(ch.id, { limit: 50 });
  assert.deepEqual(
    history.events.filter((e) => e.kind === "message").map((e) => e.text),
    ["mine 1", "mine 2"],
  );
});

// The local store writes 10 ms after a change (history on disk usually ahead of the group state), or
// only when flushed (the history on disk is then exactly what the group state saves flushed first).
for (const [debounceMs, what] of [
  [10, "history written soon"],
  [600_000, "history written only before group states"],
] as const) {
  test(`a receiver killed mid-stream (${what}) and restarted from its stores shows every message exactly once; the group keeps working both ways`, (t) =>
    receiverCrash(t, debounceMs));
}

async function receiverCrash(t: TestContext, debounceMs: number): Promise<void> {
  const server = await startTestServer();
  t.after(() => server.stop());
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-persist-"));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const bobDir = path.join(root, "bob");
  const org = await makeOrg(server.url);
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob", await profile(bobDir, 10, debounceMs));
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "stream", members: [bob.userId] });
  const before = collect(bob, ch.id);
  const total = 60;
  const sending = (async () => {
    for (let i = 1; i <= total; i++) await alice.sendMessage(ch.id, `s${i}`);
  })();
  sending.catch(() => undefined); // awaited below; a failure before then must not go unhandled
  await until(() => before.length >= 25, "bob has read part of the stream");

  // The crash: whatever bob's files hold right now, mid-stream. The instant must fall between two
  // saves of the group state (it is saved every 10 events): when it falls exactly on a save, there
  // is nothing to process again, so the crash is taken again after bob's next event.
  let crashed: string, shown: typeof before, saved: number;
  for (let attempt = 1; ; attempt++) {
    // With a store that writes soon after a change, the crash comes right after one of its writes.
    if (debounceMs < 100) await bob.store.flush();
    crashed = path.join(root, `bob-after-crash-${attempt}`);
    crashCopy(bobDir, crashed);
    shown = before.slice(); // what bob had shown when it died
    saved = await savedSeq(crashed, ch.id);
    if (saved < Math.max(...shown.map((e) => e.seq))) break;
    assert.ok(attempt < 5 && before.length < total, `bob had processed events after its saved position (${saved}) at one of 5 instants`);
    const count = before.length;
    await until(() => before.length > count, "bob reads one more message");
  }
  await bob.close();
  const sealed = sealedSeqs(crashed, ch.id);
  if (debounceMs < 100)
    assert.ok(
      [...sealed].some((seq) => seq > saved),
      "some of them are in its sealed history (processed again, not shown again)",
    );

  const again = await ParleyClient.resume(await profile(crashed, 10, debounceMs));
  t.after(() => again.close());
  const after = collect(again, ch.id);
  const bad: UndecryptableNotice[] = [];
  again.on("undecryptable", (n) => bad.push(n));
  await live(again);
  await sending;
  const expected = Array.from({ length: total }, (_, i) => `s${i + 1}`);
  await until(() => expected.every((x) => [...shown, ...after].some((e) => e.text === x)), "every message shows", 30_000);
  await again.idle();
  assert.deepEqual(bad, [], "nothing is undecryptable or a replay");
  assert.deepEqual(
    after.filter((e) => sealed.has(e.seq)).map((e) => e.text),
    [],
    "nothing already in the sealed history is reported again",
  );
  // Shown before the crash but not yet sealed on disk: the restart shows it again (at-least-once), never loses it.
  const shownTwice = after.filter((e) => shown.some((s) => s.seq === e.seq));
  assert.ok(shownTwice.every((e) => !sealed.has(e.seq)));
  assert.equal(new Set(after.map((e) => e.seq)).size, after.length, "no event shows twice after the restart");
  const history = await again.history(ch.id, { limit: 200 });
  const messages = history.events.filter((e) => e.kind === "message");
  assert.deepEqual(messages.map((e) => e.text).sort(), [...expected].sort(), "the history holds every message once, decrypted");

  const seenAlice = collect(alice, ch.id);
  await again.sendMessage(ch.id, "bob is back");
  await until(() => seenAlice.some((e) => e.text === "bob is back"), "alice reads the restarted device");
  await alice.sendMessage(ch.id, "welcome back");
  await until(() => after.some((e) => e.text === "welcome back"), "the restarted device reads alice");
}
