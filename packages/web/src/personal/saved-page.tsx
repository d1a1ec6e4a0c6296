/**
 * Saved messages (issue 13): the user's private bookmarks, synced across their devices and
 * sealed under the key locker (ADR 0009) — the server cannot tell which messages they are.
 * Each shows where, who and what it said when saved; clicking opens it in its channel.
 */
import "./personal.css";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { navigate } from "../router.ts";
import { usePersonalShelf } from "./shelf.ts";
import { useEffect, useState } from "react";

export function SavedPage() {
  const chat = useChat();
  const shelf = usePersonalShelf(chat);
  const [error, setError] = useState<string>();
  // Opening the view syncs with the user's other devices.
  useEffect(() => void shelf.reload().catch((err: unknown) => setError(describeError(err))), [shelf]);
  const saved = shelf.saved();
  const where = (channelId: string) => {
    const c = chat.channel(channelId);
    return !c ? "a channel you left" : c.kind === "dm" || c.kind === "group_dm" ? chat.channelTitle(c) : `#${c.name}`;
  };
  return (
    <section className="saved-page" aria-labelledby="saved-h">
      <header>
        <h2 id="saved-h">Saved messages</h2>
        <p className="muted">Only you see these. They are end-to-end encrypted and follow you to your other devices.</p>
      </header>
      {!shelf.loaded ? <p className="muted">Loading…</p> : null}
      {shelf.loaded && !shelf.available ? (
        <p className="muted" role="note">
          Saved messages need this device&apos;s key locker: restore it with your recovery key, or approve this device from another one.
        </p>
      ) : null}
      {shelf.loaded && shelf.available && saved.length === 0 ? <p className="muted">Nothing saved yet: use ☆ on a message to keep it here.</p> : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <ul className="saved-list" aria-label="Saved messages">
        {saved.map((s) => {
          const path = `/c/${encodeURIComponent(s.channelId)}?at=${s.seq}`;
          return (
            <li key={`${s.channelId}/${s.seq}`}>
              <a
                href={path}
                className="search-hit-link"
                onClick={(e) => {
                  e.preventDefault();
                  navigate(path);
                }}
              >
                <span className="saved-meta">
                  <strong>{s.senderId ? chat.userName(s.senderId) : "Someone"}</strong> <span className="muted">in {where(s.channelId)}</span>{" "}
                  <time className="muted" dateTime={new Date(s.savedAt).toISOString()}>
                    saved {new Date(s.savedAt).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
                  </time>
                </span>
                <span className="hit-text">{s.preview ?? <span className="muted">(no text)</span>}</span>
              </a>
              <button
                type="button"
                className="icon"
                aria-label="Remove from saved"
                title="Remove from Saved"
                onClick={() => void shelf.unsave(s.channelId, s.seq).catch((err: unknown) => setError(describeError(err)))}
              >
                <span aria-hidden="true">★</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
