/**
 * "Reset encryption" through real clients and a real server: a channel admin resets a
 * channel and everyone keeps chatting in the new group (the timeline shows the reset, what
 * was read stays readable, a send encrypted for the old group goes out re-encrypted, a send
 * made while the new group is being set up waits for the members' devices, a Welcome that
 * comes before the reset event opens the new group from its own epoch); a device whose group
 * is cryptographically broken asks for the reset itself, and so does a device that finds the
 * group made by another MLS engine (a library upgrade).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { channelGroupId } from "@parley/crypto";
import { startTestServer, type TestServer } from "@parley/server/testing/harness";
import { setTimeout as sleep } from "node:timers/promises";
import type { ParleyClient } from "../client.ts";
import type { ClientOptions } from "../client-options.ts";
import type { ReceivedEvent } from "../client-events.ts";
import type { SendResult } from "../outbox.ts";
import { collect, makeOrg, texts, until } from "../testing/e2ee-clients.ts";

/** A server and an org whose owner is alice. */
async function startOrg(t: TestContext, aliceOpts?: ClientOptions) {
  // The server checks each message's MLS framing, as in production (it finds the group a send was encrypted for).
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  const org = await makeOrg(server.url, aliceOpts);
  t.after(() => org.closeAll());
  return { server, org, alice: org.owner };
}

async function live(...clients: ParleyClient[]): Promise<void> {
  for (const c of clients) c.connect();
  await Promise.all(clients.map((c) => c.waitUntilLive()));
}

/** Every undecryptable notice of these clients from now on. */
function undecryptableOf(...clients: ParleyClient[]): unknown[] {
  const got: unknown[] = [];
  for (const c of clients) c.on("undecryptable", (n) => got.push(n));
  return got;
}

async function reads(seen: ReceivedEvent[], text: string, who: string): Promise<void> {
  await until(() => texts(seen).includes(text), `${who} reads "${text}"`).catch((err: unknown) =>
    assert.fail(`${(err as Error).message}: ${who} saw ${JSON.stringify(texts(seen))}`),
  );
}

async function setup(t: TestContext, opts: { alice?: ClientOptions; bob?: ClientOptions } = {}) {
  const { server, org, alice } = await startOrg(t, opts.alice);
  const bob = await org.user("bob", opts.bob);
  await live(alice, bob);
  const ch = await alice.createChannel({ kind: "private", name: "ops", members: [bob.userId] });
  await until(() => bob.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id), "bob joins the group");
  return { server, org, alice, bob, channelId: ch.id };
}

/**
 * A WebSocket whose channel event frames can be held back (as a slow or reconnecting link
 * would) and released later, in order; everything else, such as the user stream, flows.
 */
function channelFramesHeld() {
  const held: Array<() => void> = [];
  let holding = false;
  const onmessage = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage")!;
  class HeldWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      Object.defineProperty(this, "onmessage", {
        get: () => onmessage.get!.call(this) as unknown,
        set: (fn: ((ev: MessageEvent) => void) | null) =>
          onmessage.set!.call(
            this,
            fn &&
              ((ev: MessageEvent) => {
                const t = typeof ev.data === "string" ? (JSON.parse(ev.data) as { t?: string }).t : undefined;
                if (holding && (t === "event" || t === "sync")) held.push(() => fn.call(this, ev));
                else fn.call(this, ev);
              }),
          ),
      });
    }
  }
  return {
    WebSocket: HeldWebSocket,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const deliver of held.splice(0)) deliver();
    },
  };
}

const generationOf = async (server: TestServer, channelId: string) =>
  Number((await server.deps.db.selectFrom("channels").select("mls_generation").where("id", "=", channelId).executeTakeFirstOrThrow()).mls_generation);

async function chatBothWays(a: ParleyClient, b: ParleyClient, channelId: string, tag: string) {
  const seenA = collect(a, channelId);
  const seenB = collect(b, channelId);
  await a.sendMessage(channelId, `${tag} from a`);
  await b.sendMessage(channelId, `${tag} from b`);
  await until(() => texts(seenB).includes(`${tag} from a`) && texts(seenA).includes(`${tag} from b`), `${tag}: both read each other`).catch((err: unknown) =>
    assert.fail(`${(err as Error).message}: a saw ${JSON.stringify(texts(seenA))}, b saw ${JSON.stringify(texts(seenB))}`),
  );
}

