import { test } from "node:test";
import assert from "node:assert/strict";
import { highlightParts, searchMessages, stepResult } from "./search.ts";

const m = (seq: number, text: string, extra: Partial<{ deleted: boolean; decodeError: string; fileNames: string[] }> = {}) => ({
  seq,
  text,
  deleted: false,
  decodeError: undefined,
  ...extra,
});

test("search: every word, case and accents folded; deleted, undecryptable skipped; file names match", () => {
  const msgs = [
    m(1, "Déjà vu at the Café"),
    m(2, "the cafe is closed"),
    m(3, "cafe", { deleted: true }),
    m(4, "", { decodeError: "x" }),
    m(5, "see attachment", { fileNames: ["Cafe-menu.pdf"] }),
  ];
  assert.deepEqual(searchMessages(msgs, "CAFE"), [1, 2, 5]);
  assert.deepEqual(searchMessages(msgs, "deja cafe"), [1]);
  assert.deepEqual(searchMessages(msgs, "   "), []);
  assert.deepEqual(searchMessages(msgs, "menu"), [5]);
});

test("search: result navigation wraps", () => {
  assert.equal(stepResult(2, 3, 1), 0);
  assert.equal(stepResult(0, 3, -1), 2);
  assert.equal(stepResult(0, 0, 1), -1);
});

test("search: result text split into matched words and the rest, folded, prefixes of words, rejoining to the text", () => {
  const parts = highlightParts("Le Café ouvre: cafés, CAFETERIA & decaf.", ["cafe"]);
  assert.equal(parts.map((p) => p.text).join(""), "Le Café ouvre: cafés, CAFETERIA & decaf.");
  assert.deepEqual(
    parts.filter((p) => p.match).map((p) => p.text),
    ["Café", "cafés", "CAFETERIA"],
  );
  assert.deepEqual(highlightParts("nothing here", []), [{ text: "nothing here", match: false }]);
});
