/**
 * A small, safe markdown subset for messages: **bold**, *italic* / _italic_,
 * `code`, ``` fenced blocks ```, [links](https://…), bare URLs, @mentions and
 * line breaks. It produces a tree that the renderer turns into React
 * elements, so message text can never inject HTML; links are limited to
 * http(s) and mailto.
 */

/** A node of parsed message text. */
export type MdNode =
  | { t: "text"; v: string }
  | { t: "bold"; c: MdNode[] }
  | { t: "italic"; c: MdNode[] }
  | { t: "code"; v: string }
  /** A fenced block; `lang` is the fence's tag (```ts), when it has one. */
  | { t: "pre"; v: string; lang?: string }
  | { t: "link"; href: string; c: MdNode[] }
  | { t: "mention"; username: string }
  | { t: "br" };

/** Schemes a link may use; anything else (javascript:, data:) stays plain text. */
export function safeHref(href: string): string | undefined {
  try {
    const u = new URL(href);
    return u.protocol === "https:" || u.protocol === "http:" || u.protocol === "mailto:" ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

// One alternative per inline construct; the first match wins at each position.
const INLINE = new RegExp(
  [
    "`([^`\\n]+)`", // 1 code
    "\\*\\*([^\\n]+?)\\*\\*", // 2 bold
    "(?<![A-Za-z0-9*])\\*([^*\\s](?:[^*\\n]*[^*\\s])?)\\*(?![A-Za-z0-9*])", // 3 italic *
    "(?<![A-Za-z0-9_])_([^_\\s](?:[^_\\n]*[^_\\s])?)_(?![A-Za-z0-9_])", // 4 italic _
    "\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)", // 5, 6 link
    "(https?://[^\\s<>]*[^\\s<>.,;:!?)\\]'\"])", // 7 bare URL
    "(?<![A-Za-z0-9_])@([a-z0-9][a-z0-9._-]*[a-z0-9_]|[a-z0-9])", // 8 mention
  ].join("|"),
  "g",
);

function pushText(out: MdNode[], v: string): void {
  if (!v) return;
  const last = out[out.length - 1];
  if (last?.t === "text") last.v += v;
  else out.push({ t: "text", v });
}

/** Parse inline markdown of one line. */
export function parseInline(s: string, depth = 0): MdNode[] {
  const out: MdNode[] = [];
  let at = 0;
  INLINE.lastIndex = 0;
  const matches = [...s.matchAll(INLINE)];
  for (const m of matches) {
    const i = m.index;
    if (i < at) continue;
    pushText(out, s.slice(at, i));
    at = i + m[0].length;
    const nest = (inner: string): MdNode[] => (depth < 3 ? parseInline(inner, depth + 1) : [{ t: "text", v: inner }]);
    if (m[1] !== undefined) out.push({ t: "code", v: m[1] });
    else if (m[2] !== undefined) out.push({ t: "bold", c: nest(m[2]) });
    else if (m[3] !== undefined) out.push({ t: "italic", c: nest(m[3]) });
    else if (m[4] !== undefined) out.push({ t: "italic", c: nest(m[4]) });
    else if (m[5] !== undefined) {
      const href = safeHref(m[6]!);
      if (href) out.push({ t: "link", href, c: nest(m[5]) });
      else pushText(out, m[0]);
    } else if (m[7] !== undefined) {
      const href = safeHref(m[7]);
      if (href) out.push({ t: "link", href, c: [{ t: "text", v: m[7] }] });
      else pushText(out, m[0]);
    } else if (m[8] !== undefined) out.push({ t: "mention", username: m[8] });
  }
  pushText(out, s.slice(at));
  return out;
}

/** Parse a whole message: fenced code blocks first, then inline markdown line by line. */
export function parseMessage(text: string): MdNode[] {
  const out: MdNode[] = [];
  const parts = text.split(/```/);
  parts.forEach((part, idx) => {
    // Odd parts are inside a fence (an unclosed fence stays literal text).
    const fenced = idx % 2 === 1 && idx < parts.length - 1;
    if (fenced) {
      const tag = /^([a-z0-9+#-]*)\n/i.exec(part);
      const v = (tag ? part.slice(tag[0].length) : part).replace(/\n$/, "");
      out.push(tag?.[1] ? { t: "pre", v, lang: tag[1].toLowerCase() } : { t: "pre", v });
      return;
    }
    const literal = idx % 2 === 1 ? "```" + part : part;
    literal.split("\n").forEach((line, li) => {
      if (li > 0) out.push({ t: "br" });
      for (const n of parseInline(line))
        if (n.t === "text") pushText(out, n.v);
        else out.push(n);
    });
  });
  // Drop line breaks right around a code block (the block is already on its own line).
  return out.filter((n, i) => !(n.t === "br" && (out[i - 1]?.t === "pre" || out[i + 1]?.t === "pre")));
}
