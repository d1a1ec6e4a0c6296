/**
 * Presence by subscription (API 12): `presence.watch` answers with one batched
 * frame; afterwards only watched users' changes arrive, coalesced; another
 * org's users cannot be watched; a hello sends no presence frames. Plus the
 * cross-node state (heartbeats, a dead node's users expire) on presence.ts.
 */
import { after, before, describe, it, test } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES, DEFAULT_LIMITS, type ServerFrame, type ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../testing/harness.ts";
import { bootstrapOrg, loginUser, makeOrg, makeUser, TEST_PASSWORD, type TestUser } from "../testing/factories.ts";
import { connectUser, type TestSocket } from "./test-client.ts";
import {
  applyHeartbeat,
  applyPresence,
  expireNodes,
  heartbeat,
  HEARTBEAT_PART_USERS,
  localChange,
  newPresenceState,
  setWatch,
  statusOf,
  takeChanges,
} from "./presence.ts";
import type { Conn } from "./connection.ts";

type Users = ServerFrameOf<"presence.users">;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isUsers = (f: ServerFrame): f is Users => f.t === "presence.users";
/** Every status a socket was told for `userId` in change frames, in order. */
const changesOf = (s: TestSocket, userId: string) =>
  s.frames
    .filter(isUsers)
    .filter((f) => !f.full)
    .flatMap((f) => f.users.filter((u) => u.userId === userId).map((u) => u.status));

/** Wait for a change frame (not a watch answer) telling `status` for `userId`, after frame `from`. */
function changed(s: TestSocket, userId: string, status: string, from = s.frames.length): Promise<Users> {
  return s.waitFor<Users>((f) => isUsers(f) && !f.full && f.users.some((u) => u.userId === userId && u.status === status), 5000, from);
}

async function watch(s: TestSocket, userIds: string[], ref = `w${Math.random()}`): Promise<Users> {
  s.send({ t: "presence.watch", ref, userIds });
  return s.waitFor<Users>((f) => isUsers(f) && f.ref === ref);
}

