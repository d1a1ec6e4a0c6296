/**
 * Find in this channel (Ctrl/Cmd+F): searches the messages this device has
 * loaded and decrypted, steps through results (Enter / Shift+Enter, arrows),
 * Esc closes. The query never leaves the browser.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { filesOf } from "../client/extras.ts";
import { Icon } from "../components/icon.tsx";
import { navigate, searchPath } from "../router.ts";
import { searchMessages, stepResult } from "./search.ts";

/** What the message list highlights. */
export interface SearchHighlight {
  hits: ReadonlySet<number>;
  current: number | undefined;
}

export function SearchBar(props: { channelId: string; onClose: () => void; onHighlight: (h: SearchHighlight | undefined) => void }) {
  const chat = useChat();
  const h = chat.history(props.channelId);
  const [q, setQ] = useState("");
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const version = h.version;
  const results = useMemo(
    () =>
      searchMessages(
        h.messages().map((m) => ({
          seq: m.seq,
          text: m.text,
          deleted: m.deleted,
          decodeError: m.decodeError,
          fileNames: filesOf(h.event(m.seq)).map((f) => f.name),
        })),
        q,
      ),
    [h, version, q],
  );
  // Newest result first, as in a browser's find-in-page from the bottom of a chat.
  const current = results.length ? results[results.length - 1 - Math.min(index, results.length - 1)] : undefined;
  const { onHighlight } = props;
  useEffect(() => {
    onHighlight(q.trim() ? { hits: new Set(results), current } : undefined);
  }, [onHighlight, q, results, current]);
  useEffect(() => () => onHighlight(undefined), [onHighlight]);
  useEffect(() => {
    input.current?.focus();
  }, []);
  const step = (dir: 1 | -1) => setIndex((i) => Math.max(0, stepResult(Math.min(i, results.length - 1), results.length, dir)));
  const position = results.length ? `${Math.min(index, results.length - 1) + 1} of ${results.length}` : q.trim() ? "No results" : "";

  return (
    <div className="search-bar" role="search" aria-label="Search in this channel">
      <Icon name="search" />
      <input
        ref={input}
        type="search"
        value={q}
        placeholder="Find in loaded messages"
        aria-label="Find in this channel"
        aria-describedby="search-status"
        onChange={(e) => {
          setQ(e.target.value);
          setIndex(0);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === "ArrowUp" || e.key === "ArrowDown") {
            e.preventDefault();
            step(e.key === "ArrowDown" || (e.key === "Enter" && e.shiftKey) ? -1 : 1);
          }
          if (e.key === "Escape") {
            e.preventDefault();
            props.onClose();
          }
        }}
      />
      <span id="search-status" className="muted" role="status" aria-live="polite">
        {position}
      </span>
      <button type="button" className="icon" aria-label="Older result" disabled={results.length < 2} onClick={() => step(1)}>
        <Icon name="up" />
      </button>
      <button type="button" className="icon" aria-label="Newer result" disabled={results.length < 2} onClick={() => step(-1)}>
        <Icon name="down" />
      </button>
      {h.hasOlder ? (
        <button type="button" className="link" disabled={h.loadingOlder} onClick={() => void chat.loadOlder(props.channelId)}>
          Load older messages
        </button>
      ) : null}
      <button type="button" className="link" onClick={() => navigate(searchPath(q.trim(), props.channelId))}>
        Search all of its history
      </button>
      <span className="muted" title="The server only stores encrypted messages: search runs on this device">
        on this device only
      </span>
      <button type="button" className="icon" aria-label="Close search" onClick={props.onClose}>
        <Icon name="close" />
      </button>
    </div>
  );
}
