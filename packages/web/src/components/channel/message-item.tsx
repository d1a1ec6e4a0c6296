/**
 * One message: header (sender, time) unless grouped, markdown body,
 * reactions, thread link, and actions (react, reply in thread, edit and
 * delete own messages).
 */
import { useState } from "react";
import { callEventOf, pollOf, type TimelineMessage } from "@parley/sdk";
import { useChat } from "../../client/use-chat.ts";
import { Markdown } from "./markdown.tsx";
import { PresenceDot } from "../presence-dot.tsx";
import { PersonButton } from "../../people/profile-card.tsx";
import { BotBadge } from "../../people/bot-badge.tsx";
import { activeStatus } from "../../people/profile-format.ts";
import { MessageEditor } from "./message-editor.tsx";
import { Icon } from "../icon.tsx";
import { filesOf } from "../../client/extras.ts";
import { Attachments } from "../../chat/attachments.tsx";
import { mayDeleteOthers, mayPost } from "../../chat/channel-roles.ts";
import { PinAction } from "../../chat/pin-action.tsx";
import { PollView, nonVoteReactions } from "../../chat/poll.tsx";
import { SaveAction } from "../../personal/save-action.tsx";
import { RemindAction } from "../../reminders/remind-action.tsx";
import { ReactionMenu } from "../../emoji/reaction-menu.tsx";
import { EmojiGlyph } from "../../emoji/emoji-glyph.tsx";
import { useCustomEmoji } from "../../emoji/custom-emoji.ts";
import { personalShelf } from "../../personal/shelf.ts";
import { editBlockedReason, useEditPolicy } from "../../chat/edit-window.ts";
import { EditHistoryDialog } from "./edit-history-dialog.tsx";
import { describeError } from "../../client/session.ts";
import { CallEventRow } from "../../calls/call-event-row.tsx";