for (const dialect of DIALECTS) {
  describe(`presence by subscription (${dialect})`, () => {
    let server: TestServer;
    let owner: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    let stranger: TestUser;
    before(async () => {
      server = await startTestServer({ dialect });
      owner = await bootstrapOrg(server);
      bob = await makeUser(server, owner);
      carol = await makeUser(server, owner);
      stranger = await makeOrg(server);
    });
    after(() => server.stop());

    it("watch answers with one batched frame; only watched users' changes follow; a hello sends no presence", async () => {
      const sc = await connectUser(server.url, carol.accessToken);
      const so = await connectUser(server.url, owner.accessToken);
      assert.deepEqual(
        so.frames.filter((f) => !["ready", "sync", "sync.user", "synced"].includes(f.t)),
        [],
        "no presence frame without a watch",
      );
      const missing = "0".repeat(26);
      const first = await watch(so, [bob.user.id, carol.user.id, missing, stranger.user.id, bob.user.id]);
      assert.equal(first.full, true);
      // Another org's user reads offline, exactly like an id that names nobody (and never changes: below).
      assert.deepEqual(first.users, [
        { userId: bob.user.id, status: "offline" },
        { userId: carol.user.id, status: "online" },
        { userId: missing, status: "offline" },
        { userId: stranger.user.id, status: "offline" },
      ]);
      assert.equal(so.frames.filter(isUsers).length, 1);

      // Bob (watched): online, away, online on a second device, away, offline — each reaches the watcher.
      const phone = await loginUser(server, owner.org.slug, bob.user.username, TEST_PASSWORD, { deviceName: "phone" });
      let wait = changed(so, bob.user.id, "online");
      const b1 = await connectUser(server.url, bob.accessToken);
      await wait;
      wait = changed(so, bob.user.id, "away");
      b1.send({ t: "presence", status: "away" });
      await wait;
      wait = changed(so, bob.user.id, "online");
      const b2 = await connectUser(server.url, phone.accessToken); // online on the phone -> online overall
      await wait;
      wait = changed(so, bob.user.id, "away");
      await b2.close(); // only the away laptop is left
      await wait;
      wait = changed(so, bob.user.id, "offline");
      await b1.close();
      await wait;
      assert.deepEqual(changesOf(so, bob.user.id), ["online", "away", "online", "away", "offline"]);

      // Carol is not watched any more after a new watch set: her change does not arrive.
      assert.deepEqual((await watch(so, [bob.user.id])).users, [{ userId: bob.user.id, status: "offline" }]);
      sc.send({ t: "presence", status: "away" });
      wait = changed(so, bob.user.id, "online");
      const b3 = await connectUser(server.url, bob.accessToken);
      await wait;
      await sleep(700);
      assert.deepEqual(changesOf(so, carol.user.id), []);
      // The other org's owner coming online is not told either, even to a watcher naming them.
      await watch(so, [bob.user.id, stranger.user.id]);
      const ss = await connectUser(server.url, stranger.accessToken);
      await sleep(700);
      assert.deepEqual(changesOf(so, stranger.user.id), []);
      assert.deepEqual((await watch(so, [stranger.user.id])).users, [{ userId: stranger.user.id, status: "offline" }], "online, but not for this org");
      // An empty set watches nobody.
      assert.deepEqual((await watch(so, [])).users, []);
      await b3.close();
      await sleep(700);
      assert.equal(changesOf(so, bob.user.id).at(-1), "online");
      for (const s of [sc, so, ss]) await s.close();
    });

    it("changes are coalesced: one frame per flush for several users, at most one change per connection per interval", async () => {
      const so = await connectUser(server.url, owner.accessToken);
      await watch(so, [bob.user.id, carol.user.id]);
      const start = so.frames.length;
      const [b, c] = await Promise.all([connectUser(server.url, bob.accessToken), connectUser(server.url, carol.accessToken)]);
      await so.waitFor((f) => isUsers(f) && !f.full, 5000, start);
      await sleep(700);
      const frames = so.frames.slice(start).filter(isUsers);
      const users = frames.flatMap((f) => f.users.map((u) => u.userId)).sort();
      assert.deepEqual(users, [bob.user.id, carol.user.id].sort());
      assert.ok(frames.length <= 2, `two users in ${frames.length} frames`);
      // 21 flips of one connection within 2 s: at most 2 changes reach the watcher, ending on the latest.
      const mark = so.frames.length;
      for (let i = 0; i < 20; i++) b.send({ t: "presence", status: i % 2 === 0 ? "away" : "online" });
      b.send({ t: "presence", status: "away" });
      await sleep(2700);
      const seen = so.frames
        .slice(mark)
        .filter(isUsers)
        .flatMap((f) => f.users.filter((u) => u.userId === bob.user.id).map((u) => u.status));
      assert.ok(seen.length <= 2, `21 flips reached the watcher as ${seen.length} changes`);
      assert.equal(seen.at(-1), "away");
      for (const s of [so, b, c]) await s.close();
    });

    it("bad watch frames get validation_failed with the frame's ref", async () => {
      const so = await connectUser(server.url, owner.accessToken);
      const tooMany = Array.from({ length: DEFAULT_LIMITS.presenceWatch + 1 }, () => bob.user.id);
      for (const [ref, bad] of [
        ["many", { userIds: tooMany }],
        ["notarray", { userIds: bob.user.id }],
        ["badid", { userIds: ["../etc"] }],
      ] as const) {
        so.send({ t: "presence.watch", ref, ...bad });
        const e = await so.waitFor<ServerFrameOf<"error">>((f) => f.t === "error" && f.ref === ref);
        assert.equal(e.code, "validation_failed");
      }
      // Like any invalid frame, the third within 60 s closes the socket (4400).
      assert.equal((await so.closed).code, CLOSE_CODES.badFrame);
      assert.equal(so.frames.filter(isUsers).length, 0);
    });
  });
}

