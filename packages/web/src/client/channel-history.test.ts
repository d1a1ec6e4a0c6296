/**
 * A channel's history in the app holds one copy per event. A page of history
 * fetched before the device processed the newest events (its Welcome still on
 * its way, a backlog after a reload) holds them undecrypted; the decrypted
 * copy the device delivers a moment later must replace it, or the message
 * stays "Unable to decrypt" until a reload. Real server, real clients.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { collect, startOrg, until } from "../../../sdk/src/testing/e2ee-clients.ts";
import { toReceivedEvent, type ReceivedEvent } from "@parley/sdk";
import { ChannelHistory } from "./channel-history.ts";

test("a decrypted copy replaces the undecrypted one a history page brought in; never the other way round", async (t) => {
  const { org } = await startOrg(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  alice.connect();
  await alice.waitUntilLive();
  const ch = await alice.createChannel({ kind: "private", name: "team", members: [bob.userId] });
  await alice.sendMessage(ch.id, "warm-up");

  // What the web worker answers for a page (older()) while Bob's device has not processed the channel yet.
  const page = await bob.api.call("listEvents", { params: { channelId: ch.id }, query: { before: 1_000_000, limit: 100 } });
  const early = await bob.decode(page.events);
  const h = new ChannelHistory(ch.id);
  h.addOlder(early, page.hasMore);
  assert.equal(h.messages().length, 1);
  assert.ok(h.messages()[0]!.decodeError, "the page holds the message undecrypted");

  const live = collect(bob, ch.id);
  bob.connect();
  await until(() => live.some((e) => e.text === "warm-up"), "Bob's device decrypts the message");
  const message = live.find((e) => e.text === "warm-up")!;
  assert.equal(h.add(message), true, "the decrypted copy replaces the undecrypted one");
  assert.deepEqual(
    h.messages().map((m) => [m.text, m.decodeError]),
    [["warm-up", undefined]],
  );

  assert.equal(h.add(message), false, "the same copy again changes nothing");
  h.addOlder(early, page.hasMore);
  assert.deepEqual(
    h.messages().map((m) => [m.text, m.decodeError]),
    [["warm-up", undefined]],
    "an undecrypted copy never replaces a decrypted one",
  );
});

test("events from before this device joined are no rows (the note says why) until past keys arrive; then their decrypted copies are", async (t) => {
  const { org } = await startOrg(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));
  const ch = await alice.createChannel({ kind: "private", name: "later", history: "joined" });
  await alice.sendMessage(ch.id, "before bob");
  await alice.addMembers(ch.id, [bob.userId]);
  const live = collect(bob, ch.id);
  await alice.sendMessage(ch.id, "after bob");
  await until(() => live.some((e) => e.text === "after bob"), "bob reads what follows");

  const h = new ChannelHistory(ch.id);
  const page = await bob.history(ch.id);
  h.addOlder(page.events, page.hasMore);
  assert.deepEqual(
    h.messages().map((m) => m.text),
    ["after bob"],
    "the unreadable earlier message is not a row",
  );
  const before = page.events.find((e) => e.kind === "message" && e.content.decodeReason === "history_unavailable")!;
  assert.equal(h.historyStartsAt, before.seq + 1);
  assert.equal(h.hasOlder, false);

  h.keysArrived();
  assert.equal(h.historyStartsAt, undefined);
  // A decrypted copy of the earlier message (as a device that received the keys reads it) is a row.
  h.addOlder([{ ...before, text: "before bob", content: { text: "before bob" } }], false);
  assert.deepEqual(
    h.messages().map((m) => m.text),
    ["before bob", "after bob"],
  );
});

test("retention: events below the floor go and never come back; the top of the history is reached at the floor", () => {
  const ev = (seq: number, kind: ReceivedEvent["kind"], text?: string, target: number | null = null): ReceivedEvent => {
    const raw = {
      id: `e${seq}`,
      channelId: "c",
      seq,
      clientId: `c-${seq}`,
      senderId: "u",
      senderDeviceId: "d",
      kind,
      epoch: 0,
      generation: 0,
      content: "",
      threadRoot: null,
      target,
      mentions: [],
      files: [],
      createdAt: seq,
    };
    return toReceivedEvent(raw, text === undefined ? {} : { text }, "u");
  };
  const h = new ChannelHistory("c");
  h.addOlder([ev(1, "commit"), ev(2, "message", "old one"), ev(3, "message", "old two"), ev(4, "reaction", undefined, 3)], true);
  for (const e of [ev(5, "commit"), ev(6, "message", "fresh"), ev(7, "edit", "fresh, edited", 6)]) h.add(e);
  assert.deepEqual(
    h.messages().map((m) => m.text),
    ["old one", "old two", "fresh, edited"],
  );
  const version = h.version;
  h.purgeBelow(6);
  assert.ok(h.version > version, "views re-render");
  assert.deepEqual(
    h.messages().map((m) => m.text),
    ["fresh, edited"],
  );
  assert.equal(h.retentionFloor, 6);
  assert.equal(h.hasOlder, false, "nothing older is left to page in");
  assert.equal(h.event(2), undefined);
  // A late copy (live or from a page) below the floor is not taken in again; a lower floor changes nothing.
  assert.equal(h.add(ev(3, "message", "old two")), false);
  h.addOlder([ev(2, "message", "old one")], false);
  h.purgeBelow(4);
  assert.deepEqual(
    h.messages().map((m) => m.text),
    ["fresh, edited"],
  );
  // A history that had not paged that far back keeps paging, down to the floor.
  const later = new ChannelHistory("c");
  later.add(ev(9, "message", "newest"));
  later.purgeBelow(6);
  assert.equal(later.hasOlder, true);
  later.addOlder([ev(5, "commit"), ev(6, "message", "fresh"), ev(8, "message", "eight")], true);
  assert.equal(later.hasOlder, false, "the page reached below the floor");
  assert.deepEqual(
    later.messages().map((m) => m.text),
    ["fresh", "eight", "newest"],
  );
});
