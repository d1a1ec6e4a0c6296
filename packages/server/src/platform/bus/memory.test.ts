import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryBus } from "./memory.ts";

const tick = () => new Promise<void>((r) => setImmediate(r));

test("a throwing subscriber is reported and the others still get the message", async () => {
  const errors: string[] = [];
  const bus = memoryBus((err, topic) => errors.push(`${topic}: ${(err as Error).message}`));
  const got: string[] = [];
  bus.subscribe("channel.read", () => {
    throw new Error("boom");
  });
  bus.subscribe("channel.read", (m) => got.push(m.userId));
  bus.publish("channel.read", { orgId: "o", channelId: "c", userId: "u1", seq: 1 });
  await tick();
  assert.deepEqual(got, ["u1"]);
  assert.deepEqual(errors, ["channel.read: boom"]);
});

test("delivery is asynchronous, in publish order, and every subscriber gets its own copy", async () => {
  const bus = memoryBus();
  const a: Array<{ added: string[] }> = [];
  const b: Array<{ added: string[] }> = [];
  bus.subscribe("channel.members", (m) => a.push(m));
  bus.subscribe("channel.members", (m) => b.push(m));
  const msg = { orgId: "o", channelId: "c", added: ["u1"], removed: [] as string[] };
  bus.publish("channel.members", msg);
  bus.publish("channel.members", { ...msg, added: ["u2"] });
  assert.equal(a.length, 0, "nothing is delivered inside publish");
  msg.added.push("changed after publish");
  await tick();
  assert.deepEqual(
    a.map((m) => m.added),
    [["u1"], ["u2"]],
    "in order, as published (later changes to the object do not travel)",
  );
  assert.ok(a[0] !== (msg as unknown), "a copy, not the published object");
  assert.ok(a[0] !== b[0], "one copy per subscriber");
  a[0]!.added.push("x");
  assert.deepEqual(b[0]!.added, ["u1"]);
});

test("a scoped subscriber gets a keyed message only while the node has interest in its key; a tap gets every one", async () => {
  const bus = memoryBus(undefined, (_topic, m) => `c.${(m as { channelId: string }).channelId}`);
  const scoped: string[] = [];
  const tapped: string[] = [];
  bus.subscribe("channel.read", (m) => scoped.push(m.channelId), { scoped: true });
  bus.subscribe("channel.read", (m) => tapped.push(m.channelId));
  const read = (channelId: string) => bus.publish("channel.read", { orgId: "o", channelId, userId: "u", seq: 1 });
  read("c1");
  await tick();
  bus.interest("c.c1", true);
  bus.interest("c.c1", true);
  read("c1");
  read("c2");
  await tick();
  bus.interest("c.c1", false);
  read("c1");
  await tick();
  bus.interest("c.c1", false);
  read("c1");
  await tick();
  assert.deepEqual(scoped, ["c1", "c1"], "before any interest nothing; counted: one withdrawal of two keeps it");
  assert.deepEqual(tapped, ["c1", "c1", "c2", "c1", "c1"]);
});
