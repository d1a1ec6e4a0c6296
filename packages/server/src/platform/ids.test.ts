import assert from "node:assert/strict";
import { test } from "node:test";
import { newId } from "./ids.ts";

test("ids drawn from the pooled random bytes are distinct across many pool refills and keep their shape", () => {
  const seen = new Set<string>();
  // 256 ids per 4 KiB pool: 3,000 ids cross the refill boundary several times, at different offsets.
  for (let i = 0; i < 3_000; i++) {
    const id = newId("ev");
    assert.match(id, /^ev_[A-Za-z0-9_-]{22}$/);
    seen.add(id);
  }
  assert.equal(seen.size, 3_000);
});
