/**
 * History across restarts: MLS keys are single-use, so what a device
 * decrypted (and what it sent) is kept sealed in its local store. A new
 * client on the same FileStore + key store reads the same history — other
 * users' messages and its own — and no file on disk holds the plaintext.
 * Events that were waiting for a Welcome when the process exited are
 * processed on the next run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { FileStore, openDeviceKeyStore } from "../node.ts";
import { ParleyClient, type ClientOptions } from "../client.ts";
import { Timeline } from "../timeline.ts";
import { FAST, collect, makeOrg, until } from "../testing/e2ee-clients.ts";

async function profile(dir: string, e2ee: ClientOptions["e2ee"] = FAST.e2ee): Promise<ClientOptions & { store: FileStore }> {
  return { ...FAST, store: await FileStore.open(dir, { debounceMs: 10 }), e2ee: { ...e2ee, keyStore: await openDeviceKeyStore(dir) } };
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) hits.push(file);
  }
  return hits;
}

test("a restarted client reads its decrypted history and its own messages from the sealed cache; no plaintext on disk", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-history-"));
  const aliceDir = path.join(root, "alice");
  const canary = `canary-${randomBytes(8).toString("hex")}`;

  const org = await makeOrg(server.url, await profile(aliceDir));
  t.after(() => org.closeAll());
  const alice = org.owner;
  const bob = await org.user("bob");
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  const ch = await alice.createChannel({ kind: "private", name: "team", members: [bob.userId] });
  const seenAlice = collect(alice, ch.id);
  const seenBob = collect(bob, ch.id);
  const root1 = await alice.sendMessage(ch.id, `from alice ${canary}`);
  await until(() => seenBob.length >= 1, "bob reads alice");
  await bob.reply(ch.id, root1.event.seq, `from bob ${canary}`);
  await bob.react(ch.id, root1.event.seq, "👍");
  await until(() => seenAlice.filter((e) => !e.own).length >= 2, "alice reads bob's reply and reaction");
  await alice.edit(ch.id, root1.event.seq, `edited ${canary}`);
  // Sent, then the process stops right away: the echo may not be processed; its sealed plaintext is kept.
  await alice.sendMessage(ch.id, `last words ${canary}`);
  await alice.close();
  await alice.store.close();

  const again = await ParleyClient.resume(await profile(aliceDir));
  t.after(async () => {
    await again.close();
    await again.store.close();
  });
  again.connect();
  await again.waitUntilLive();
  await again.idle();
  const { events } = await again.history(ch.id);
  const tl = new Timeline(ch.id);
  tl.applyAll(events);
  const top = tl.messages();
  assert.deepEqual(
    top.map((m) => m.text),
    [`edited ${canary}`, `last words ${canary}`],
  );
  assert.equal(top[0]!.edited, true);
  assert.deepEqual([...(top[0]!.reactions.get("👍") ?? [])], [bob.userId]);
  assert.deepEqual(
    tl.thread(root1.event.seq).map((m) => m.text),
    [`from bob ${canary}`],
  );
  for (const e of events.filter((x) => x.kind === "message" || x.kind === "edit")) {
    assert.equal(e.content.decodeError, undefined, `#${e.seq} (${e.own ? "own" : "bob's"}) decoded from the cache`);
  }
  await again.store.flush();
  assert.deepEqual(filesContaining(aliceDir, canary), [], "the profile holds no plaintext");
  assert.deepEqual(filesContaining(aliceDir, "from bob"), []);
  // After hooks run in registration order: clients (and their last store writes) first.
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
});

test("a message waiting for its Welcome when the process stopped is decrypted on the next run", async (t) => {
  const server = await startTestServer();
  t.after(() => server.stop());
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "parley-backlog-"));
  const carolDir = path.join(root, "carol");
  const org = await makeOrg(server.url);
  t.after(() => org.closeAll());
  const alice = org.owner;
  alice.connect();
  await alice.waitUntilLive();
  // Carol's first run never joins by external commit: it only waits for the Welcome.
  const carol = await org.user("carol", await profile(carolDir, { ...FAST.e2ee, joinWaitMs: 60_000 }));
  const ch = await alice.createChannel({ kind: "private", name: "late", members: [carol.userId] });
  const sent = await alice.sendMessage(ch.id, "while you were away");
  // What the sync engine does for the channel (store, cursor, engine) — but the user stream, with
  // the Welcome, is not read before the process stops: the message stays queued, waiting.
  const { events } = await alice.api.call("listEvents", { params: { channelId: ch.id }, query: { after: 0 } });
  await carol.store.appendEvents(ch.id, events);
  await carol.store.setChannelCursor(ch.id, sent.event.seq);
  await carol.e2ee!.receive(ch.id, events);
  await carol.idle();
  assert.equal(carol.e2ee!.epochOf(ch.id), undefined, "no group yet: the message waits");
  await carol.close();
  await carol.store.close();

  const next = await ParleyClient.resume(await profile(carolDir));
  t.after(async () => {
    await next.close();
    await next.store.close();
  });
  const seen = collect(next, ch.id);
  next.connect();
  await until(() => seen.some((e) => e.text === "while you were away"), "carol decrypts the waiting message after the restart");
  const [decoded] = await next.decode([events.find((e) => e.seq === sent.event.seq)!]);
  assert.equal(decoded!.text, "while you were away");
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
});
