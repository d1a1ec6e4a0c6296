/** Renders parsed message markdown as React elements (never as HTML). */
import { Fragment, type ReactNode } from "react";
import { parseMessage, type MdNode } from "../../markdown/parse.ts";
import { CodeBlock } from "./code-block.tsx";
import { EmojiGlyph } from "../../emoji/emoji-glyph.tsx";

// Parsing is cheap but runs for every visible row on every render: keep recent results.
const cache = new Map<string, MdNode[]>();
function parsed(text: string): MdNode[] {
  let nodes = cache.get(text);
  if (!nodes) {
    nodes = parseMessage(text);
    if (cache.size > 2000) cache.clear();
    cache.set(text, nodes);
  }
  return nodes;
}

/** Whether `name` is one of the org's custom emoji (then `:name:` in text shows its image). */
type IsCustomEmoji = ((name: string) => boolean) | undefined;

/** Text with the org's `:shortcode:`s as custom emoji images; other text (and unknown shortcodes) as typed. */
function withCustomEmoji(text: string, isCustomEmoji: IsCustomEmoji): ReactNode {
  if (!isCustomEmoji || !text.includes(":")) return text;
  const parts = text.split(/(:[a-z0-9_+-]{2,32}:)/);
  return parts.map((p, i) => (i % 2 === 1 && isCustomEmoji(p.slice(1, -1)) ? <EmojiGlyph key={i} emoji={p} /> : p));
}

function render(nodes: MdNode[], isKnownUser: (u: string) => boolean, isCustomEmoji?: IsCustomEmoji): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return <Fragment key={i}>{withCustomEmoji(n.v, isCustomEmoji)}</Fragment>;
      case "br":
        return <br key={i} />;
      case "bold":
        return <strong key={i}>{render(n.c, isKnownUser, isCustomEmoji)}</strong>;
      case "italic":
        return <em key={i}>{render(n.c, isKnownUser, isCustomEmoji)}</em>;
      case "code":
        return <code key={i}>{n.v}</code>;
      case "pre":
        return <CodeBlock key={i} code={n.v} lang={n.lang} />;
      case "link":
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer nofollow">
            {render(n.c, isKnownUser)}
          </a>
        );
      case "mention":
        return isKnownUser(n.username) ? (
          <span key={i} className="mention">
            @{n.username}
          </span>
        ) : (
          <Fragment key={i}>@{n.username}</Fragment>
        );
    }
  });
}

export function Markdown(props: { text: string; isKnownUser: (username: string) => boolean; isCustomEmoji?: (name: string) => boolean }) {
  return <>{render(parsed(props.text), props.isKnownUser, props.isCustomEmoji)}</>;
}
