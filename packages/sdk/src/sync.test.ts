import { test } from "node:test";
import assert from "node:assert/strict";
import { Event as EventSchema, ServerFrame, type Event, type UserStreamItem } from "@parley/protocol";
import { SyncEngine } from "./sync.ts";

function ev(channelId: string, seq: number): Event {
  // Built through the protocol schema so the unit works on real frame shapes.
  return EventSchema.parse({
    id: `ev_${channelId}_${seq}`,
    channelId,
    seq,
    clientId: `client-${channelId}-${seq}`,
    senderId: "u1",
    senderDeviceId: "d1",
    kind: "message",
    epoch: 0,
    content: btoa(JSON.stringify({ text: `m${seq}` })),
    threadRoot: null,
    target: null,
    mentions: [],
    createdAt: 1,
  });
}

function harness(serverEvents: Record<string, Event[]>, cursors = { user: 0, channels: {} as Record<string, number> }) {
  const delivered: Record<string, number[]> = {};
  const fetches: Array<[string, number]> = [];
  const engine = new SyncEngine({
    cursors,
    gapFillDelayMs: 10,
    async fetchChannelEvents(channelId, after) {
      fetches.push([channelId, after]);
      const all = (serverEvents[channelId] ?? []).filter((e) => e.seq > after);
      return { events: all.slice(0, 2), hasMore: all.length > 2 };
    },
    async fetchUserItems() {
      return { items: [], hasMore: false };
    },
    onEvents(channelId, events) {
      (delivered[channelId] ??= []).push(...events.map((e) => e.seq));
    },
    onUserItems() {},
  });
  return { engine, delivered, fetches };
}

test("delivers each seq once and in order despite duplicates and reordering", () => {
  const { engine, delivered } = harness({});
  const frames = [
    { t: "sync", channelId: "c1", events: [ev("c1", 1), ev("c1", 2)] },
    { t: "event", event: ev("c1", 4) },
    { t: "event", event: ev("c1", 2) },
    { t: "ack", ref: "r1", duplicate: false, event: ev("c1", 3) },
    { t: "event", event: ev("c1", 3) },
    { t: "sync", channelId: "c1", events: [ev("c1", 1), ev("c1", 2), ev("c1", 3), ev("c1", 4), ev("c1", 5)] },
  ].map((f) => ServerFrame.parse(f));
  for (const f of frames) {
    if (f.t === "sync") engine.receiveEvents(f.channelId, f.events);
    else if (f.t === "event" || f.t === "ack") engine.receiveEvents(f.event.channelId, [f.event]);
  }
  assert.deepEqual(delivered.c1, [1, 2, 3, 4, 5]);
  assert.deepEqual(engine.cursors(), { user: 0, channels: { c1: 5 } });
  engine.close();
});

test("a hole holds back later events and is filled over HTTP once live", async () => {
  const server = { c1: [1, 2, 3, 4, 5, 6, 7].map((s) => ev("c1", s)) };
  const { engine, delivered, fetches } = harness(server, { user: 0, channels: { c1: 2 } });
  engine.receiveEvents("c1", [ev("c1", 7)]);
  assert.equal(delivered.c1, undefined, "7 must wait for 3..6");
  assert.equal(engine.channelCursor("c1"), 2);
  await engine.idle();
  assert.deepEqual(fetches, [], "no fill while a replay may still be streaming");
  engine.setLive(true);
  await new Promise((r) => setTimeout(r, 20));
  await engine.idle();
  assert.deepEqual(delivered.c1, [3, 4, 5, 6, 7]);
  assert.deepEqual(
    fetches.slice(0, 2),
    [
      ["c1", 2],
      ["c1", 4],
    ],
    "paged after the cursor",
  );
  engine.close();
});

test("late events that close a hole before the fill timer avoid any fetch", async () => {
  const { engine, delivered, fetches } = harness({});
  engine.setLive(true);
  engine.receiveEvents("c1", [ev("c1", 2)]);
  engine.receiveEvents("c1", [ev("c1", 1)]);
  await new Promise((r) => setTimeout(r, 30));
  await engine.idle();
  assert.deepEqual(delivered.c1, [1, 2]);
  assert.deepEqual(fetches, []);
  engine.close();
});

test("per-user stream items are deduplicated and ordered too", () => {
  const got: number[] = [];
  const engine = new SyncEngine({
    cursors: { user: 1, channels: {} },
    async fetchChannelEvents() {
      return { events: [], hasMore: false };
    },
    async fetchUserItems() {
      return { items: [], hasMore: false };
    },
    onEvents() {},
    onUserItems(items: UserStreamItem[]) {
      got.push(...items.map((i) => i.seq));
    },
  });
  const item = (seq: number): UserStreamItem => ({ seq, kind: "channel.joined", channelId: "c1", data: {}, createdAt: 1 });
  engine.receiveUserItems([item(3), item(1), item(2), item(2)]);
  assert.deepEqual(got, [2, 3]);
  engine.close();
});

test("holes below a channel's retention floor are skipped once the server's page confirms them; holes above it still wait", async () => {
  // Retention removed 2..5 and 7 (content); commit-like 1 and 6 stay; the floor is 8.
  const server = { c1: [1, 6, 8, 9].map((s) => ev("c1", s)) };
  const { engine, delivered } = harness(server);
  engine.setLive(true);
  engine.receiveEvents("c1", [ev("c1", 1), ev("c1", 6), ev("c1", 9)]);
  await new Promise((r) => setTimeout(r, 50)); // not idle(): a hole keeps its fill scheduled
  assert.deepEqual(delivered.c1, [1], "the floor is not known yet: 6 waits");
  engine.setFloor("c1", 8);
  await new Promise((r) => setTimeout(r, 30));
  await engine.idle();
  assert.deepEqual(delivered.c1, [1, 6, 8, 9]);
  assert.equal(engine.channelCursor("c1"), 9);
  // Above the floor a hole is a late event, never skipped.
  engine.receiveEvents("c1", [ev("c1", 11)]);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(engine.channelCursor("c1"), 9);
  engine.close();
});
