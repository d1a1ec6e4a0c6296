/** Renders parsed message markdown as React elements (never as HTML). */
import { Fragment, type ReactNode } from "react";
import { parseMessage, type MdNode } from "../../markdown/parse.ts";
import { CodeBlock } from "./code-block.tsx";

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

function render(nodes: MdNode[], isKnownUser: (u: string) => boolean): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case "text":
        return <Fragment key={i}>{n.v}</Fragment>;
      case "br":
        return <br key={i} />;
      case "bold":
        return <strong key={i}>{render(n.c, isKnownUser)}</strong>;
      case "italic":
        return <em key={i}>{render(n.c, isKnownUser)}</em>;
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

export function Markdown(props: { text: string; isKnownUser: (username: string) => boolean }) {
  return <>{render(parsed(props.text), props.isKnownUser)}</>;
}
