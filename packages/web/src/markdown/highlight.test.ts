import { test } from "node:test";
import assert from "node:assert/strict";
import { highlightCode, languageOf, readHighlighted, type HlNode } from "./highlight.ts";

/** The text a tree shows, markup dropped. */
const textOf = (nodes: HlNode[]): string => nodes.map((n) => (typeof n === "string" ? n : textOf(n.c))).join("");
/** Every class name in a tree. */
const classesOf = (nodes: HlNode[]): string[] => nodes.flatMap((n) => (typeof n === "string" ? [] : [n.cls, ...classesOf(n.c)]));

test("highlight: each required language (and its usual tags) is registered; others are plain", () => {
  for (const tag of ["ts", "typescript", "python", "py", "sql", "json", "bash", "sh", "yaml", "yml", "go", "java", "rust", "rs", "diff", "JS"])
    assert.ok(languageOf(tag), tag);
  for (const tag of [undefined, "", "plain", "text", "cobol"]) assert.equal(languageOf(tag), undefined, String(tag));
});

test("highlight: tokens get highlight.js classes and the text round-trips exactly", () => {
  const samples: Array<[string, string, string]> = [
    ["ts", "const a: number = 1; // one", "hljs-keyword"],
    ["python", "def f(x):\n    return 'x'", "hljs-keyword"],
    ["sql", "SELECT * FROM t WHERE a < 3 AND b > 'x';", "hljs-keyword"],
    ["json", '{"a": [1, true, "s & t"]}', "hljs-attr"],
    ["bash", 'echo "$HOME" && ls -la', "hljs-built_in"],
    ["yaml", "key: value\nlist:\n  - 1", "hljs-attr"],
    ["go", 'func main() { fmt.Println("hi") }', "hljs-keyword"],
    ["java", "public class A { int x = 1; }", "hljs-keyword"],
    ["rust", "fn main() { let x = 1; }", "hljs-keyword"],
    ["diff", "- old\n+ new", "hljs-addition"],
  ];
  for (const [lang, code, cls] of samples) {
    const tree = highlightCode(code, lang);
    assert.equal(textOf(tree), code, lang);
    assert.ok(classesOf(tree).includes(cls), `${lang}: ${classesOf(tree).join(",")}`);
  }
  assert.deepEqual(highlightCode("a <b> & c", "plain"), ["a <b> & c"]);
  assert.deepEqual(highlightCode("a <b> & c", undefined), ["a <b> & c"]);
});

test("highlight: <script> and <img onerror> in code stay text, never markup", () => {
  const evil = `<script>alert(1)</script>\n<img src=x onerror="alert(2)">\n<span class="x">`;
  for (const lang of ["ts", "bash", "json", "sql", "diff", undefined]) {
    const tree = highlightCode(evil, lang);
    assert.equal(textOf(tree), evil, String(lang));
    // The only elements are highlight.js's own spans, with its class names.
    for (const cls of classesOf(tree)) assert.match(cls, /^hljs-[\w-]+( [\w-]+_?)*$/, `${lang}: ${cls}`);
  }
});

test("highlight: the HTML reader only knows <span class> and </span>; anything else is text", () => {
  assert.deepEqual(readHighlighted('<span class="hljs-string">&quot;a&lt;b&gt;&amp;&#x27;</span> x'), [{ cls: "hljs-string", c: ["\"a<b>&'"] }, " x"]);
  assert.deepEqual(readHighlighted('<img src=x onerror=alert(1)><span onclick="y">z</span>'), ['<img src=x onerror=alert(1)><span onclick="y">z']);
  assert.deepEqual(readHighlighted("</span>a"), ["a"]);
});
