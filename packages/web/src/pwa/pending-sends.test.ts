import { test } from "node:test";
import assert from "node:assert/strict";
import { PendingSends } from "./pending-sends.ts";

test("an offline send shows at once as pending, then as sent once acknowledged late", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const p = new PendingSends();
  let ack!: () => void;
  const done = p.track(
    "c1",
    null,
    "hello",
    true,
    () =>
      new Promise<void>((r) => {
        ack = r;
      }),
  );
  assert.deepEqual(
    p.snapshot().map((x) => [x.text, x.state]),
    [["hello", "pending"]],
  );
  t.mock.timers.tick(5_000);
  ack();
  await done;
  assert.deepEqual(
    p.snapshot().map((x) => x.state),
    ["sent"],
  );
  t.mock.timers.tick(4_000);
  assert.deepEqual(p.snapshot(), []);
});

test("an online send that is acknowledged quickly never shows; a failed one is removed and rethrown", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const p = new PendingSends();
  let seen = 0;
  p.subscribe(() => {
    seen += p.snapshot().length;
  });
  await p.track("c1", null, "fast", false, async () => undefined);
  assert.equal(seen, 0);
  await assert.rejects(
    p.track("c1", 7, "broken", true, async () => {
      throw new Error("refused");
    }),
    /refused/,
  );
  assert.deepEqual(p.snapshot(), []);
});
