/** The thread panel: root message, replies, Follow / Unfollow and a reply composer. Esc or ✕ closes it. */
import { useEffect, useRef } from "react";
import { useChat } from "../../client/use-chat.ts";
import { navigate } from "../../router.ts";
import { MessageItem } from "./message-item.tsx";
import { Composer } from "./composer.tsx";
import { TypingLine } from "./typing-line.tsx";
import { Icon } from "../icon.tsx";
import { ReaderNote } from "./reader-note.tsx";
import { mayPost } from "../../chat/channel-roles.ts";
import { FollowThreadButton } from "../../chat/follow-thread.tsx";

export function ThreadPanel(props: { channelId: string; rootSeq: number; at?: number | undefined }) {
  const chat = useChat();
  const h = chat.history(props.channelId);
  const root = h.get(props.rootSeq);
  const channel = chat.channel(props.channelId);
  const replies = h.thread(props.rootSeq);
  const end = useRef<HTMLDivElement>(null);
  const at = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // A reply linked to (a search result) is brought into view; otherwise the newest reply.
    (at.current ?? end.current)?.scrollIntoView({ block: at.current ? "center" : "end" });
  }, [replies.length]);
  // A thread opened by link may start before the loaded history: page back until its root is in.
  useEffect(() => {
    void chat.loadUntil(props.channelId, props.rootSeq).catch(() => undefined);
  }, [chat, props.channelId, props.rootSeq]);
  const close = () => navigate(`/c/${props.channelId}`);
  return (
    <aside className="thread" aria-label="Thread">
      <header className="thread-head">
        <h2>Thread</h2>
        <span className="thread-actions">
          <FollowThreadButton channelId={props.channelId} rootSeq={props.rootSeq} />
        </span>
        <button type="button" className="icon" aria-label="Close thread" onClick={close}>
          <Icon name="close" />
        </button>
      </header>
      <div className="thread-body">
        {root ? <MessageItem channelId={props.channelId} m={root} showHeader /> : <p className="muted">Loading the thread…</p>}
        <div className="thread-count muted">
          {replies.length} {replies.length === 1 ? "reply" : "replies"}
        </div>
        {replies.map((m, i) => (
          <div key={m.seq} ref={m.seq === props.at ? at : undefined}>
            <MessageItem
              channelId={props.channelId}
              m={m}
              showHeader={i === 0 || replies[i - 1]!.senderId !== m.senderId}
              mark={m.seq === props.at ? "current" : undefined}
            />
          </div>
        ))}
        <div ref={end} />
      </div>
      <TypingLine channelId={props.channelId} threadRoot={props.rootSeq} />
      {channel && !mayPost(channel) ? <ReaderNote /> : <Composer channelId={props.channelId} threadRoot={props.rootSeq} placeholder="Reply in thread" />}
    </aside>
  );
}
