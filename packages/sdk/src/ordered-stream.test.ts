import { test } from "node:test";
import assert from "node:assert/strict";
import { OrderedStream } from "./ordered-stream.ts";

test("catchUp() and idle() on a closed stream return at once and fetch nothing", async () => {
  let fetches = 0;
  const s = new OrderedStream<number>({
    cursor: 0,
    seqOf: (n) => n,
    deliver: () => {},
    onError: () => {},
    gapFillDelayMs: 10,
    fetchAfter: async () => {
      fetches++;
      return { items: [], hasMore: false };
    },
  });
  s.close();
  await s.catchUp();
  // Before the fix idle() spun on a settled promise forever, starving timers.
  const done = await Promise.race([s.idle().then(() => "idle"), new Promise((r) => setTimeout(() => r("timeout"), 500))]);
  assert.equal(done, "idle");
  assert.equal(fetches, 0);
});
