/**
 * People (/people, issue 13): the org's directory, searched on the server by name, username
 * or title, a page at a time ("Show more" follows the cursor). A name opens the profile card.
 */
import { useEffect, useRef, useState } from "react";
import type { User } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { Avatar } from "../account/avatar.tsx";
import { PresenceDot } from "../components/presence-dot.tsx";
import { PersonButton } from "./profile-card.tsx";
import { activeStatus } from "./profile-format.ts";

const PAGE = 50;
/** Typing pauses this long before the directory is asked. */
const SEARCH_DELAY_MS = 250;

export function PeoplePage() {
  const chat = useChat();
  const [q, setQ] = useState("");
  const [users, setUsers] = useState<User[]>();
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  // Answers to an older search are dropped (a slow page must not replace a newer one).
  const generation = useRef(0);

  const load = async (term: string, after: string | null) => {
    const mine = ++generation.current;
    setError(undefined);
    try {
      const page = await chat.client.api.call("listDirectory", { query: { limit: PAGE, ...(term ? { q: term } : {}), ...(after ? { cursor: after } : {}) } });
      if (mine !== generation.current) return;
      setUsers((old) => (after ? [...(old ?? []), ...page.users] : page.users));
      setCursor(page.nextCursor);
    } catch (err) {
      if (mine === generation.current) setError(describeError(err));
    }
  };
  useEffect(() => {
    const t = setTimeout(() => void load(q.trim(), null), q ? SEARCH_DELAY_MS : 0);
    return () => clearTimeout(t);
  }, [q, chat]);

  const now = Date.now();
  return (
    <section className="admin" aria-labelledby="people-title">
      <header className="channel-head">
        <h1 id="people-title">People</h1>
        <span className="muted">{chat.org.name}</span>
      </header>
      <div className="admin-panel">
        <input
          type="search"
          className="people-search"
          aria-label="Search people"
          placeholder="Search by name, username or title"
          value={q}
          maxLength={80}
          onChange={(e) => setQ(e.target.value)}
        />
        <FormError error={error} />
        {users === undefined && !error ? <p className="muted">Loading people…</p> : null}
        {users?.length === 0 ? <p className="muted">No one matches “{q.trim()}”.</p> : null}
        <ul className="people-list" aria-label="People">
          {users?.map((u) => {
            const status = activeStatus(u, now);
            return (
              <li key={u.id} className="people-row">
                <Avatar user={u} size={36} />
                <div className="person-main">
                  <span>
                    <PresenceDot userId={u.id} self={u.id === chat.me.id} />{" "}
                    <PersonButton userId={u.id} user={u}>
                      {u.displayName}
                    </PersonButton>{" "}
                    <span className="muted">@{u.username}</span>
                    {status ? (
                      <span className="muted" title={status.text}>
                        {" "}
                        {status.emoji} {status.text}
                      </span>
                    ) : null}
                  </span>
                  {u.title ? <span className="muted">{u.title}</span> : null}
                </div>
              </li>
            );
          })}
        </ul>
        {cursor ? (
          <button type="button" onClick={() => void load(q.trim(), cursor)}>
            Show more
          </button>
        ) : null}
      </div>
    </section>
  );
}
