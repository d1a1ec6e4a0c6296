// The web app's calls across the client worker (packages/web/src/worker/call-relay.ts) with real
// SDK clients on a real server: client.calls (and client.calls.sfu) runs by name and its events
// cross as pushes (a DM call rings, is accepted, ends); the channel's SFrame keys are pushed again when a member joins
// the channel's MLS group (a new epoch: the same key on both devices) and wiped (null) on the
// removed member's side when they are removed.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Call } from "@parley/protocol";
import { startLivePair, until } from "../packages/sdk/src/testing/e2ee-clients.ts";
import { CallRelay } from "../packages/web/src/worker/call-relay.ts";
import type { PageCallKeys, WorkerPush } from "../packages/web/src/worker/protocol.ts";

type Push = Extract<WorkerPush, { t: "call" | "callKeys" }>;

test("call relay: calls and their events cross the worker boundary; call keys follow the channel's epochs", { timeout: 90_000 }, async (t) => {
  const { org, alice, bob } = await startLivePair(t);
  const carol = await org.user("carol");
  const pushes = { alice: [] as Push[], bob: [] as Push[] };
  const aliceRelay = new CallRelay(alice, (m) => pushes.alice.push(m as Push));
  const bobRelay = new CallRelay(bob, (m) => pushes.bob.push(m as Push));
  t.after(() => {
    aliceRelay.close();
    bobRelay.close();
  });

  // ---- calls by name, events as pushes --------------------------------------------------
  const dm = await alice.openDm([bob.userId]);
  const call = (await aliceRelay.run("start", [dm.id])) as Call;
  await until(() => pushes.bob.some((p) => p.t === "call" && p.event === "ringing"), "bob's ring crosses");
  const ring = pushes.bob.find((p) => p.t === "call" && p.event === "ringing") as Extract<Push, { t: "call" }>;
  assert.equal((ring.payload as { callId: string }).callId, call.id);
  await bobRelay.run("accept", [call.id]);
  await until(
    () => pushes.alice.some((p) => p.t === "call" && p.event === "state" && (p.payload as { change: { kind: string } }).change.kind === "joined"),
    "alice hears bob join",
  );
  // client.calls.sfu by name too: the frame reaches the server, which refuses SFU media for a 1:1 call.
  await assert.rejects(bobRelay.runSfu("leave", [call.id]), (e: { code?: string }) => e.code === "call_not_sfu" || e.code === "sfu_unavailable");
  assert.throws(() => bobRelay.runSfu("receive" as "leave", []), /unknown calls.sfu method/);
  await bobRelay.run("leave", [call.id]);
  await until(() => pushes.alice.some((p) => p.t === "call" && p.event === "ended"), "alice hears the end");
  assert.throws(() => bobRelay.run("constructor" as "start", []), /unknown calls method/);

  // ---- keys: the current epoch, again after a member joins, null after removal ------------
  const ch = await alice.createChannel({ kind: "private", name: "call", members: [bob.userId] });
  await until(() => bob.e2ee!.members(ch.id) !== undefined, "bob is in the group");
  const a1 = (await aliceRelay.keys(ch.id, true))!;
  const b1 = (await bobRelay.keys(ch.id, true))!;
  assert.equal(a1.epoch, b1.epoch);
  assert.deepEqual(a1.baseKey, b1.baseKey);
  assert.equal(await bobRelay.keys("no-such-channel", true), null);

  // The worker checks on client events and on its state timer; here the test is the timer.
  const checked = (cond: () => boolean) => () => {
    void aliceRelay.check(true);
    void bobRelay.check(true);
    return cond();
  };
  const keysOf = (list: Push[]) => list.flatMap((p) => (p.t === "callKeys" && p.channelId === ch.id ? [p.keys] : []));
  await alice.addMembers(ch.id, [carol.userId]);
  await until(
    checked(() => keysOf(pushes.alice).length > 0 && keysOf(pushes.bob).length > 0),
    "new keys pushed to both",
    20_000,
  );
  const a2 = keysOf(pushes.alice)[0]!;
  const b2 = keysOf(pushes.bob)[0]!;
  assert.ok(a2.epoch > a1.epoch, "a new epoch");
  assert.equal(a2.epoch, b2.epoch);
  assert.deepEqual(a2.baseKey, b2.baseKey);
  assert.notDeepEqual(a2.baseKey, a1.baseKey);

  await alice.removeMember(ch.id, bob.userId);
  await until(
    checked(() => keysOf(pushes.bob).includes(null)),
    "bob's keys wiped",
    20_000,
  );
  await until(
    checked(() => keysOf(pushes.alice).length > 1),
    "alice moves on",
    20_000,
  );
  const a3 = keysOf(pushes.alice).at(-1) as PageCallKeys;
  assert.ok(a3.epoch > a2.epoch);
  assert.ok(
    keysOf(pushes.bob).every((k) => k === null || k.epoch <= a2.epoch),
    "bob never gets a key of an epoch after his removal",
  );
});