function time(ts: number): string {
  return new Date(ts).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function MessageItem(props: {
  channelId: string;
  m: TimelineMessage;
  showHeader: boolean;
  onOpenThread?: (seq: number) => void;
  mark?: "hit" | "current" | undefined;
}) {
  const chat = useChat();
  const { m, channelId } = props;
  const [picker, setPicker] = useState(false);
  const customEmoji = useCustomEmoji(chat);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [showEdits, setShowEdits] = useState(false);
  const [editError, setEditError] = useState<string>();
  const own = m.senderId === chat.me.id;
  const channel = chat.channel(channelId);
  // Readers react, edit and delete nothing; moderators and admins delete others' messages too.
  const posts = !channel || mayPost(channel);
  const sender = chat.userName(m.senderId);
  const senderUser = chat.users.get(m.senderId);
  const senderStatus = senderUser ? activeStatus(senderUser, Date.now()) : undefined;
  const knownUser = (u: string) => [...chat.users.values()].some((x) => x.username === u);
  const mentionsMe = m.mentions.includes(chat.me.id);
  const event = m.deleted || m.decodeError ? undefined : chat.history(channelId).event(m.seq);
  const files = filesOf(event);
  const poll = pollOf(event?.content);
  const reactions = nonVoteReactions(m, poll);
  // Past the org's edit window (or with editing off) "Edit" stays visible but inert, its title saying why.
  const editBlocked = editBlockedReason(useEditPolicy(chat), m.createdAt, Date.now());
  // A call's start, end or missed call: a system row, not a message (calls/call-event-row.tsx).
  const callEvent = m.deleted ? undefined : callEventOf(event?.content ?? {});
  if (callEvent) return <CallEventRow channelId={channelId} m={m} call={callEvent} />;

  return (
    <article
      className={`msg${props.showHeader ? " with-header" : ""}${mentionsMe ? " mentions-me" : ""}${props.mark ? ` search-hit${props.mark === "current" ? " search-current" : ""}` : ""}`}
      aria-label={`${sender} at ${time(m.createdAt)}`}
      data-seq={m.seq}
    >
      {props.showHeader ? (
        <header className="msg-head">
          <PresenceDot userId={m.senderId} />
          <PersonButton userId={m.senderId} className="sender">
            {sender}
          </PersonButton>
          <BotBadge user={senderUser} />
          {senderStatus?.emoji ? (
            <span className="status-emoji" title={senderStatus.text ?? ""} aria-label={`status: ${senderStatus.emoji} ${senderStatus.text ?? ""}`.trim()}>
              {senderStatus.emoji}
            </span>
          ) : null}
          <time dateTime={new Date(m.createdAt).toISOString()}>{time(m.createdAt)}</time>
        </header>
      ) : null}
      {m.deleted ? (
        <p className="msg-body deleted">This message was deleted.</p>
      ) : m.decodeError ? (
        <p className="msg-body undecryptable" title={m.decodeError}>
          Unable to decrypt this message on this device.
        </p>
      ) : editing ? (
        <MessageEditor
          initial={m.text}
          onCancel={() => setEditing(false)}
          onSave={async (text) => {
            setEditing(false);
            setEditError(undefined);
            // A refusal (the org's edit window closed meanwhile, edit_not_allowed) is shown, not swallowed.
            if (text !== m.text) await chat.edit(channelId, m.seq, text).catch((err: unknown) => setEditError(`Not edited: ${describeError(err)}`));
          }}
        />
      ) : poll ? (
        <PollView channelId={channelId} m={m} poll={poll} canVote={posts} />
      ) : m.text || !files.length ? (
        <div className="msg-body">
          <Markdown text={m.text} isKnownUser={knownUser} isCustomEmoji={(name) => customEmoji.byName(name) !== undefined} />
          {m.edited ? (
            <>
              {" "}
              <button type="button" className="link edited" title="Show edits" onClick={() => setShowEdits(true)}>
                (edited)
              </button>
            </>
          ) : null}
          {showEdits ? <EditHistoryDialog channelId={channelId} seq={m.seq} onClose={() => setShowEdits(false)} /> : null}
        </div>
      ) : null}
      {editError ? (
        <p className="form-error" role="alert">
          {editError}
        </p>
      ) : null}
      {m.archiveFault && !m.deleted && !m.decodeError ? (
        <p className="msg-archive-fault" role="note" title={m.archiveFault}>
          <Icon name="warn" /> This message&apos;s history copy is missing or differs: devices that read it later may show something else.
        </p>
      ) : null}
      {files.length ? <Attachments files={files} /> : null}
      {reactions.length > 0 ? (
        <div className="reactions" role="group" aria-label="Reactions">
          {reactions.map(([emoji, users]) => (
            <button
              key={emoji}
              type="button"
              className="reaction"
              aria-pressed={users.has(chat.me.id)}
              aria-label={`${emoji} ${users.size}, by ${[...users].map((u) => chat.userName(u)).join(", ")}`}
              disabled={!posts}
              onClick={() => void chat.toggleReaction(channelId, m.seq, emoji)}
            >
              <EmojiGlyph emoji={emoji} /> {users.size}
            </button>
          ))}
        </div>
      ) : null}
      {props.onOpenThread && m.replyCount > 0 ? (
        <button type="button" className="link thread-link" onClick={() => props.onOpenThread!(m.seq)}>
          {m.replyCount} {m.replyCount === 1 ? "reply" : "replies"}
        </button>
      ) : null}
      {confirmDelete ? (
        <div className="confirm" role="alertdialog" aria-label="Delete message?">
          Delete this message for everyone?
          <button
            type="button"
            className="danger"
            onClick={() => {
              setConfirmDelete(false);
              void chat.remove(channelId, m.seq);
            }}
          >
            Delete
          </button>
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
        </div>
      ) : null}
      {!m.deleted && !editing ? (
        <div className="msg-actions" role="toolbar" aria-label="Message actions">
          {posts ? (
            <button type="button" className="icon" aria-label="Add reaction" aria-expanded={picker} onClick={() => setPicker(!picker)}>
              <Icon name="smile" />
            </button>
          ) : null}
          {props.onOpenThread ? (
            <button type="button" className="icon" aria-label="Reply in thread" onClick={() => props.onOpenThread!(m.seq)}>
              <Icon name="reply" />
            </button>
          ) : null}
          {posts && channel && !channel.archived && !m.decodeError ? <PinAction channelId={channelId} seq={m.seq} /> : null}
          {!m.decodeError ? <SaveAction channelId={channelId} seq={m.seq} senderId={m.senderId} text={m.text} /> : null}
          {!m.decodeError ? <RemindAction channelId={channelId} seq={m.seq} senderId={m.senderId} text={m.text} /> : null}
          <button
            type="button"
            className="icon"
            aria-label="Mark as unread"
            title="Mark as unread from here"
            onClick={() => void chat.markUnread(channelId, m.seq)}
          >
            <span aria-hidden="true">●</span>
          </button>
          {own && posts && !poll ? (
            <button
              type="button"
              className="icon"
              aria-label="Edit message"
              aria-disabled={editBlocked ? true : undefined}
              title={editBlocked ?? undefined}
              onClick={() => !editBlocked && setEditing(true)}
            >
              <Icon name="edit" />
            </button>
          ) : null}
          {(own && posts) || mayDeleteOthers(chat, channel) ? (
            <button type="button" className="icon" aria-label="Delete message" onClick={() => setConfirmDelete(true)}>
              <Icon name="trash" />
            </button>
          ) : null}
          {picker ? (
            <ReactionMenu
              onClose={() => setPicker(false)}
              onPick={(e) => {
                setPicker(false);
                personalShelf(chat).recordEmoji(e);
                void chat.toggleReaction(channelId, m.seq, e);
              }}
            />
          ) : null}
        </div>
      ) : null}
    </article>
  );
}
