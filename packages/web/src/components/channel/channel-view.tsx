/** A channel: header with its encryption state, search, messages, uploads, typing line and composer (drop files anywhere). */
import { HistoryPolicyBadge } from "../../security/history-policy.tsx";
import { ChannelNotifySelect } from "../../notifications/channel-notify-select.tsx";
import { useCallback, useEffect, useMemo, useState } from "react";
import { useChat } from "../../client/use-chat.ts";
import { navigate } from "../../router.ts";
import { MessageList } from "./message-list.tsx";
import { Composer } from "./composer.tsx";
import { TypingLine } from "./typing-line.tsx";
import { ChannelSecurityBadge } from "../../security/channel-security.tsx";
import { NewDeviceBanner } from "../../security/new-device-banner.tsx";
import { Icon } from "../icon.tsx";
import { ChannelLabels } from "../channel-labels.tsx";
import { DropZone } from "../../chat/drop-zone.tsx";
import { UploadList } from "../../chat/upload-list.tsx";
import { AttachButton } from "../../chat/attach-button.tsx";
import { SearchBar, type SearchHighlight } from "../../search/search-bar.tsx";
import { mayInvite, mayPost } from "../../chat/channel-roles.ts";
import { MembersPanel } from "./members-panel.tsx";
import { ReaderNote } from "./reader-note.tsx";
import { ArchiveBadge } from "../../security/archive-badge.tsx";
import { PinnedButton } from "../../chat/pinned-panel.tsx";
import { DeleteChannelDialog, mayDeleteChannel } from "../../chat/delete-channel-dialog.tsx";
import { FirstUnreadBar } from "../../inbox/first-unread-bar.tsx";
import { CallHeader } from "../../calls/call-header.tsx";
import { CallScreen } from "../../calls/call-screen.tsx";
import { GroupCallScreen } from "../../calls/group-call-screen.tsx";
import { GroupMedia } from "../../calls/group-media.ts";
import { useCalls } from "../../calls/use-calls.ts";

export function ChannelView(props: { channelId: string; at?: number | undefined; onAddPeople: () => void }) {
  const chat = useChat();
  const calls = useCalls();
  const c = chat.channel(props.channelId);
  const [searching, setSearching] = useState(false);
  const [membersOpen, setMembersOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [highlight, setHighlight] = useState<SearchHighlight>();
  const onHighlight = useCallback((h: SearchHighlight | undefined) => setHighlight(h), []);
  // A link to one message (?at=N, from a search result): page back to it, then show it marked.
  const [jumped, setJumped] = useState<number>();
  const { at, channelId } = props;
  useEffect(() => {
    setJumped(undefined);
    if (at === undefined) return;
    let stop = false;
    void chat.loadUntil(channelId, at).then(
      () => !stop && setJumped(at),
      () => undefined,
    );
    return () => {
      stop = true;
    };
  }, [chat, channelId, at]);
  const jumpMark = useMemo<SearchHighlight | undefined>(() => (jumped === undefined ? undefined : { hits: new Set([jumped]), current: jumped }), [jumped]);
  // Ctrl/Cmd+F finds in this channel's decrypted history instead of the page (which holds only the rendered rows).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "f") {
        e.preventDefault();
        setSearching(true);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
  if (!c) {
    return (
      <div className="empty">
        <h2>Channel not available</h2>
        <p>You are not a member of this channel, or it no longer exists.</p>
      </div>
    );
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
            <h1 id="channel-title">
              {isDm ? (
                title
              ) : (
                <>
                  {c.kind === "private" ? <Icon name="lock" /> : "# "}
                  {title}
                </>
              )}
              <ChannelLabels labels={c.labels} />
            </h1>
            {c.topic ? <p className="topic muted">{c.topic}</p> : null}
          </div>
          <div className="head-actions">
            <CallHeader channel={c} />
            <ChannelSecurityBadge channel={c} />
            {c.history ? <HistoryPolicyBadge policy={c.history} /> : null}
            <ArchiveBadge channelId={c.id} />
            <ChannelNotifySelect channelId={c.id} />
            <PinnedButton channelId={c.id} />
            <button
              type="button"
              className="icon"
              aria-label="Search in this channel"
              title="Search in this channel (Ctrl F)"
              aria-expanded={searching}
              onClick={() => setSearching(!searching)}
            >
              <Icon name="search" />
            </button>
            {isDm ? (
              <span className="muted">
                {c.memberCount} {c.memberCount === 1 ? "member" : "members"}
              </span>
            ) : (
              <button type="button" className="link" aria-haspopup="dialog" onClick={() => setMembersOpen(true)}>
                {c.memberCount} {c.memberCount === 1 ? "member" : "members"}
              </button>
            )}
            {mayInvite(chat, c) ? (
              <button type="button" onClick={props.onAddPeople}>
                Add people
              </button>
            ) : null}
            {!isDm ? (
              <button type="button" onClick={() => void chat.leaveChannel(c.id).then(() => navigate("/"))}>
                Leave
              </button>
            ) : null}
            {mayDeleteChannel(chat, c) ? (
              <button type="button" className="danger" onClick={() => setDeleting(true)}>
                Delete channel
              </button>
            ) : null}
          </div>
        </header>
        {calls?.active?.channelId !== c.id ? null : calls.active.media instanceof GroupMedia ? (
          <GroupCallScreen calls={calls} call={calls.active} media={calls.active.media} />
        ) : (
          <CallScreen calls={calls} />
        )}
        {chat.history(c.id).denied ? (
          <p className="notice channel-denied" role="alert">
            You cannot read this channel: {chat.history(c.id).denied}. Ask an admin of {chat.org.name} if you need it.
          </p>
        ) : null}
        {searching ? <SearchBar channelId={c.id} onClose={() => setSearching(false)} onHighlight={onHighlight} /> : null}
        <NewDeviceBanner channelId={c.id} memberCount={c.memberCount} />
        <FirstUnreadBar channelId={c.id} />
        <MessageList
          channelId={c.id}
          title={isDm ? title : `#${title}`}
          onOpenThread={(seq) => navigate(`/c/${c.id}?thread=${seq}`)}
          highlight={searching ? highlight : jumpMark}
          history={c.history}
        />
        <TypingLine channelId={c.id} threadRoot={null} lastSeq={last && !last.deleted ? last.seq : undefined} />
        <UploadList channelId={c.id} />
        {mayPost(c) ? (
          <div className="composer-row">
            <AttachButton channelId={c.id} disabled={c.archived || !!chat.archive[c.id]?.problem} />
            <Composer channelId={c.id} threadRoot={null} placeholder={`Message ${isDm ? title : `#${title}`}`} disabled={c.archived} />
          </div>
        ) : (
          <ReaderNote />
        )}
        {deleting ? <DeleteChannelDialog chat={chat} channel={c} onClose={() => setDeleting(false)} onDeleted={() => navigate("/")} /> : null}
        {membersOpen ? (
          <MembersPanel
            channel={c}
            onClose={() => setMembersOpen(false)}
            onAddPeople={() => {
              setMembersOpen(false);
              props.onAddPeople();
            }}
          />
        ) : null}
      </section>
    </DropZone>
  );
}
