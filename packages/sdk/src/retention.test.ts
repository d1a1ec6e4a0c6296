/**
 * Retention on the devices (issue 11): once the server's retention run removed a channel's old
 * events and moved its floor, a connected device deletes its copies below the floor (stored events,
 * sealed decrypted content, search entries) and says so (`channel.purged`); a device that was
 * offline during the run does the same when it reconnects; and a device that joins afterwards syncs
 * past the holes retention left (MLS commits stay on the server, the messages between them do not).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { MemoryKeyStore } from "@parley/crypto";
import { DIALECTS } from "@parley/server/testing/harness";
import { backdateEvents, runRetentionNow } from "@parley/server/testing/retention";
import { FAST, collect, startOrg, until } from "./testing/e2ee-clients.ts";
import { ParleyClient } from "./client.ts";
import { FileStore } from "./node.ts";
import type { StoreSnapshot } from "./store.ts";
import { MemorySearchIndexStore, MessageSearch } from "./search.ts";
import type { PurgeNotice } from "./retention.ts";

const CONTENT = new Set(["message", "reaction", "edit", "delete", "keys"]);

for (const dialect of DIALECTS) {
  test(`devices purge what retention removed, also after being offline, and new members sync past it (${dialect})`, { timeout: 120_000 }, async (t) => {
    const { server, org } = await startOrg(t, {}, { dialect, config: { checkMlsFraming: true } });
    const alice = org.owner;
    const bob = await org.user("bob");
    // Carol's device keeps its store (a file, as the CLI's) and keys across a restart (she is offline during the run).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-retention-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const carolKeys = new MemoryKeyStore();
    const carol = await org.user("carol", { store: await FileStore.open(dir, { debounceMs: 10 }), e2ee: { ...FAST.e2ee, keyStore: carolKeys } });
    for (const c of [alice, bob, carol]) c.connect();
    await Promise.all([alice, bob, carol].map((c) => c.waitUntilLive()));

    const general = await alice.createChannel({ kind: "private", name: "general" });
    await alice.addMembers(general.id, [bob.userId, carol.userId]);
    await until(() => bob.e2ee!.members(general.id) !== undefined && carol.e2ee!.members(general.id) !== undefined, "bob and carol join the group");
    const bobSeen = collect(bob, general.id);
    const old = [
      await alice.sendMessage(general.id, "the old quokka plan"),
      await bob.sendMessage(general.id, "an old quokka reply"),
      await alice.sendMessage(general.id, "old wombat notes"),
    ].map((r) => r.event.seq);
    await alice.react(general.id, old[0]!, "👍");
    await until(() => bobSeen.filter((e) => e.kind === "message").length === 3, "bob reads the old messages");
    const bobIndex = await MessageSearch.open(bob, new MemorySearchIndexStore());
    t.after(() => bobIndex.close());
    const carolIndexStore = new MemorySearchIndexStore();
    const carolIndex = await MessageSearch.open(carol, carolIndexStore);
    await bobIndex.backfill(bob, [general.id]);
    await carolIndex.backfill(carol, [general.id]);
    assert.equal(bobIndex.search("quokka").length, 2);
    assert.equal(carolIndex.search("quokka").length, 2);
    await Promise.all([bob.idle(), carol.idle()]);
    assert.ok(await carol.store.getDecrypted(general.id, old[0]!), "carol keeps what she decrypted");

    // Carol goes offline; everything so far is 40 days old; one fresh message; a 30-day policy runs.
    await carolIndex.save();
    carolIndex.close();
    await carol.close();
    const last = (await alice.api.call("listEvents", { params: { channelId: general.id }, query: { limit: 1 } })).events[0]!.seq;
    await backdateEvents(
      server,
      general.id,
      Array.from({ length: last }, (_, i) => i + 1),
      40,
    );
    const fresh = (await alice.sendMessage(general.id, "a fresh quokka")).event.seq;
    await until(() => bobSeen.some((e) => e.seq === fresh), "bob reads the fresh message");
    await alice.api.call("setRetention", { body: { eventsDays: 30, filesDays: null, auditDays: null } });
    const purged = bob.next("channel.purged", (n: PurgeNotice) => n.channelId === general.id, 30_000);
    const run = await runRetentionNow(server, alice.session!.orgId);
    assert.ok(run.eventsDeleted >= 4, `three messages and a reaction (and history keys) removed: ${run.eventsDeleted}`);
    const floor = (await alice.api.call("getChannel", { params: { channelId: general.id } })).retentionFloor;
    assert.equal(floor, fresh);

    // Bob, connected, is told and purges: store, decrypted copies, search; the server no longer has them either.
    assert.deepEqual(await purged, { channelId: general.id, floor });
    await bob.idle();
    assert.equal(bob.retentionFloor(general.id), floor);
    const bobEvents = await bob.store.listEvents(general.id);
    assert.ok(
      bobEvents.every((e) => e.seq >= floor),
      `bob's store keeps nothing below ${floor}: ${bobEvents.map((e) => e.seq).join(",")}`,
    );
    for (const seq of old) assert.equal(await bob.store.getDecrypted(general.id, seq), undefined);
    assert.deepEqual(
      bobIndex.search("quokka").map((h) => h.text),
      ["a fresh quokka"],
    );
    assert.equal(bobIndex.search("wombat").length, 0);
    const page = await bob.history(general.id);
    assert.deepEqual(
      page.events.filter((e) => e.kind === "message").map((e) => e.text),
      ["a fresh quokka"],
    );
    assert.ok(
      page.events.every((e) => e.seq >= floor || !CONTENT.has(e.kind)),
      "below the floor only MLS handshakes remain",
    );

    // Carol reconnects: the channel.updated item she missed makes her device purge too, and her index with it.
    const onDisk = () => JSON.parse(fs.readFileSync(path.join(dir, "parley-store.json"), "utf8")) as StoreSnapshot;
    assert.ok(
      onDisk().decrypted![general.id]!.some((r) => r.seq === old[0]),
      "the file holds her decrypted copies",
    );
    const carolStore = await FileStore.open(dir, { debounceMs: 10 });
    const back = await ParleyClient.resume({ ...FAST, store: carolStore, e2ee: { ...FAST.e2ee, keyStore: carolKeys } });
    t.after(() => back.close());
    const carolSearch = await MessageSearch.open(back, carolIndexStore);
    t.after(() => carolSearch.close());
    assert.equal(carolSearch.search("quokka").length, 2, "the saved index still holds them before the device learns the floor");
    const carolPurged = back.next("channel.purged", (n: PurgeNotice) => n.channelId === general.id, 30_000);
    back.connect();
    await back.waitUntilLive();
    assert.deepEqual(await carolPurged, { channelId: general.id, floor });
    await until(() => back.retentionFloor(general.id) === floor, "carol's device applies the floor");
    await back.idle();
    assert.ok((await carolStore.listEvents(general.id)).every((e) => e.seq >= floor));
    for (const seq of old) assert.equal(await carolStore.getDecrypted(general.id, seq), undefined);
    await carolStore.flush();
    const file = onDisk();
    assert.ok(file.events[general.id]!.every((e) => e.seq >= floor) && file.decrypted![general.id]!.every((r) => r.seq >= floor), "nor does the file");
    assert.equal(carolSearch.search("wombat").length, 0, "nothing of the removed messages is found");
    await carolSearch.backfill(back, [general.id]);
    assert.deepEqual(
      carolSearch.search("quokka").map((h) => h.text),
      ["a fresh quokka"],
    );
    // A reopened index applies the floors the client already knows.
    await carolSearch.save();
    const reopened = await MessageSearch.open(back, carolIndexStore);
    t.after(() => reopened.close());
    assert.equal(reopened.search("wombat").length, 0);

    // A member added after the run syncs from seq 0 past the holes (commits kept, messages gone) and reads on.
    const dave = await org.user("dave");
    dave.connect();
    await dave.waitUntilLive();
    const daveSeen = collect(dave, general.id);
    await alice.addMembers(general.id, [dave.userId]);
    await until(() => dave.e2ee!.members(general.id) !== undefined, "dave joins the group");
    const after = (await alice.sendMessage(general.id, "welcome dave")).event.seq;
    await until(() => daveSeen.some((e) => e.seq === after), "dave's sync is not stuck below the floor");
    assert.equal(daveSeen.find((e) => e.seq === after)!.text, "welcome dave");
    assert.ok(daveSeen.every((e) => e.seq >= floor || !CONTENT.has(e.kind)));
  });
}
