import { test } from "node:test";
import assert from "node:assert/strict";
import { parseInline, parseMessage, safeHref } from "./parse.ts";

test("markdown: bold, italic, code, links and mentions", () => {
  assert.deepEqual(parseInline("a **b** *c* _d_ `e` @bob"), [
    { t: "text", v: "a " },
    { t: "bold", c: [{ t: "text", v: "b" }] },
    { t: "text", v: " " },
    { t: "italic", c: [{ t: "text", v: "c" }] },
    { t: "text", v: " " },
    { t: "italic", c: [{ t: "text", v: "d" }] },
    { t: "text", v: " " },
    { t: "code", v: "e" },
    { t: "text", v: " " },
    { t: "mention", username: "bob" },
  ]);
  assert.deepEqual(parseInline("see [docs](https://x.test/a) or https://y.test/b."), [
    { t: "text", v: "see " },
    { t: "link", href: "https://x.test/a", c: [{ t: "text", v: "docs" }] },
    { t: "text", v: " or " },
    { t: "link", href: "https://y.test/b", c: [{ t: "text", v: "https://y.test/b" }] },
    { t: "text", v: "." },
  ]);
});

test("markdown: snake_case and a*b*c stay text; code is not parsed inside", () => {
  assert.deepEqual(parseInline("snake_case_name 2*3*4"), [{ t: "text", v: "snake_case_name 2*3*4" }]);
  assert.deepEqual(parseInline("`**x**`"), [{ t: "code", v: "**x**" }]);
});

test("markdown: unsafe link schemes and raw HTML stay plain text", () => {
  assert.equal(safeHref("javascript:alert(1)"), undefined);
  assert.equal(safeHref("data:text/html,x"), undefined);
  assert.deepEqual(parseInline("[x](javascript:alert(1))"), [{ t: "text", v: "[x](javascript:alert(1))" }]);
  assert.deepEqual(parseInline("<img src=x onerror=alert(1)>"), [{ t: "text", v: "<img src=x onerror=alert(1)>" }]);
});

test("markdown: fenced blocks and line breaks", () => {
  assert.deepEqual(parseMessage("hi\n```js\nconst a = 1;\n```\nbye"), [
    { t: "text", v: "hi" },
    { t: "pre", v: "const a = 1;", lang: "js" },
    { t: "text", v: "bye" },
  ]);
  // The tag is kept (lower-cased) for highlighting; a block without one has no lang.
  assert.deepEqual(parseMessage("```Python\nx = 1\n```"), [{ t: "pre", v: "x = 1", lang: "python" }]);
  assert.deepEqual(parseMessage("```\nplain <b>\n```"), [{ t: "pre", v: "plain <b>" }]);
  assert.deepEqual(parseMessage("a\nb"), [{ t: "text", v: "a" }, { t: "br" }, { t: "text", v: "b" }]);
  assert.deepEqual(parseMessage("open ``` fence"), [{ t: "text", v: "open ``` fence" }]);
});
