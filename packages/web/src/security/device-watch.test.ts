import { test } from "node:test";
import assert from "node:assert/strict";
import { DeviceWatch } from "./device-watch.ts";
import { groupDigits } from "./digits.ts";
import { suiteBadge } from "./suite.ts";

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

test("device watch: first sight is trusted, later devices are new until acknowledged; survives a reload", () => {
  const storage = memoryStorage();
  const w = new DeviceWatch("mine", storage);
  assert.deepEqual(
    w.observe(
      new Map([
        ["bob", ["b1"]],
        ["me", ["mine"]],
      ]),
      "mine",
    ),
    [],
  );
  assert.deepEqual(
    w.observe(
      new Map([
        ["bob", ["b1", "b2"]],
        ["me", ["mine", "m2"]],
      ]),
      "mine",
    ),
    [
      { userId: "bob", deviceId: "b2" },
      { userId: "me", deviceId: "m2" },
    ],
  );
  // Seen once is enough: observing again does not warn twice.
  assert.deepEqual(w.observe(new Map([["bob", ["b1", "b2"]]]), "mine"), []);
  const again = new DeviceWatch("mine", storage);
  assert.deepEqual(again.pending(["bob"]), [{ userId: "bob", deviceId: "b2" }]);
  again.markVerified("bob", "111");
  assert.deepEqual(again.pending(["bob"]), []);
  assert.equal(again.status("bob", "111"), "verified");
  assert.equal(again.status("bob", "222"), "changed");
  assert.equal(again.status("carol", "333"), "unverified");
  // Another device of ours keeps its own record.
  assert.deepEqual(new DeviceWatch("other", storage).pending(), []);
});

test("digits: safety numbers in rows of groups of five; suite badge", () => {
  const n = Array.from({ length: 12 }, (_, i) => String(i).padStart(5, "0")).join(" ");
  assert.deepEqual(groupDigits(n), ["00000", "00001", "00002", "00003", "00004", "00005", "00006", "00007", "00008", "00009", "00010", "00011"]);
  assert.deepEqual(groupDigits("123456789012345"), ["12345", "67890", "12345"]);
  assert.equal(suiteBadge("xwing"), "post-quantum (X-Wing)");
  assert.equal(suiteBadge("default"), undefined);
});
