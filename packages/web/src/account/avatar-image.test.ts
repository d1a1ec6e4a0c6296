import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToBase64, centreSquare, fitWithin } from "./avatar-image.ts";

test("avatar: scaled down to fit 256×256 keeping the aspect ratio, never scaled up", () => {
  assert.deepEqual(fitWithin(1024, 1024), { width: 256, height: 256 });
  assert.deepEqual(fitWithin(4000, 3000), { width: 256, height: 192 });
  assert.deepEqual(fitWithin(300, 1200), { width: 64, height: 256 });
  assert.deepEqual(fitWithin(100, 40), { width: 100, height: 40 });
  assert.deepEqual(fitWithin(5000, 1), { width: 256, height: 1 });
  assert.deepEqual(fitWithin(0, 0), { width: 1, height: 1 });
});

test("avatar: base64 of any size (chunked) equals Node's", () => {
  for (const n of [0, 1, 2, 3, 100, 0x8000, 0x8000 * 3 + 7]) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 7919) & 0xff);
    assert.equal(bytesToBase64(bytes), Buffer.from(bytes).toString("base64"), `${n} bytes`);
  }
});

test("avatar: cropped to the centred square before scaling", () => {
  assert.deepEqual(centreSquare(4000, 3000), { x: 500, y: 0, side: 3000 });
  assert.deepEqual(centreSquare(300, 1201), { x: 0, y: 450, side: 300 });
  assert.deepEqual(centreSquare(64, 64), { x: 0, y: 0, side: 64 });
  assert.deepEqual(centreSquare(0, 0), { x: 0, y: 0, side: 1 });
});
