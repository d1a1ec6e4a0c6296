/**
 * Syntax highlighting for fenced code blocks (issue 13): highlight.js core with only the
 * languages messages are expected to carry registered (the full build is ~10x larger).
 *
 * highlight.js answers HTML in which the code's own text is escaped and the only markup is
 * `<span class="hljs-…">` / `</span>`. That HTML never reaches the DOM: `readHighlighted`
 * turns it into a small tree of class names and plain strings, which the renderer builds
 * React elements from. Anything else in the output (it should never happen) stays text, so
 * a message cannot inject markup through a code block either.
 */
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, diff, go, java, json, python, rust, sql, typescript, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);
// Tags people type that the registered grammars do not name themselves.
hljs.registerAliases(["shell", "console"], { languageName: "bash" });
hljs.registerAliases(["javascript", "js", "jsx"], { languageName: "typescript" });

/** Highlighted code: text, or a span with highlight.js's class names around more of it. */
export type HlNode = string | { cls: string; c: HlNode[] };

/** The registered language a fence's tag names (its aliases included), or undefined: plain text. */
export function languageOf(tag: string | undefined): string | undefined {
  const t = tag?.toLowerCase();
  return t && hljs.getLanguage(t) ? t : undefined;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#x27|#39);/g, (_, e: string) => ENTITIES[e]!);

/** Read highlight.js's HTML as a tree: only `<span class="…">` and `</span>` are markup; the rest is text. */
export function readHighlighted(html: string): HlNode[] {
  const root: HlNode[] = [];
  const stack: HlNode[][] = [root];
  const re = /<span class="([\w\- ]+)">|<\/span>/g;
  let last = 0;
  for (let m = re.exec(html); m; m = re.exec(html)) {
    if (m.index > last) stack.at(-1)!.push(unescape(html.slice(last, m.index)));
    last = re.lastIndex;
    if (m[1] !== undefined) {
      const span: HlNode = { cls: m[1], c: [] };
      stack.at(-1)!.push(span);
      stack.push(span.c);
    } else if (stack.length > 1) stack.pop();
  }
  if (last < html.length) stack.at(-1)!.push(unescape(html.slice(last)));
  return root;
}

/** `code` highlighted as `tag`'s language, or the code as one text node when the tag names none we have. */
export function highlightCode(code: string, tag: string | undefined): HlNode[] {
  const lang = languageOf(tag);
  if (!lang) return [code];
  return readHighlighted(hljs.highlight(code, { language: lang, ignoreIllegals: true }).value);
}
