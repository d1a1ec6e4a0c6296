/**
 * Devices that vanish from a call (calls/presence.ts): a device whose connections all dropped
 * leaves its calls after PARLEY_CALL_DISCONNECT_SECONDS (reason `disconnected`), unless it came
 * back in time or still holds another connection — on this node or, over NATS, on another one.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import type { ServerFrameOf } from "@parley/protocol";
import { createTestDatabase, DIALECTS, startTestServer, type TestDatabase, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, type TestSocket } from "../../gateway/test-client.ts";
import { startTestNats, type TestNats } from "../../testing/nats.ts";
import { callAck, privateChannel, socketPool } from "../../testing/calls.ts";
import { waitUntil } from "../../testing/jobs.ts";

const GRACE_SECONDS = 1;
/** Long enough for the check to have run (the grace, the job runner's 1 s poll, a margin). */
const AFTER_CHECK_MS = GRACE_SECONDS * 1000 + 2500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function presentDevices(s: TestServer, callId: string): Promise<string[]> {
  const rows = await s.deps.db.selectFrom("call_participants").select("device_id").where("call_id", "=", callId).where("left_at", "is", null).execute();
  return rows.map((r) => r.device_id).sort();
}

for (const dialect of DIALECTS) {
  describe(`calls: devices without connections (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let carol: TestUser;
    const { connect, closeAll } = socketPool(() => s.url);

    before(async () => {
      s = await startTestServer({ dialect, config: { callDisconnectSeconds: GRACE_SECONDS } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      carol = await makeUser(s, owner);
    });
    afterEach(async () => {
      await closeAll();
    });
    after(() => s.stop());

    it("a device whose socket dropped leaves after the grace period; one that came back, or holds another socket, stays", async () => {
      const channelId = await privateChannel(owner, [alice, bob, carol]);
      const [a, b1, b2, c] = [await connect(alice), await connect(bob), await connect(bob), await connect(carol)];
      const call = await callAck(a, { t: "call.start", channelId });
      await callAck(b1, { t: "call.join", callId: call.id });
      await callAck(c, { t: "call.join", callId: call.id });
      // Carol's only socket drops; one of Bob's two closes.
      await c.close();
      await b1.close();
      // Alice's socket drops too, and she comes back within the grace period.
      await a.close();
      const a2 = await connect(alice);
      const left = await a2.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", AFTER_CHECK_MS + 5000);
      assert.deepEqual(left.change, { kind: "left", userId: carol.user.id, deviceId: carol.tokens.deviceId, reason: "disconnected" });
      assert.deepEqual(left.call.participants.map((p) => p.deviceId).sort(), [alice.tokens.deviceId, bob.tokens.deviceId].sort());
      await sleep(AFTER_CHECK_MS);
      assert.deepEqual(await presentDevices(s, call.id), [alice.tokens.deviceId, bob.tokens.deviceId].sort());
      const carolRow = await s.deps.db
        .selectFrom("call_participants")
        .select(["leave_reason"])
        .where("call_id", "=", call.id)
        .where("device_id", "=", carol.tokens.deviceId)
        .executeTakeFirstOrThrow();
      assert.equal(carolRow.leave_reason, "disconnected");
      assert.equal(
        b2.frames.some((f) => f.t === "call.state" && f.change.kind === "left" && f.change.deviceId !== carol.tokens.deviceId),
        false,
      );

      // The last two go: Bob's remaining socket closes, Alice's too: nobody is left and the call ends.
      await b2.close();
      await a2.close();
      const ended = async () =>
        (await s.deps.db.selectFrom("calls").select("end_reason").where("id", "=", call.id).where("ended_at", "is not", null).executeTakeFirst())?.end_reason;
      await waitUntil(async () => (await ended()) !== undefined, AFTER_CHECK_MS + 10_000, "the call ends once both devices are gone");
      assert.equal(await ended(), "hangup");
      assert.deepEqual(await presentDevices(s, call.id), []);
    });
  });
}

describe("calls: a device connected to another node stays in its call when its socket on this node drops (NATS)", () => {
  let nats: TestNats;
  let database: TestDatabase;
  let n1: TestServer;
  let n2: TestServer;
  let owner: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];

  before(async () => {
    nats = await startTestNats();
    database = await createTestDatabase("postgres");
    const config = { natsUrl: nats.url, callDisconnectSeconds: GRACE_SECONDS };
    n1 = await startTestServer({ database, config });
    n2 = await startTestServer({ database, config });
    owner = await bootstrapOrg(n1, { orgSlug: "acme" });
    alice = await makeUser(n1, owner);
    bob = await makeUser(n1, owner);
  });
  after(async () => {
    for (const sock of sockets.splice(0)) await sock.close();
    await n2?.stop();
    await n1?.stop();
    await database?.drop();
    await nats?.cleanup();
  });

  it("Bob's device on node 2 keeps him in; once that socket goes too, he is dropped", async () => {
    const channelId = await privateChannel(owner, [alice, bob]);
    const a = await connectUser(n1.url, alice.accessToken);
    const bOn1 = await connectUser(n1.url, bob.accessToken);
    const bOn2 = await connectUser(n2.url, bob.accessToken);
    sockets.push(a, bOn2);
    const call = await callAck(a, { t: "call.start", channelId });
    await callAck(bOn1, { t: "call.join", callId: call.id });

    await bOn1.close();
    await sleep(AFTER_CHECK_MS);
    assert.deepEqual(await presentDevices(n1, call.id), [alice.tokens.deviceId, bob.tokens.deviceId].sort(), "still connected on node 2");

    const mark = a.frames.length;
    await bOn2.close();
    const left = await a.waitFor<ServerFrameOf<"call.state">>((f) => f.t === "call.state" && f.change.kind === "left", AFTER_CHECK_MS + 5000, mark);
    assert.deepEqual(left.change, { kind: "left", userId: bob.user.id, deviceId: bob.tokens.deviceId, reason: "disconnected" });
    assert.deepEqual(await presentDevices(n1, call.id), [alice.tokens.deviceId]);
  });
});
