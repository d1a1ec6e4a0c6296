import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { COMPOSITE_HEIGHT, COMPOSITE_WIDTH, compositeLayout, type Box } from "./recording-composite.ts";

const inside = (b: Box) => b.x >= 0 && b.y >= 0 && b.x + b.w <= COMPOSITE_WIDTH + 1e-9 && b.y + b.h <= COMPOSITE_HEIGHT + 1e-9;
const overlap = (a: Box, b: Box) => a.x < b.x + b.w - 1e-9 && b.x < a.x + a.w - 1e-9 && a.y < b.y + b.h - 1e-9 && b.y < a.y + a.h - 1e-9;

describe("group recording composite layout", () => {
  it("one camera fills the picture; four make a 2×2 grid; five take three columns and two rows", () => {
    assert.deepEqual(compositeLayout(1, false).cameras, [{ x: 0, y: 0, w: COMPOSITE_WIDTH, h: COMPOSITE_HEIGHT }]);
    const four = compositeLayout(4, false).cameras;
    assert.deepEqual(
      four.map((b) => [b.x, b.y]),
      [
        [0, 0],
        [640, 0],
        [0, 360],
        [640, 360],
      ],
    );
    const five = compositeLayout(5, false).cameras;
    assert.equal(new Set(five.map((b) => b.y)).size, 2);
    assert.equal(five[0]!.w, COMPOSITE_WIDTH / 3);
  });

  it("every box is inside the picture and none overlaps another, with or without a shared screen, up to 50 people", () => {
    for (const screen of [false, true]) {
      for (let n = 1; n <= 50; n++) {
        const l = compositeLayout(n, screen);
        const boxes = [...(l.screen ? [l.screen] : []), ...l.cameras];
        assert.equal(l.cameras.length, n);
        for (const b of boxes) assert.ok(inside(b), `${n} ${screen}: ${JSON.stringify(b)}`);
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlap(boxes[i]!, boxes[j]!), `${n} ${screen}: ${i} ${j}`);
      }
    }
  });

  it("a shared screen takes the top; the cameras share the strip below it", () => {
    const l = compositeLayout(3, true);
    assert.deepEqual(l.screen, { x: 0, y: 0, w: COMPOSITE_WIDTH, h: COMPOSITE_HEIGHT - 160 });
    assert.ok(l.cameras.every((b) => b.y === COMPOSITE_HEIGHT - 160 && b.h === 160));
  });
});
