/**
 * Presence watching through ParleyClient against a real server: the watched users' current
 * statuses and then their changes arrive as `presence` events; a repeated set sends nothing; the
 * set (also one chosen while offline) is named again on every new connection, an empty one is not;
 * at most DEFAULT_LIMITS.presenceWatch users are watched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "@parley/protocol";
import type { PresenceNotice } from "./client-events.ts";
import { startOrg, until } from "./testing/e2ee-clients.ts";

/** A real WebSocket that records the user ids of every `presence.watch` frame it sends, and whose link the test can drop. */
function recordedLink() {
  const sockets: WebSocket[] = [];
  const watches: string[][] = [];
  class RecordingWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
    override send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      const frame = typeof data === "string" ? (JSON.parse(data) as { t?: string; userIds?: string[] }) : {};
      if (frame.t === "presence.watch") watches.push(frame.userIds!);
      super.send(data);
    }
  }
  return { WebSocket: RecordingWebSocket, watches, drop: () => sockets.at(-1)!.close() };
}

test("watchPresence: statuses then changes, a repeated set sends nothing, the set is named again on each new connection", async (t) => {
  const link = recordedLink();
  const { org } = await startOrg(t, { WebSocket: link.WebSocket });
  const alice = org.owner;
  const bob = await org.user("bob");
  const carol = await org.user("carol");
  const seen: PresenceNotice[] = [];
  alice.on("presence", (p) => seen.push(p));
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));

  // Duplicates dropped, order kept: the answer tells each watched user's status.
  alice.watchPresence([bob.userId, carol.userId, bob.userId]);
  assert.deepEqual(link.watches, [[bob.userId, carol.userId]]);
  await until(() => seen.length >= 2, "the watch is answered");
  assert.deepEqual(seen, [
    { userId: bob.userId, status: "online" },
    { userId: carol.userId, status: "offline" },
  ]);
  bob.setPresence("away");
  await until(() => seen.length >= 3, "bob's change arrives");
  assert.deepEqual(seen[2], { userId: bob.userId, status: "away" });

  // The same users again (any iterable) send nothing.
  alice.watchPresence(new Set([bob.userId, carol.userId]));
  assert.equal(link.watches.length, 1);

  // A dropped link: the new connection starts watching nobody, so the client names the users again.
  seen.length = 0;
  let live = alice.next("connection", (c) => c.state === "live");
  link.drop();
  await live;
  assert.deepEqual(link.watches, [
    [bob.userId, carol.userId],
    [bob.userId, carol.userId],
  ]);
  await until(() => seen.length >= 2, "the renewed watch is answered");
  assert.deepEqual(seen, [
    { userId: bob.userId, status: "away" },
    { userId: carol.userId, status: "offline" },
  ]);

  // A set chosen while offline cannot be sent then; it is the one named once live.
  seen.length = 0;
  const offline = alice.next("connection", (c) => c.state === "offline");
  live = alice.next("connection", (c) => c.state === "live");
  link.drop();
  await offline;
  alice.watchPresence([carol.userId]);
  assert.equal(link.watches.length, 2, "nothing sent while offline");
  await live;
  assert.deepEqual(link.watches.slice(2), [[carol.userId]]);
  await until(() => seen.length >= 1, "the watch named once live is answered");
  assert.deepEqual(seen, [{ userId: carol.userId, status: "offline" }]);

  // At most DEFAULT_LIMITS.presenceWatch users; the server takes the set.
  const many = Array.from({ length: DEFAULT_LIMITS.presenceWatch + 10 }, (_, i) => `nobody-${i}`);
  seen.length = 0;
  alice.watchPresence(many);
  assert.deepEqual(link.watches.at(-1), many.slice(0, DEFAULT_LIMITS.presenceWatch));
  await until(() => seen.length >= DEFAULT_LIMITS.presenceWatch, "the large watch is answered");
  assert.deepEqual(
    seen.map((p) => p.userId),
    many.slice(0, DEFAULT_LIMITS.presenceWatch),
  );

  // Watching nobody is sent once; a new connection then names no one.
  alice.watchPresence([]);
  assert.deepEqual(link.watches.at(-1), []);
  const sent = link.watches.length;
  live = alice.next("connection", (c) => c.state === "live");
  link.drop();
  await live;
  assert.equal(link.watches.length, sent);
});