test("a channel admin resets the encryption: a new group, a visible reset event, and both members keep chatting", { timeout: 60_000 }, async (t) => {
  const { server, alice, bob, channelId } = await setup(t);
  await chatBothWays(alice, bob, channelId, "before");
  const resets: ReceivedEvent[] = [];
  bob.on("reset", (e) => resets.push(e));
  const undecryptable = undecryptableOf(alice, bob);

  // bob may not: he is not a channel admin.
  await assert.rejects(bob.e2ee!.server.resetEncryption(channelId, "admin"), (e: unknown) => (e as { code?: string }).code === "forbidden");
  assert.equal(await generationOf(server, channelId), 0);

  assert.equal(await alice.resetEncryption(channelId), 1);
  await until(() => resets.length === 1, "bob sees the reset");
  assert.deepEqual(resets[0]!.content.reset, { generation: 1, reason: "admin", by: alice.userId });
  await chatBothWays(alice, bob, channelId, "after");
  await until(() => alice.e2ee!.members(channelId)?.length === 2, "the new group holds both devices");
  const group = await alice.api.call("getGroupInfo", { params: { channelId } });
  assert.equal(group.generation, 1);
  // What was read before the reset is still readable (the device's history), and shows in order.
  const page = await bob.history(channelId, { limit: 50 });
  assert.deepEqual(
    page.events.filter((e) => e.kind === "message").map((e) => e.text),
    ["before from a", "before from b", "after from a", "after from b"],
  );
  assert.ok(page.events.some((e) => e.kind === "reset" && e.content.reset?.generation === 1));
  assert.deepEqual(undecryptable, []);
});

test("a send encrypted for the old group is encrypted again for the new one", { timeout: 60_000 }, async (t) => {
  const { org, alice } = await startOrg(t);
  // The reset lands between bob encrypting a message and the server receiving it.
  let resetBeforeNextSend: (() => Promise<unknown>) | undefined;
  const racing: typeof fetch = async (input, init) => {
    const go = resetBeforeNextSend;
    if (go && init?.method === "POST" && /\/channels\/[^/]+\/events$/.test(String(input))) {
      resetBeforeNextSend = undefined;
      await go();
    }
    return fetch(input, init);
  };
  const bob = await org.user("bob", { fetch: racing });
  // HTTP sends only (the WebSocket would carry the send past the wrapper).
  await live(alice);
  const ch = await alice.createChannel({ kind: "private", name: "race", members: [bob.userId] });
  await bob.e2ee!.ensureGroup(ch.id);
  const seenAlice = collect(alice, ch.id);
  resetBeforeNextSend = () => alice.e2ee!.server.resetEncryption(ch.id, "admin");
  const sent = await bob.sendMessage(ch.id, "written before bob saw the reset");
  assert.equal(resetBeforeNextSend, undefined, "the reset happened in between");
  assert.equal(sent.event.generation, 1, "the message went out in the new group");
  await until(() => texts(seenAlice).includes("written before bob saw the reset"), "alice reads it");
});

test("a send made while this device sets up the new group waits until every member's device is in it", { timeout: 60_000 }, async (t) => {
  // After the reset alice's device creates the new group; when it claims KeyPackages for the members'
  // devices (bob's is not in the group yet), a send starts and the claim is held a moment, as a slow
  // one would be. Bob's device looks for the new group only once it exists: it joins from the Welcome.
  const text = "sent while the new group was being set up";
  let sending: Promise<SendResult> | undefined;
  let armed = false;
  let madeGroup!: () => void;
  const created = new Promise<void>((resolve) => {
    madeGroup = resolve;
  });
  const aliceFetch: typeof fetch = async (input, init) => {
    if (armed && init?.method === "POST" && /\/e2ee\/key-packages\/claim$/.test(String(input))) {
      armed = false;
      sending = alice.sendMessage(channelId, text);
      // Long enough for a send that does not wait for the members to go out.
      await Promise.race([sending.catch(() => undefined), sleep(1000)]);
      madeGroup();
    }
    return fetch(input, init);
  };
  const bobFetch: typeof fetch = async (input, init) => {
    if (armed && /\/group-info$/.test(String(input))) await created;
    return fetch(input, init);
  };
  const { alice, bob, channelId } = await setup(t, { alice: { fetch: aliceFetch }, bob: { fetch: bobFetch } });
  const seenBob = collect(bob, channelId);
  const undecryptable = undecryptableOf(alice, bob);

  armed = true;
  await alice.resetEncryption(channelId);
  await until(() => sending !== undefined, "alice's device adds the members' devices to the new group");
  const sent = await sending!;
  assert.equal(sent.event.generation, 1);
  assert.ok(sent.event.epoch >= 1, `sent in epoch ${sent.event.epoch} of the new group, before bob's device was added to it`);
  await reads(seenBob, text, "bob");
  assert.deepEqual(undecryptable, []);
});

