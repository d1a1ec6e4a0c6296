/**
 * The hundred-k layout (not a benchmark): every user in one channel whose members span every
 * node, chatters spread evenly over the nodes, each client block's connections routed to the
 * node their user belongs to, and expected deliveries counting only connected members.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { expectedDeliveries, locate, makePlan, nodeOf } from "./plan.ts";

test("every user is in one channel; the chatters are the asked share, inside their channel, spread over the nodes", () => {
  for (const o of [
    { users: 10_000, nodes: 3, clientProcs: 8, channelSize: 100, chatPercent: 1 },
    { users: 100_000, nodes: 6, clientProcs: 8, channelSize: 100, chatPercent: 1 },
    { users: 1_234, nodes: 4, clientProcs: 3, channelSize: 50, chatPercent: 10 },
  ]) {
    const plan = makePlan(o);
    const seen = new Array<number>(o.users).fill(0);
    const perNode = new Array<number>(o.nodes).fill(0);
    let chatters = 0;
    for (const ch of plan.channels) {
      for (let u = ch.first; u < ch.first + ch.size; u++) seen[u]!++;
      assert.equal(new Set(ch.chatters).size, ch.chatters.length, "distinct chatters");
      for (const u of ch.chatters) {
        assert.ok(u >= ch.first && u < ch.first + ch.size, "a chatter is a member");
        perNode[nodeOf(u, o.nodes)]!++;
      }
      if (ch.size >= o.nodes) assert.equal(new Set(Array.from({ length: ch.size }, (_, j) => nodeOf(ch.first + j, o.nodes))).size, o.nodes);
      chatters += ch.chatters.length;
    }
    assert.ok(
      seen.every((n) => n === 1),
      "each user in exactly one channel",
    );
    assert.ok(Math.abs(chatters - (o.users * o.chatPercent) / 100) <= plan.channels.length, `${chatters} chatters`);
    assert.ok(Math.max(...perNode) - Math.min(...perNode) <= 1, `chatters per node ${perNode.join(",")}`);
  }
});

test("client blocks cover every user once and send each connection to its user's node", () => {
  const o = { users: 10_001, nodes: 3, clientProcs: 8, channelSize: 100, chatPercent: 1 };
  const plan = makePlan(o);
  assert.equal(plan.clients.length, 8);
  assert.equal(
    plan.clients.reduce((a, b) => a + b.count, 0),
    o.users,
  );
  for (const b of plan.clients) {
    for (let j = 0; j < b.count; j += 97) assert.equal(b.nodeOrder[j % o.nodes], nodeOf(b.first + j, o.nodes));
  }
  const { client, conn } = locate(plan, 5_000);
  assert.equal(plan.clients[client]!.first + conn, 5_000);
});

test("expected deliveries: acked sends x the channel's connected members", () => {
  const plan = makePlan({ users: 300, nodes: 3, clientProcs: 2, channelSize: 100, chatPercent: 1 });
  assert.equal(expectedDeliveries(plan, new Map([[0, 5]]), new Set()), 500);
  assert.equal(
    expectedDeliveries(
      plan,
      new Map([
        [0, 5],
        [2, 1],
      ]),
      new Set([3, 250]),
    ),
    5 * 99 + 99,
  );
});
