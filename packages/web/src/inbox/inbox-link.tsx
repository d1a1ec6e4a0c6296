/**
 * The sidebar's Inbox entry, with the count of unread mentions across the user's channels and of
 * others' unread replies in the threads they follow, both kept live.
 */
import { useEffect, useState } from "react";
import "./inbox.css";
import { useChat } from "../client/use-chat.ts";
import { navigate } from "../router.ts";
import { threadUnread, watchInbox } from "./inbox-data.ts";

/** Unread replies in followed threads: fetched once, then again when a reply or a thread state change arrives. */
function useThreadUnread(): number {
  const chat = useChat();
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () =>
      void threadUnread(chat).then(
        (count) => live && setN(count),
        () => undefined, // the badge is a hint; the next change fetches it again
      );
    load();
    const off = watchInbox(chat, (what) => what === "threads" && load(), 500);
    return () => {
      live = false;
      off();
    };
  }, [chat]);
  return n;
}

export function InboxLink(props: { active: boolean }) {
  const chat = useChat();
  const mentions = chat.channels.reduce((n, c) => n + c.mentions, 0);
  const replies = useThreadUnread();
  const label = ["Inbox", ...(mentions ? [`${mentions} unread mentions`] : []), ...(replies ? [`${replies} unread thread replies`] : [])].join(", ");
  return (
    <a
      href="/inbox"
      className={`switcher-hint inbox-link${props.active ? " active" : ""}`}
      aria-current={props.active ? "page" : undefined}
      aria-label={label}
      onClick={(e) => {
        e.preventDefault();
        navigate("/inbox");
      }}
    >
      <span>Inbox</span>
      {mentions ? (
        <span className="badge mention" aria-hidden="true">
          @{mentions}
        </span>
      ) : null}
      {replies ? (
        <span className="badge" aria-hidden="true" title="Unread replies in threads you follow">
          {replies}
        </span>
      ) : null}
    </a>
  );
}
