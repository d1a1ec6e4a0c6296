import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { frequentOf, mergeUsage, parseUsage, recordUse, type EmojiUsage } from "./emoji-usage.ts";
import { searchStandard } from "./emoji-data.ts";
import { pickerPlacement } from "./placement.ts";

const DAY = 24 * 3600_000;

describe("emoji usage", () => {
  it("ranks by a count that halves every week, ties by the later use", () => {
    const t0 = 1_000 * DAY;
    let u: EmojiUsage = {};
    for (let i = 0; i < 4; i++) u = recordUse(u, "🚀", t0);
    u = recordUse(u, "👍", t0 + 13 * DAY);
    u = recordUse(u, "👍", t0 + 14 * DAY);
    // 🚀: 4 uses two weeks ago (≈1); 👍: ≈1.9 now.
    assert.deepEqual(frequentOf(u, t0 + 14 * DAY), ["👍", "🚀"]);
    assert.deepEqual(frequentOf(u, t0), ["🚀", "👍"]);
  });

  it("keeps at most 40 emoji, dropping the least used", () => {
    let u: EmojiUsage = {};
    for (let i = 0; i < 45; i++) u = recordUse(u, `:e${i}:`, 1000 + i);
    u = recordUse(u, ":e0:", 2000);
    assert.equal(Object.keys(u).length, 40);
    assert.ok(u[":e0:"], "used twice: kept");
    assert.equal(u[":e1:"], undefined, "the oldest single use goes");
  });

  it("merges two devices' tables (larger count, later use) and refuses junk", () => {
    const a: EmojiUsage = { "🚀": { count: 3, at: 10 }, "👍": { count: 1, at: 50 } };
    const b: EmojiUsage = { "🚀": { count: 1, at: 90 }, "🎉": { count: 2, at: 5 } };
    assert.deepEqual(mergeUsage(a, b), { "🚀": { count: 3, at: 90 }, "👍": { count: 1, at: 50 }, "🎉": { count: 2, at: 5 } });
    assert.deepEqual(parseUsage({ "🚀": { count: 2, at: 1 }, bad: { count: "x" }, nope: null }), { "🚀": { count: 2, at: 1 } });
    assert.deepEqual(parseUsage("not a table"), {});
    assert.deepEqual(parseUsage(undefined), {});
  });

  it("searches standard emoji by the start of a word, with or without colons", () => {
    assert.deepEqual(
      searchStandard(":thumbs").map((e) => e.char),
      ["👍", "👎"],
    );
    assert.ok(searchStandard("").length > 50);
    assert.deepEqual(searchStandard("zzz"), []);
  });
});

describe("picker placement", () => {
  it("opens below a button with room under it, above one near the bottom, and stays inside the window", () => {
    const view = { width: 1280, height: 800 };
    assert.deepEqual(pickerPlacement({ top: 100, bottom: 130, right: 1000 }, view), {
      position: "fixed",
      top: 134,
      left: 680,
      bottom: "auto",
      right: "auto",
      zIndex: 1000,
    });
    assert.deepEqual(pickerPlacement({ top: 740, bottom: 770, right: 1270 }, view), {
      position: "fixed",
      top: 384,
      left: 950,
      bottom: "auto",
      right: "auto",
      zIndex: 1000,
    });
    assert.equal(pickerPlacement({ top: 100, bottom: 130, right: 50 }, view).left, 8);
    assert.equal(pickerPlacement({ top: 200, bottom: 230, right: 500 }, { width: 1280, height: 400 }).top, 8);
  });
});
