/** The page's presence watch set: counted per dot, sent once per burst of mounts and unmounts. */
import { test, mock } from "node:test";
import assert from "node:assert/strict";
import { PresenceWatch } from "./presence-watch.ts";

test("PresenceWatch sends the shown users once per burst, counting several dots of one user", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const sent: string[][] = [];
    const w = new PresenceWatch((ids) => sent.push(ids), 100);
    const offA1 = w.add("a");
    const offA2 = w.add("a");
    const offB = w.add("b");
    mock.timers.tick(100);
    assert.deepEqual(sent, [["a", "b"]]);
    offA1();
    offA1(); // twice: counted once
    mock.timers.tick(100);
    assert.equal(sent.length, 1, "a is still shown by another dot");
    offA2();
    offB();
    w.add("c");
    mock.timers.tick(100);
    assert.deepEqual(sent, [["a", "b"], ["c"]]);
    w.stop();
  } finally {
    mock.timers.reset();
  }
});
