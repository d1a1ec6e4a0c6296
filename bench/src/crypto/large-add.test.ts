// Keeps the large-add bench from rotting (not a benchmark: no figure is asserted).
import test from "node:test";
import assert from "node:assert/strict";
import { runLargeAddBench } from "./large-add.ts";

test("the large-add bench runs every configuration of both suites", { timeout: 120_000 }, async () => {
  const r = await runLargeAddBench({ members: 3, rounds: 1, suites: ["default", "xwing"] }, false);
  const [def, xwing] = r.suites;
  assert.equal(Object.keys(def!.configs).length, 5);
  assert.equal(Object.keys(xwing!.configs).length, 4);
  for (const s of r.suites) {
    for (const [name, c] of Object.entries(s.configs)) {
      assert.equal(c.runs.length, 1, name);
      assert.ok(c.median.addMs > 0 && c.median.joinMs > 0 && c.median.processMs > 0, name);
    }
    const c = s.configs;
    assert.ok(c["raw ts-mls, no tree"]!.median.welcomeBytes < c["raw ts-mls, tree in Welcome"]!.median.welcomeBytes, `${s.suite}: raw`);
    assert.ok(c["Parley now (no tree)"]!.median.welcomeBytes < c["Parley before (tree in Welcome, @hpke)"]!.median.welcomeBytes, `${s.suite}: Parley`);
  }
});
