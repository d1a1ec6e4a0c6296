/**
 * A fenced code block in a message: highlighted for its language tag (markdown/highlight.ts;
 * React elements built from a tree of class names and text, never injected HTML), the
 * language named above it, and a copy button that copies the block's plain text.
 */
import { useMemo, useState, type ReactNode } from "react";
import { highlightCode, languageOf, type HlNode } from "../../markdown/highlight.ts";
import "./code-block.css";

function render(nodes: HlNode[]): ReactNode[] {
  return nodes.map((n, i) =>
    typeof n === "string" ? (
      n
    ) : (
      <span key={i} className={n.cls}>
        {render(n.c)}
      </span>
    ),
  );
}

export function CodeBlock(props: { code: string; lang?: string | undefined }) {
  const tree = useMemo(() => highlightCode(props.code, props.lang), [props.code, props.lang]);
  const [copied, setCopied] = useState<"yes" | "failed">();
  const lang = languageOf(props.lang);
  async function copy() {
    try {
      await navigator.clipboard.writeText(props.code);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
    setTimeout(() => setCopied(undefined), 2000);
  }
  return (
    <div className="code-block" data-lang={lang ?? "plain"}>
      <div className="code-block-bar">
        <span className="code-block-lang">{lang ?? props.lang ?? "text"}</span>
        <button type="button" className="link code-copy" aria-label="Copy code" onClick={() => void copy()}>
          {copied === "yes" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
        </button>
      </div>
      <pre>
        <code className={lang ? `hljs language-${lang}` : undefined}>{render(tree)}</code>
      </pre>
    </div>
  );
}
