/** The sidebar's Inbox entry, with the count of unread mentions across the user's channels. */
import "./inbox.css";
import { useChat } from "../client/use-chat.ts";
import { navigate } from "../router.ts";

export function InboxLink(props: { active: boolean }) {
  const chat = useChat();
  const mentions = chat.channels.reduce((n, c) => n + c.mentions, 0);
  return (
    <a
      href="/inbox"
      className={`switcher-hint inbox-link${props.active ? " active" : ""}`}
      aria-current={props.active ? "page" : undefined}
      aria-label={`Inbox${mentions ? `, ${mentions} unread mentions` : ""}`}
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
    </a>
  );
}
