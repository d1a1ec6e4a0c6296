/** The timeline row of an encryption reset: who or what reset it, the new group's generation, and when. */
import "../chat/features.css";
import type { ResetNotice } from "../client/channel-history.ts";
import { useChat } from "../client/use-chat.ts";
import { Icon } from "../components/icon.tsx";
import { describeReset } from "./reset-text.ts";

export function ResetRow(props: { notice: ResetNotice }) {
  const chat = useChat();
  const { notice } = props;
  const { text, detail } = describeReset(notice.reset, (id) => (id === chat.me.id ? "you" : chat.userName(id)));
  const at = new Date(notice.createdAt);
  return (
    <div className="sys-row reset-row" role="note" aria-label={text} title={detail} data-seq={notice.seq}>
      <Icon name="shield" />
      <span className="sys-text">{text}</span>
      <span className="sys-meta">
        {notice.reset ? <>new group, generation {notice.reset.generation} · </> : null}
        <time dateTime={at.toISOString()}>{at.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}</time>
      </span>
    </div>
  );
}