test("across nodes: each node's contribution counts, heartbeats sync a late node, a silent node's users expire", () => {
  const conn = (userId: string, presence: "online" | "away") => ({ closing: false, principal: { userId }, presencePublished: presence }) as unknown as Conn;
  const a = newPresenceState("node-a");
  const b = newPresenceState("node-b");
  const watcher = { watching: null, principal: { orgId: "org" } } as unknown as Conn;
  setWatch(b, watcher, ["u1", "u2"]);
  // u1 is online on node A (away on node B); u2 only on A.
  const m1 = localChange(a, "org", "u1", [conn("u1", "online")])!;
  assert.ok(localChange(a, "org", "u2", [conn("u2", "away")]));
  const m3 = localChange(b, "org", "u1", [conn("u1", "away")])!;
  assert.equal(localChange(a, "org", "u1", [conn("u1", "online"), conn("u1", "away")]), null, "no change, nothing to publish");
  for (const s of [a, b]) for (const m of [m3, m1]) applyPresence(s, m, 0);
  assert.equal(statusOf(b, "u1", "org"), "online");
  assert.equal(statusOf(b, "u2", "org"), "offline", "B has not heard of u2 yet (it started after A published)");
  // A's heartbeat brings B up to date.
  for (const m of heartbeat(a)) applyHeartbeat(b, m, 1000);
  assert.equal(statusOf(b, "u2", "org"), "away");
  assert.deepEqual([...takeChanges(b).values()].flat(), [
    { userId: "u1", status: "online" },
    { userId: "u2", status: "away" },
  ]);
  // A dies: after the TTL, B drops its contributions — u1 falls back to B's own "away", u2 goes offline.
  assert.deepEqual(expireNodes(b, 20_000, 30_000), []);
  assert.deepEqual(expireNodes(b, 31_001, 30_000), ["node-a"]);
  assert.equal(statusOf(b, "u1", "org"), "away");
  assert.equal(statusOf(b, "u2", "org"), "offline");
  assert.deepEqual([...takeChanges(b).values()].flat(), [
    { userId: "u1", status: "away" },
    { userId: "u2", status: "offline" },
  ]);
  // B never expires itself; a heartbeat that no longer lists a user takes that node's contribution away.
  assert.deepEqual(expireNodes(b, 1e9, 30_000), []);
  applyHeartbeat(a, { node: "node-b", users: [] }, 5);
  assert.equal(statusOf(a, "u1", "org"), "online");
  assert.equal(statusOf(a, "u1", "other-org"), "offline", "another org never sees u1");
  applyHeartbeat(a, { node: "node-c", users: [["other-org", "u1", "online"]] }, 5);
  assert.equal(a.users.get("u1")!.nodes.has("node-c"), false, "a user id is not claimed for another org");
});

test("a large heartbeat goes in parts under NATS's payload limit; a whole beat removes the unlisted, a beat with a part lost removes nobody", () => {
  const conn = (userId: string) => ({ closing: false, principal: { userId }, presencePublished: "online" }) as unknown as Conn;
  const a = newPresenceState("node-a");
  const b = newPresenceState("node-b");
  // Ids as long as real ones; 20,000 users in one message were ~1.4 MB, over NATS's default 1 MiB.
  const ids = Array.from({ length: 20_000 }, (_, i) => `usr_${String(i).padStart(22, "0")}`);
  for (const id of ids) assert.ok(localChange(a, "org_0000000000000000000000", id, [conn(id)]));
  const beat1 = heartbeat(a);
  assert.equal(beat1.length, Math.ceil(20_000 / HEARTBEAT_PART_USERS));
  for (const m of beat1) assert.ok(Buffer.byteLength(JSON.stringify(m)) < (1024 * 1024) / 2, "each part far below 1 MiB");
  for (const m of beat1) applyHeartbeat(b, m, 1000);
  assert.equal(statusOf(b, ids[0]!, "org_0000000000000000000000"), "online");
  assert.equal(statusOf(b, ids[19_999]!, "org_0000000000000000000000"), "online");
  // Two users leave node A. A beat whose last part is lost takes nobody away...
  assert.ok(localChange(a, "org_0000000000000000000000", ids[0]!, []));
  assert.ok(localChange(a, "org_0000000000000000000000", ids[19_999]!, []));
  const beat2 = heartbeat(a);
  for (const m of beat2.slice(0, -1)) applyHeartbeat(b, m, 2000);
  assert.equal(statusOf(b, ids[0]!, "org_0000000000000000000000"), "online", "not listed yet, but the beat is incomplete");
  assert.equal(statusOf(b, ids[5_000]!, "org_0000000000000000000000"), "online");
  // ...the next whole beat does (even arriving after a stray part of the old one).
  const beat3 = heartbeat(a);
  applyHeartbeat(b, beat2.at(-1)!, 2500);
  for (const m of beat3) applyHeartbeat(b, m, 3000);
  assert.equal(statusOf(b, ids[0]!, "org_0000000000000000000000"), "offline");
  assert.equal(statusOf(b, ids[19_999]!, "org_0000000000000000000000"), "offline");
  assert.equal(statusOf(b, ids[10_000]!, "org_0000000000000000000000"), "online");
  assert.equal(b.partial.size, 0);
  // A heartbeat of a node before the split (no parts) is a whole beat.
  applyHeartbeat(b, { node: "node-a", users: [["org_0000000000000000000000", ids[1]!, "away"]] }, 4000);
  assert.equal(statusOf(b, ids[1]!, "org_0000000000000000000000"), "away");
  assert.equal(statusOf(b, ids[10_000]!, "org_0000000000000000000000"), "offline");
});
