/** A channel: header with its encryption state, messages, typing line and composer. */
import { useChat } from "../../client/use-chat.ts";
import { navigate } from "../../router.ts";
import { MessageList } from "./message-list.tsx";
import { Composer } from "./composer.tsx";
import { TypingLine } from "./typing-line.tsx";
import { ChannelSecurityBadge } from "../../security/channel-security.tsx";
import { NewDeviceBanner } from "../../security/new-device-banner.tsx";
import { Icon } from "../icon.tsx";
import { DropZone } from "../../chat/drop-zone.tsx";
import { UploadList } from "../../chat/upload-list.tsx";
import { AttachButton } from "../../chat/attach-button.tsx";

export function ChannelView(props: { channelId: string; onAddPeople: () => void }) {
  const chat = useChat();
  const c = chat.channel(props.channelId);
  if (!c) {
    return <div className="empty"><h2>Channel not available</h2><p>You are not a member of this channel, or it no longer exists.</p></div>;
  }
  const title = chat.channelTitle(c);
  const isDm = c.kind === "dm" || c.kind === "group_dm";
  const messages = chat.history(c.id).messages();
  const last = messages[messages.length - 1];
  return (
    <DropZone channelId={c.id} title={isDm ? title : `#${title}`} disabled={c.archived}>
    <section className="channel" aria-labelledby="channel-title">
      <header className="channel-head">
        <div>
          <h1 id="channel-title">{isDm ? title : <>{c.kind === "private" ? <Icon name="lock" /> : "# "}{title}</>}</h1>
          {c.topic ? <p className="topic muted">{c.topic}</p> : null}
        </div>
        <div className="head-actions">
          <ChannelSecurityBadge channel={c} />
          <span className="muted">{c.memberCount} {c.memberCount === 1 ? "member" : "members"}</span>
          {!isDm ? <button type="button" onClick={props.onAddPeople}>Add people</button> : null}
          {!isDm ? <button type="button" onClick={() => void chat.leaveChannel(c.id).then(() => navigate("/"))}>Leave</button> : null}
        </div>
      </header>
      <NewDeviceBanner channelId={c.id} memberCount={c.memberCount} />
      <MessageList channelId={c.id} title={isDm ? title : `#${title}`} onOpenThread={(seq) => navigate(`/c/${c.id}?thread=${seq}`)} />
      <TypingLine channelId={c.id} threadRoot={null} lastSeq={last && !last.deleted ? last.seq : undefined} />
      <UploadList channelId={c.id} />
      <div className="composer-row">
        <AttachButton channelId={c.id} disabled={c.archived} />
        <Composer channelId={c.id} threadRoot={null} placeholder={`Message ${isDm ? title : `#${title}`}`} disabled={c.archived} />
      </div>
    </section>
    </DropZone>
  );
}
