// Keeps the crypto-provider bench from rotting (not a benchmark: no figure is asserted).
import test from "node:test";
import assert from "node:assert/strict";
import { runProviderBench } from "./provider.ts";

test("the provider bench runs every configuration and reports per-round speed-ups", async () => {
  const r = await runProviderBench({ messages: 10, rounds: 2, with1000: false, commitRounds: 1, xwing: false }, false);
  assert.equal(Object.keys(r.throughput).length, 4);
  for (const [name, t] of Object.entries(r.throughput)) {
    assert.equal(t.wall.length, 2, name);
    assert.ok(t.wallMedian > 0 && t.cpuMedian > 0, name);
  }
  assert.equal(r.speedup.wall.length, 2);
  assert.ok(r.loadAverageAtStart.length === 3);
});
