/**
 * What a {@link ParleyClient} emits to apps: decoded channel events, typing,
 * presence, read receipts, membership and connection changes.
 */
import type { CustomEmoji, Event, EventKind, PresenceStatus, ThreadState, User, UserStreamItem } from "@parley/protocol";
import type { DecodedContent } from "./codec.ts";
import type { ConnectionChange } from "./connection.ts";
import type { ParleyError } from "./errors.ts";
import type { OutboxEntry } from "./store.ts";
import type { PurgeNotice } from "./retention.ts";
import type { HistoryKeysNotice, HistoryUnavailableNotice, UndecryptableNotice } from "./e2ee/engine.ts";
import type { ArchiveStatusNotice } from "./e2ee/archive-policy.ts";

/** A channel event as the app sees it: metadata plus decoded content. */
export interface ReceivedEvent {
  kind: EventKind;
  channelId: string;
  seq: number;
  senderId: string;
  senderDeviceId: string;
  /** Seq of the thread root for thread replies (and for reactions/edits inside a thread), else null. */
  threadRoot: number | null;
  /** Seq of the event a reaction, edit or delete refers to, else null. */
  target: number | null;
  mentions: string[];
  createdAt: number;
  clientId: string;
  /** Decoded content (check `content.decodeError`). */
  content: DecodedContent;
  /** Message/edit text, when the content has one. */
  text: string | undefined;
  /** Reaction key, for reactions. */
  emoji: string | undefined;
  /** Sent by the signed-in user (from any of their devices). */
  own: boolean;
  /** The raw wire event (content still encoded). */
  raw: Event;
}

/** Someone is typing. */
export interface TypingNotice {
  channelId: string;
  userId: string;
  threadRoot: number | null;
}
/** A watched user's aggregated presence (see ParleyClient.watchPresence): their status now, or a change. */
export interface PresenceNotice {
  userId: string;
  status: PresenceStatus;
}
/** A member's read receipt moved. */
export interface ReadNotice {
  channelId: string;
  userId: string;
  seq: number;
}

/** Event map of {@link ParleyClient}. */
export interface ClientEvents {
  [key: string]: unknown;
  /** Every channel event, in seq order per channel, exactly once. */
  event: ReceivedEvent;
  /** kind "message" (including thread replies: check threadRoot). */
  message: ReceivedEvent;
  /** kind "reaction". */
  reaction: ReceivedEvent;
  /** kind "edit". */
  edit: ReceivedEvent;
  /** kind "delete". */
  delete: ReceivedEvent;
  /** kind "reset": the channel's encryption was reset (`content.reset` says by whom and why); a new group from here on. */
  reset: ReceivedEvent;
  typing: TypingNotice;
  presence: PresenceNotice;
  read: ReadNotice;
  /** The user's follow state or read position in a thread changed on one of their devices (inbox). */
  thread: ThreadState;
  /** A user of the org changed their profile, or an admin changed it (the org's view: no email). */
  profile: User;
  /** An admin uploaded (`emoji`) or deleted (`emoji` null) a custom emoji of the org: show or drop it. */
  emoji: { name: string; emoji: CustomEmoji | null };
  /** Membership items of the per-user stream (channel.joined/left/updated, member.*). */
  membership: UserStreamItem;
  /** Every per-user stream item, in order, exactly once. */
  user: UserStreamItem;
  /** Connection state changes (connecting/syncing/live/offline/revoked/closed). */
  connection: ConnectionChange;
  /** The server ended the session (refresh token invalid/reused, device revoked, user deactivated): sign in again. */
  sessionEnded: ParleyError;
  /** A queued send failed for good and was dropped from the outbox. */
  sendFailed: { entry: OutboxEntry; error: ParleyError };
  /** An event that can never be decrypted on this device (tampered, replayed, sent after this device was removed…); it is also delivered with `content.decodeError`. */
  undecryptable: UndecryptableNotice;
  /** Events of the channel before `beforeSeq` were sent before this device joined its group: their history is not available here. */
  historyUnavailable: HistoryUnavailableNotice;
  /** Past history keys of a channel arrived (a `keys` event): events before this device joined may now be readable — decode them again (`client.history`). */
  historyKeys: HistoryKeysNotice;
  /**
   * The org's retention policy removed the channel's events below `floor`: this device deleted its
   * copies (stored events, decrypted content); drop them from views and indexes too.
   */
  "channel.purged": PurgeNotice;
  /**
   * Channels' compliance archive statuses changed (ADR 0008): every known channel's, as
   * `client.archiveStatus` gives them; one with a `problem` takes no sends (`archive_mismatch`).
   */
  "archive.status": ArchiveStatusNotice;
  /** A background failure that did not stop the client (gap fill, listener error, store write). */
  error: unknown;
}

/** User-stream kinds that are also emitted as `membership` events. */
export const MEMBERSHIP_KINDS: ReadonlySet<string> = new Set([
  "channel.joined",
  "channel.left",
  "channel.deleted",
  "channel.updated",
  "member.joined",
  "member.left",
  "member.role",
]);

/** The app's view of a channel event and its decoded content (`own` when `userId` sent it). */
export function toReceivedEvent(e: Event, content: DecodedContent, userId: string): ReceivedEvent {
  return {
    kind: e.kind,
    channelId: e.channelId,
    seq: e.seq,
    senderId: e.senderId,
    senderDeviceId: e.senderDeviceId,
    threadRoot: e.threadRoot,
    target: e.target,
    mentions: e.mentions,
    createdAt: e.createdAt,
    clientId: e.clientId,
    content,
    text: typeof content.text === "string" ? content.text : undefined,
    emoji: typeof content.emoji === "string" ? content.emoji : undefined,
    own: e.senderId === userId,
    raw: e,
  };
}
