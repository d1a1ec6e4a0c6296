/**
 * Message composer: Enter sends, Shift+Enter adds a line, @ opens member
 * autocomplete and / at the start the channel's slash commands (arrows +
 * Enter/Tab pick, Esc closes), typing notices are sent at most every 3 s.
 * A known /command is sent as an encrypted message marked as a command.
 */
import { useRef, useState } from "react";
import { Icon } from "../icon.tsx";
import type { ChannelCommand, User } from "@parley/protocol";
import { useChat } from "../../client/use-chat.ts";
import { describeError } from "../../client/session.ts";
import { mentionQueryAt } from "../../chat/mentions.ts";
import { pendingSendsOf } from "../../pwa/pending-sends.ts";
import { PendingMessages } from "../../pwa/pending-messages.tsx";
import { ArchiveBlockedNote, useArchiveBlocked } from "../../security/archive-badge.tsx";
import { useDraft } from "../../personal/use-draft.ts";
import { EmojiPicker } from "../../emoji/emoji-picker.tsx";
import { commandFor, commandQueryAt, matchCommands } from "../../chat/slash-commands.ts";
import { useChannelCommands } from "../../chat/use-channel-commands.ts";

const TYPING_EVERY_MS = 3_000;

export function Composer(props: { channelId: string; threadRoot: number | null; placeholder: string; disabled?: boolean }) {
  const chat = useChat();
  const [caret, setCaret] = useState(0);
  const [pick, setPick] = useState(0);
  const [closedAt, setClosedAt] = useState<number>();
  const [error, setError] = useState<string>();
  const [emoji, setEmoji] = useState(false);
  const emojiButton = useRef<HTMLButtonElement>(null);
  const draft = useDraft(props.channelId, props.threadRoot);
  const { text, setText } = draft;
  const lastTyping = useRef(0);
  const ref = useRef<HTMLTextAreaElement>(null);
  // The device found the server's account of the compliance archive wrong here: the SDK refuses sends (and the note says why).
  const blocked = useArchiveBlocked(props.channelId);

  const [picked, setPicked] = useState<ChannelCommand>();
  const cq = commandQueryAt(text, caret);
  const commands = useChannelCommands(props.channelId, text.startsWith("/"));
  const commandMatches = cq && closedAt !== -1 ? matchCommands(commands, cq.query) : [];
  const q = mentionQueryAt(text, caret);
  const userMatches: User[] =
    q && closedAt !== q.start
      ? [...chat.users.values()]
          .filter((u) => !u.deactivated && u.id !== chat.me.id && (u.username.startsWith(q.query) || u.displayName.toLowerCase().startsWith(q.query)))
          .slice(0, 6)
      : [];
  const listed = commandMatches.length || userMatches.length;

  function completeCommand(c: ChannelCommand) {
    const next = `/${c.name} `;
    setText(next);
    setCaret(next.length);
    setPicked(c);
    requestAnimationFrame(() => ref.current?.setSelectionRange(next.length, next.length));
  }

  function pickAt(i: number) {
    if (commandMatches.length) completeCommand(commandMatches[i % commandMatches.length]!);
    else complete(userMatches[i % userMatches.length]!);
  }

  function complete(u: User) {
    if (!q) return;
    const next = `${text.slice(0, q.start)}@${u.username} ${text.slice(caret)}`;
    const pos = q.start + u.username.length + 2;
    setText(next);
    setCaret(pos);
    requestAnimationFrame(() => ref.current?.setSelectionRange(pos, pos));
  }

  function insertAtCaret(e: string) {
    const at = Math.min(caret, text.length);
    const next = `${text.slice(0, at)}${e}${text.slice(at)}`;
    setText(next);
    setCaret(at + e.length);
    ref.current?.focus();
  }

  async function send() {
    const body = text.trim();
    if (!body) return;
    const command = commandFor(body, commands, picked);
    setText("");
    setCaret(0);
    setPicked(undefined);
    setError(undefined);
    draft.sent();
    try {
      // Shown above the composer until acknowledged (queued while offline; the SDK outbox resends).
      await pendingSendsOf(chat).track(props.channelId, props.threadRoot, body, chat.connection.state !== "live", () =>
        chat.send(props.channelId, body, props.threadRoot, command),
      );
    } catch (err) {
      setError(`Not sent: ${describeError(err)}`);
      setText(body);
    }
  }

  return (
    <div className="composer">
      <PendingMessages pending={pendingSendsOf(chat)} channelId={props.channelId} threadRoot={props.threadRoot} online={chat.connection.state === "live"} />
      <ArchiveBlockedNote channelId={props.channelId} />
      {commandMatches.length ? (
        <ul className="autocomplete" role="listbox" aria-label="Slash commands">
          {commandMatches.map((c, i) => (
            <li
              key={`${c.name} ${c.botUserId ?? ""}`}
              role="option"
              aria-selected={i === pick % commandMatches.length}
              onMouseDown={(e) => {
                e.preventDefault();
                completeCommand(c);
              }}
            >
              /{c.name}
              {c.usage ? <span className="muted"> {c.usage}</span> : null} <span className="command-description">{c.description}</span>
              {c.botUserId ? <span className="muted"> · {chat.userName(c.botUserId)}</span> : null}
            </li>
          ))}
        </ul>
      ) : userMatches.length ? (
        <ul className="autocomplete" role="listbox" aria-label="Mention someone">
          {userMatches.map((u, i) => (
            <li
              key={u.id}
              role="option"
              aria-selected={i === pick % userMatches.length}
              onMouseDown={(e) => {
                e.preventDefault();
                complete(u);
              }}
            >
              {u.displayName} <span className="muted">@{u.username}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <textarea
        ref={ref}
        value={text}
        placeholder={props.placeholder}
        aria-label={props.placeholder}
        disabled={props.disabled || blocked}
        rows={Math.min(8, text.split("\n").length)}
        onChange={(e) => {
          setText(e.target.value);
          setCaret(e.target.selectionStart);
          setPick(0);
          if (!e.target.value.startsWith("/") && closedAt === -1) setClosedAt(undefined);
          const now = Date.now();
          if (e.target.value && now - lastTyping.current > TYPING_EVERY_MS) {
            lastTyping.current = now;
            chat.typing(props.channelId, props.threadRoot);
          }
        }}
        onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
        onKeyDown={(e) => {
          if (listed) {
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              setPick((p) => p + (e.key === "ArrowDown" ? 1 : listed - 1));
              return;
            }
            if (e.key === "Enter" || e.key === "Tab") {
              e.preventDefault();
              pickAt(pick);
              return;
            }
            if (e.key === "Escape") {
              e.preventDefault();
              // -1 closes the command list until the text no longer starts with "/".
              setClosedAt(commandMatches.length ? -1 : q?.start);
              return;
            }
          }
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button
        ref={emojiButton}
        type="button"
        className="icon composer-emoji"
        aria-label="Insert emoji"
        aria-expanded={emoji}
        disabled={props.disabled || blocked}
        onClick={() => setEmoji(!emoji)}
      >
        <Icon name="smile" />
      </button>
      {emoji ? (
        <EmojiPicker
          label="Insert emoji"
          anchor={emojiButton.current}
          onClose={() => setEmoji(false)}
          onPick={(e) => {
            setEmoji(false);
            insertAtCaret(e);
          }}
        />
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
