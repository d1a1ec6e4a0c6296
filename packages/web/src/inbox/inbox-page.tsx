/**
 * The inbox (issue 13): Mentions, Threads, All unreads and Reminders (reminders/), each item decrypted on this device
 * (the server lists only where, who and when) or marked "message not available on this device";
 * an item opens its message in the channel or thread.
 */
import { useCallback, useEffect, useState } from "react";
import "./inbox.css";
import type { MyChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { navigate, type InboxTab } from "../router.ts";
import { RemindersList } from "../reminders/reminder-list.tsx";
import {
  itemPath,
  loadMentions,
  loadThreads,
  loadUnreads,
  watchInbox,
  type InboxChange,
  type ItemText,
  type MentionRow,
  type ThreadRow,
  type UnreadRow,
} from "./inbox-data.ts";

const TABS: Array<[InboxTab, string]> = [
  ["mentions", "Mentions"],
  ["threads", "Threads"],
  ["unreads", "All unreads"],
  ["reminders", "Reminders"],
];

function Text(props: { text: ItemText }) {
  return props.text === null ? <span className="muted unavailable">message not available on this device</span> : <span className="hit-text">{props.text}</span>;
}

function When(props: { at: number }) {
  return (
    <time className="muted" dateTime={new Date(props.at).toISOString()}>
      {new Date(props.at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}
    </time>
  );
}

/** A link that navigates in the app. */
function Go(props: { path: string; onOpen?: () => void; children: React.ReactNode }) {
  return (
    <a
      href={props.path}
      className="search-hit-link"
      onClick={(e) => {
        e.preventDefault();
        props.onOpen?.();
        navigate(props.path);
      }}
    >
      {props.children}
    </a>
  );
}

function useWhere(): (channelId: string) => string {
  const chat = useChat();
  return (channelId) => {
    const c = chat.channel(channelId);
    return !c ? "a channel you left" : c.kind === "dm" || c.kind === "group_dm" ? chat.channelTitle(c) : `#${c.name}`;
  };
}

/**
 * A newest-first list paged by the server's cursor: first page on mount, more on demand, and the
 * first page again whenever `what` changes live (a mention or thread reply arrives, or a thread is
 * followed, unfollowed or read on any of the user's devices). A live reload shows the newest page.
 */
function usePaged<T>(what: InboxChange, load: (cursor?: string) => Promise<{ rows: T[]; next: string | null }>) {
  const chat = useChat();
  const [rows, setRows] = useState<T[]>();
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const first = () =>
      load().then(
        (r) => live && (setRows(r.rows), setNext(r.next), setError(undefined)),
        (e: Error) => live && setError(e.message),
      );
    void first();
    const off = watchInbox(chat, (changed) => changed === what && void first());
    return () => {
      live = false;
      off();
    };
  }, [chat, what, load]);
  const more = () =>
    void load(next ?? undefined).then(
      (r) => (setRows((prev) => [...(prev ?? []), ...r.rows]), setNext(r.next)),
      (e: Error) => setError(e.message),
    );
  return { rows, error, more: next ? more : undefined };
}

/** Loading, error and empty states around a paged list, and its "Load more". */
function PagedList<T>(props: { what: string; empty: string; page: ReturnType<typeof usePaged<T>>; children: (rows: T[]) => React.ReactNode }) {
  const { rows, error, more } = props.page;
  if (error)
    return (
      <p className="notice">
        The {props.what} could not be loaded: {error}
      </p>
    );
  if (!rows) return <p className="muted">Loading…</p>;
  if (!rows.length) return <p className="empty-results muted">{props.empty}</p>;
  return (
    <>
      {props.children(rows)}
      {more ? (
        <button type="button" onClick={more}>
          Load more
        </button>
      ) : null}
    </>
  );
}

function Mentions() {
  const chat = useChat();
  const where = useWhere();
  const page = usePaged<MentionRow>(
    "mentions",
    useCallback((cursor?: string) => loadMentions(chat, cursor), [chat]),
  );
  return (
    <PagedList what="mentions" empty="Nobody has mentioned you yet." page={page}>
      {(rows) => (
        <ol aria-label="Mentions" className="inbox-list">
          {rows.map((m) => (
            <li key={`${m.channelId}:${m.seq}`} className={m.unread ? "unread" : undefined}>
              <Go path={itemPath(m)}>
                <span className="hit-head">
                  <span className="hit-where">{where(m.channelId)}</span>
                  {m.threadRoot ? <span className="muted"> · in a thread</span> : null}
                  <span className="hit-sender">{chat.userName(m.senderId)}</span>
                  <When at={m.createdAt} />
                  {m.unread ? <span className="badge mention">unread</span> : null}
                </span>
                <Text text={m.text} />
              </Go>
            </li>
          ))}
        </ol>
      )}
    </PagedList>
  );
}