test("a Welcome into the new group that comes before the reset event opens the new group's epochs from its own", { timeout: 60_000 }, async (t) => {
  const { org, alice } = await startOrg(t);
  const link = channelFramesHeld();
  const bob = await org.user("bob", { WebSocket: link.WebSocket });
  await live(alice, bob);
  // Bob's device joins the first group at epoch 2 (alice renewed her keys before adding him).
  const { id: channelId } = await alice.createChannel({ kind: "private", name: "ops", members: [] });
  await alice.e2ee!.selfUpdate(channelId);
  await alice.addMembers(channelId, [bob.userId]);
  await until(() => bob.e2ee!.epochOf(channelId) === 2, "bob joins the group at epoch 2");
  const seenBob = collect(bob, channelId);
  const undecryptable = undecryptableOf(alice, bob);

  // Bob's device gets the Welcome into the new group (epoch 1) while the reset event is still on its way.
  link.hold();
  await alice.resetEncryption(channelId);
  await until(() => bob.e2ee!.epochOf(channelId) === 1, "bob joins the new group from the Welcome");
  await alice.sendMessage(channelId, "the first message of the new group");
  link.release();
  await reads(seenBob, "the first message of the new group", "bob");
  assert.ok(seenBob.some((e) => e.kind === "reset"));
  assert.deepEqual(undecryptable, []);
});

test("a device whose group is broken asks for a reset; one that finds another MLS engine's group does too", { timeout: 90_000 }, async (t) => {
  const { server, org, alice, bob, channelId } = await setup(t);
  const undecryptable: string[] = [];
  const watch = (c: ParleyClient, name: string) => c.on("undecryptable", (n) => undecryptable.push(`${name}: seq ${n.seq} ${n.reason}`));
  watch(alice, "alice");
  watch(bob, "bob");
  // The stored GroupInfo no longer verifies (as if a faulty client's commit had been accepted),
  // and a new device of bob's must join: it can neither follow the group nor rejoin it.
  const row = await server.deps.db.selectFrom("mls_groups").select("group_info").where("channel_id", "=", channelId).executeTakeFirstOrThrow();
  const broken = Buffer.from(row.group_info);
  broken[broken.length - 10]! ^= 0xff;
  await server.deps.db.updateTable("mls_groups").set({ group_info: broken }).where("channel_id", "=", channelId).execute();
  const bob2 = await org.device("bob");
  watch(bob2, "bob2");
  bob2.connect();
  await bob2.waitUntilLive();
  await until(() => bob2.e2ee!.epochOf(channelId) !== undefined, "bob's new device gets into a group", 30_000);
  assert.equal(await generationOf(server, channelId), 1);
  const reset = (await alice.api.call("listEvents", { params: { channelId }, query: { after: 0 } })).events.find((e) => e.kind === "reset")!;
  assert.equal(JSON.parse(Buffer.from(reset.content, "base64").toString()).reason, "unrecoverable");
  await chatBothWays(alice, bob2, channelId, "repaired");
  await chatBothWays(bob, alice, channelId, "everyone");

  // An operator upgraded the library: the group was made by another engine. A device that must
  // join it (its state lost) asks for a reset instead of decoding it.
  await server.deps.db.updateTable("mls_groups").set({ engine: "ts-mls@9.9.9" }).where("channel_id", "=", channelId).execute();
  const bob3 = await org.device("bob");
  watch(bob3, "bob3");
  bob3.connect();
  await bob3.waitUntilLive();
  await until(() => bob3.e2ee!.epochOf(channelId) !== undefined, "bob's third device gets into a group", 30_000);
  assert.equal(await generationOf(server, channelId), 2);
  const group = await alice.api.call("getGroupInfo", { params: { channelId } });
  assert.equal(group.engine, (await import("@parley/crypto")).MLS_ENGINE);
  await chatBothWays(alice, bob3, channelId, "upgraded");
  assert.deepEqual(undecryptable, []);
  assert.equal(channelGroupId(channelId, 2), `${channelId}~2`);
});
