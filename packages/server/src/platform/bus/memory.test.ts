import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryBus } from "./memory.ts";

test("a throwing subscriber is reported and the others still get the message", () => {
  const errors: string[] = [];
  const bus = memoryBus((err, topic) => errors.push(`${topic}: ${(err as Error).message}`));
  const got: string[] = [];
  bus.subscribe("channel.read", () => { throw new Error("boom"); });
  bus.subscribe("channel.read", (m) => got.push(m.userId));
  bus.publish("channel.read", { orgId: "o", channelId: "c", userId: "u1", seq: 1 });
  assert.deepEqual(got, ["u1"]);
  assert.deepEqual(errors, ["channel.read: boom"]);
});