function Threads() {
  const chat = useChat();
  const where = useWhere();
  const page = usePaged<ThreadRow>(
    "threads",
    useCallback((cursor?: string) => loadThreads(chat, cursor), [chat]),
  );
  // Opening a thread from here reads it up to its last reply.
  const markRead = (t: ThreadRow) =>
    void chat.client.api
      .call("markThreadRead", { params: { channelId: t.channelId, rootSeq: t.rootSeq }, body: { seq: t.lastReplySeq } })
      .catch(() => undefined);
  return (
    <PagedList what="threads" empty="No threads yet: reply in a thread or follow one." page={page}>
      {(rows) => (
        <ol aria-label="Threads" className="inbox-list">
          {rows.map((t) => (
            <li key={`${t.channelId}:${t.rootSeq}`} className={t.unread ? "unread" : undefined}>
              <Go path={`/c/${t.channelId}?thread=${t.rootSeq}`} onOpen={() => markRead(t)}>
                <span className="hit-head">
                  <span className="hit-where">{where(t.channelId)}</span>
                  <span className="hit-sender">{chat.userName(t.rootSenderId)}</span>
                  <span className="muted">
                    {t.replies} {t.replies === 1 ? "reply" : "replies"}
                  </span>
                  <When at={t.lastReplyAt} />
                  {t.unread ? <span className="badge mention">{t.unread >= 100 ? "100+" : t.unread} unread</span> : null}
                </span>
                <Text text={t.text} />
              </Go>
            </li>
          ))}
        </ol>
      )}
    </PagedList>
  );
}

function AllUnreads() {
  const chat = useChat();
  const where = useWhere();
  const [groups, setGroups] = useState<Array<{ channel: MyChannel; rows: UnreadRow[] }>>();
  const [error, setError] = useState<string>();
  // Reloaded when a channel's receipt or count moves, not on every change of the store.
  const key = chat.channels.map((c) => `${c.id}:${c.readSeq}:${c.unread}`).join();
  useEffect(() => {
    loadUnreads(chat, chat.channels).then(setGroups, (e: Error) => setError(e.message));
  }, [chat, key]);
  if (error) return <p className="notice">The unread messages could not be loaded: {error}</p>;
  if (!groups) return <p className="muted">Loading…</p>;
  if (!groups.length) return <p className="empty-results muted">You are all caught up.</p>;
  return (
    <div className="inbox-groups">
      {groups.map(({ channel, rows }) => (
        <section key={channel.id} aria-label={`Unread in ${where(channel.id)}`}>
          <h2>
            {where(channel.id)} <span className="badge">{channel.unread}</span>
          </h2>
          <ol className="inbox-list">
            {rows.map((r) => (
              <li key={r.seq}>
                <Go path={itemPath(r)}>
                  <span className="hit-head">
                    {r.threadRoot ? <span className="muted">in a thread · </span> : null}
                    <span className="hit-sender">{chat.userName(r.senderId)}</span>
                    <When at={r.createdAt} />
                  </span>
                  <Text text={r.text} />
                </Go>
              </li>
            ))}
          </ol>
        </section>
      ))}
    </div>
  );
}

export function InboxPage(props: { tab: InboxTab }) {
  return (
    <section className="search-page inbox-page" aria-labelledby="inbox-title">
      <header className="channel-head">
        <h1 id="inbox-title">Inbox</h1>
        <span className="muted" title="The server lists where and when; the text is decrypted on this device">
          decrypted on this device
        </span>
      </header>
      <div role="tablist" aria-label="Inbox" className="inbox-tabs">
        {TABS.map(([tab, label]) => (
          <button
            key={tab}
            type="button"
            role="tab"
            aria-selected={props.tab === tab}
            className={props.tab === tab ? "active" : undefined}
            onClick={() => navigate(`/inbox?tab=${tab}`, true)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="search-results" aria-label={TABS.find(([t]) => t === props.tab)![1]}>
        {props.tab === "mentions" ? (
          <Mentions />
        ) : props.tab === "threads" ? (
          <Threads />
        ) : props.tab === "reminders" ? (
          <RemindersList />
        ) : (
          <AllUnreads key="unreads" />
        )}
      </div>
    </section>
  );
}
