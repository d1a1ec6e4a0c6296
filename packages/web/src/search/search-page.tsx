/**
 * Search messages (Ctrl/Cmd+Shift+F): every channel's messages on this device, from the client
 * worker's sealed index (issue 9) — back-filled in the background, so a new device finds what was
 * said before it existed once it reads the history. The query stays in the browser; the URL
 * (/search?q=…&in=…) keeps it for back and forward. A result opens the message in its channel
 * (or its thread), paged in and marked.
 */
import { foldSearchText, type SearchHit } from "@parley/sdk";
import { useEffect, useRef, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { navigate, searchPath } from "../router.ts";
import { Icon } from "../components/icon.tsx";
import type { SearchStatus } from "../worker/protocol.ts";
import { highlightParts } from "./search.ts";

/** Typing settles this long before the index is asked. */
const DEBOUNCE_MS = 120;
/** While the index is back-filling, results are refreshed this often. */
const POLL_MS = 1_000;

/** Where a result opens: the channel at the message, or its thread with the reply marked. */
function hitPath(h: Pick<SearchHit, "channelId" | "seq" | "threadRoot">): string {
  return h.threadRoot ? `/c/${h.channelId}?thread=${h.threadRoot}&at=${h.seq}` : `/c/${h.channelId}?at=${h.seq}`;
}

function statusLine(s: SearchStatus | undefined): string {
  if (!s) return "";
  const indexed = `${s.indexed.toLocaleString()} ${s.indexed === 1 ? "message" : "messages"} indexed on this device`;
  if (s.backfilling) return `${indexed} · reading history (${s.read.toLocaleString()} read)…`;
  if (s.error) return `${indexed} · reading history failed (${s.error}); it is tried again when you reconnect`;
  return indexed;
}

export function SearchPage(props: { query: string; channelId: string | undefined }) {
  const chat = useChat();
  const [text, setText] = useState(props.query);
  const [answer, setAnswer] = useState<{ query: string; hits: SearchHit[]; status: SearchStatus }>();
  const [error, setError] = useState<string>();
  const input = useRef<HTMLInputElement>(null);
  const { query, channelId } = props;

  useEffect(() => {
    input.current?.focus();
  }, []);

  // The URL follows the box (replace, not push: back leaves search, not each keystroke).
  useEffect(() => {
    const t = setTimeout(() => navigate(searchPath(text.trim(), channelId), true), DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, channelId]);

  // Ask the worker's index; again every second while it is still reading history.
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = async () => {
      try {
        const a = await chat.client.searchMessages(query, { ...(channelId ? { channelId } : {}), limit: 100 });
        if (stop) return;
        setAnswer({ query, ...a });
        setError(undefined);
        if (a.status.backfilling) timer = setTimeout(() => void ask(), POLL_MS);
      } catch (err) {
        if (!stop) setError((err as Error).message);
      }
    };
    void ask();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [chat, query, channelId]);

  const channels = [...chat.channels].sort((a, b) => chat.channelTitle(a).localeCompare(chat.channelTitle(b)));
  const words = foldSearchText(query).split(/\s+/).filter(Boolean);
  const hits = answer?.query === query ? answer.hits : [];

  return (
    <section className="search-page" aria-labelledby="search-title">
      <header className="channel-head">
        <h1 id="search-title">
          <Icon name="search" /> Search messages
        </h1>
        <span className="muted" title="The server only stores encrypted messages: the index and your search stay on this device">
          on this device only
        </span>
      </header>
      <form
        className="search-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(searchPath(text.trim(), channelId), true);
        }}
      >
        <input
          ref={input}
          type="search"
          value={text}
          placeholder="Words from a message or a file name"
          aria-label="Search messages in every channel"
          aria-describedby="search-page-status"
          onChange={(e) => setText(e.target.value)}
        />
        <select aria-label="Search in" value={channelId ?? ""} onChange={(e) => navigate(searchPath(text.trim(), e.target.value || undefined), true)}>
          <option value="">All channels</option>
          {channels.map((c) => (
            <option key={c.id} value={c.id}>
              {c.kind === "dm" || c.kind === "group_dm" ? chat.channelTitle(c) : `#${c.name}`}
            </option>
          ))}
        </select>
      </form>
      <p id="search-page-status" className="muted search-status" role="status" aria-live="polite">
        {error ? `Search is not available: ${error}` : statusLine(answer?.status)}
      </p>
      <div className="search-results">
        {query && answer?.query === query ? (
          hits.length ? (
            <ol aria-label="Search results">
              {hits.map((h) => {
                const c = chat.channel(h.channelId);
                const where = !c ? "a channel you left" : c.kind === "dm" || c.kind === "group_dm" ? chat.channelTitle(c) : `#${c.name}`;
                return (
                  <li key={`${h.channelId}:${h.seq}`}>
                    <a
                      href={hitPath(h)}
                      className="search-hit-link"
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(hitPath(h));
                      }}
                    >
                      <span className="hit-head">
                        <span className="hit-where">{where}</span>
                        {h.threadRoot ? <span className="muted"> · in a thread</span> : null}
                        <span className="hit-sender">{chat.userName(h.senderId)}</span>
                        <time className="muted" dateTime={new Date(h.createdAt).toISOString()}>
                          {new Date(h.createdAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
                        </time>
                      </span>
                      <span className="hit-text">
                        {highlightParts(h.text, words).map((p, i) => (p.match ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
                      </span>
                    </a>
                  </li>
                );
              })}
            </ol>
          ) : (
            <p className="empty-results muted">
              No messages match “{query}”{channelId ? " in this channel" : ""}.
              {answer.status.backfilling ? " History is still being read: results may appear in a moment." : ""}
            </p>
          )
        ) : !query ? (
          <p className="empty-results muted">Type words to find messages in every channel. Matching ignores case and accents; the last word may be a prefix.</p>
        ) : null}
      </div>
    </section>
  );
}
