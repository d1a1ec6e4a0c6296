/**
 * New members and the past (issue 9, ADR 0007), through real SDK clients and a real server with
 * the MLS framing check on: a user added to a `shared` channel (or joining a public one by itself)
 * receives the past history keys and reads everything said before; one added to a `joined`
 * channel reads only what follows; a removed member reads nothing sent after its removal, with
 * every key it still holds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryKeyStore, openArchiveCopy } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { FAST, startOrg, until } from "../testing/e2ee-clients.ts";
import type { ParleyClient } from "../client.ts";
import { historyKeysOf } from "./history-keys.ts";

const setup = (t: { after(fn: () => unknown): void }) => startOrg(t, {}, { config: { checkMlsFraming: true } });

/** Wait until the async `cond` holds. */
async function eventually(cond: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every event of the channel decoded by `c`, as `kind:text` (or `kind:!reason`). */
async function readAll(c: ParleyClient, channelId: string): Promise<string[]> {
  const { events } = await c.history(channelId, { limit: 200 });
  return events
    .filter((e) => e.kind === "message" || e.kind === "edit" || e.kind === "reaction")
    .map((e) => `${e.kind}:${e.content.decodeReason ? `!${e.content.decodeReason}` : (e.text ?? e.emoji)}`);
}

test("a user added to a shared channel reads everything said before; one added to a joined channel reads from their joining on", async (t) => {
  const { org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  const carol = await org.user("carol");
  const dave = await org.user("dave");
  for (const c of [alice, bob, carol, dave]) c.connect();
  await Promise.all([alice, bob, carol, dave].map((c) => c.waitUntilLive()));

  const shared = await alice.createChannel({ kind: "private", name: "shared-past", members: [bob.userId] });
  assert.equal(shared.history, "shared");
  const first = await alice.sendMessage(shared.id, "first words");
  await bob.sendMessage(shared.id, "bob was here");
  await alice.edit(shared.id, first.event.seq, "first words, edited");
  await bob.react(shared.id, first.event.seq, "🎉");
  await alice.e2ee!.selfUpdate(shared.id); // a later epoch: keys of several epochs to hand over
  await bob.sendMessage(shared.id, "after the update");

  const keysFor = new Map<string, number>();
  carol.on("historyKeys", (n) => keysFor.set(n.channelId, (keysFor.get(n.channelId) ?? 0) + n.added));
  await alice.addMembers(shared.id, [carol.userId]);
  await until(() => (keysFor.get(shared.id) ?? 0) >= 3, "carol receives the past keys");
  assert.deepEqual(await readAll(carol, shared.id), [
    "message:first words",
    "message:bob was here",
    "edit:first words, edited",
    "reaction:🎉",
    "message:after the update",
  ]);

  const joined = await alice.createChannel({ kind: "private", name: "joined-past", members: [bob.userId], history: "joined" });
  await alice.sendMessage(joined.id, "before dave");
  await alice.addMembers(joined.id, [dave.userId]);
  await alice.sendMessage(joined.id, "after dave");
  await eventually(async () => (await readAll(dave, joined.id)).includes("message:after dave"), "dave reads what follows his joining");
  assert.deepEqual(await readAll(dave, joined.id), ["message:!history_unavailable", "message:after dave"]);
  assert.equal(keysFor.has(joined.id), false);
});

test("a user joining a public shared channel by itself gets the past keys from a member; a removed member reads nothing sent after, with every key it holds", async (t) => {
  const { server, org } = await setup(t);
  const alice = org.owner;
  const bob = await org.user("bob");
  const eveKeys = new MemoryKeyStore();
  const eve = await org.user("eve", { e2ee: { ...FAST.e2ee, keyStore: eveKeys } });
  for (const c of [alice, bob, eve]) c.connect();
  await Promise.all([alice, bob, eve].map((c) => c.waitUntilLive()));

  const pub = await alice.createChannel({ kind: "public", name: "town-square", members: [bob.userId] });
  await alice.sendMessage(pub.id, "welcome, whoever comes");
  await eve.joinChannel(pub.id);
  await eventually(async () => (await readAll(eve, pub.id)).includes("message:welcome, whoever comes"), "eve reads what was said before she joined");

  // Eve is removed; what follows is sealed under keys she never derives.
  await alice.removeMember(pub.id, eve.userId);
  await until(() => !alice.e2ee!.members(pub.id)!.some((m) => m.userId === eve.userId), "eve's leaf is removed");
  const after = await alice.sendMessage(pub.id, "eve must not read this");
  assert.ok(after.event.archive);
  const held = await historyKeysOf(eveKeys).ofChannel(pub.id);
  assert.ok(held.length >= 2, "eve holds keys of earlier epochs");
  const copy = (await server.deps.db.selectFrom("events").select("archive").where("id", "=", after.event.id).executeTakeFirstOrThrow()).archive!;
  const e: Event = after.event;
  for (const { generation, epoch: heldEpoch, key: hk } of held) {
    await assert.rejects(
      openArchiveCopy({
        hk,
        orgId: alice.session!.orgId,
        channelId: pub.id,
        generation: e.generation,
        epoch: BigInt(e.epoch),
        clientId: e.clientId,
        senderDeviceId: e.senderDeviceId,
        bytes: new Uint8Array(copy),
        senderSignaturePublicKey: alice.e2ee!.identity.signaturePublicKey,
        suite: "default",
      }),
      /history key/,
      `the key of generation ${generation}, epoch ${heldEpoch} opens nothing after the removal`,
    );
  }
  // A public channel's events stay listable by the org: whatever she fetches, her device reads none of it.
  const page = await eve.api.call("listEvents", { params: { channelId: pub.id }, query: { after: after.event.seq - 1 } });
  const fetched = page.events.find((x) => x.seq === after.event.seq) ?? e;
  const decoded = (await eve.decode([fetched]))[0]!;
  assert.equal(decoded.text, undefined, "her device reads nothing sent after her removal");
  assert.ok(decoded.content.decodeReason, decoded.content.decodeReason);
});
