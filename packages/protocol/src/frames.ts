/**
 * WebSocket frames of the gateway at {@link WS_PATH}. Every frame is one JSON
 * text message with a `t` (type) field. docs/protocol.md describes each one.
 */
import { z } from "zod";
import { Event, Id, PresenceStatus, Seq, SendEvent, User, UserStreamItem, Org } from "./models.ts";
import { ERROR_CODES } from "./errors.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { ThreadState } from "./inbox-routes.ts";
import { CustomEmoji, EmojiShortcode } from "./emoji-routes.ts";
import { CALL_CLIENT_FRAMES, CALL_SERVER_FRAMES } from "./call-models.ts";
import { CALL_SFU_CLIENT_FRAMES, CALL_SFU_SERVER_FRAMES } from "./call-sfu-models.ts";

/** Where a client is in each stream; the server replays everything after. */
export const Cursors = z.object({
  /** Last per-user stream seq the client has. */
  user: Seq.default(0),
  /** Last event seq per channel. Channels the user belongs to but that are missing here start at 0. */
  channels: z.record(Id, Seq).default({}),
});
export type Cursors = z.infer<typeof Cursors>;

const Ref = z.string().min(1).max(64);

// ---- client -> server --------------------------------------------------
/** First frame: authenticate and ask for everything after the cursors. */
export const HelloFrame = z.object({
  t: z.literal("hello"),
  token: z.string().min(1).max(4096),
  cursors: Cursors.default({ user: 0, channels: {} }),
  /** Skip replay (e.g. a bot that only wants live events). */
  live: z.boolean().optional(),
});
/** Send an event; answered by `ack` or `error` with the same ref. */
export const SendFrame = SendEvent.extend({ t: z.literal("send"), ref: Ref, channelId: Id });
export const TypingFrame = z.object({ t: z.literal("typing"), channelId: Id, threadRoot: Seq.nullable().optional() });
export const PresenceFrame = z.object({ t: z.literal("presence"), status: PresenceStatus.exclude(["offline"]) });
export const ReadFrame = z.object({ t: z.literal("read"), channelId: Id, seq: Seq });
export const PingFrame = z.object({ t: z.literal("ping"), ref: Ref.optional() });
/**
 * Watch these users' presence (API 12): replaces the connection's watch set (empty: watch
 * nobody). Answered by `presence.users` with `full: true`; afterwards changes of watched users only.
 */
export const PresenceWatchFrame = z.object({
  t: z.literal("presence.watch"),
  ref: Ref.optional(),
  userIds: z.array(Id).max(DEFAULT_LIMITS.presenceWatch),
});

export const ClientFrame = z.discriminatedUnion("t", [
  HelloFrame,
  SendFrame,
  TypingFrame,
  PresenceFrame,
  PresenceWatchFrame,
  ReadFrame,
  PingFrame,
  // Call signalling (issue 14).
  ...CALL_CLIENT_FRAMES,
  ...CALL_SFU_CLIENT_FRAMES,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameInput = z.input<typeof ClientFrame>;

// ---- server -> client --------------------------------------------------
/** Authenticated; replay follows. */
export const ReadyFrame = z.object({
  t: z.literal("ready"),
  user: User,
  org: Org,
  deviceId: Id,
  sessionId: Id,
  connectionId: z.string(),
  serverTime: z.number().int(),
  heartbeatMs: z.number().int(),
  /** Sustained frames per second this connection may send (bursts up to 4x); clients pace themselves to it. */
  framesPerSecond: z.number().int().positive().optional(),
});
/** A page of missed channel events during replay (ordered by seq). */
export const SyncFrame = z.object({ t: z.literal("sync"), channelId: Id, events: z.array(Event) });
/** A page of missed per-user stream items during replay. */
export const SyncUserFrame = z.object({ t: z.literal("sync.user"), items: z.array(UserStreamItem) });
/** Replay finished; from here on frames are live. */
export const SyncedFrame = z.object({ t: z.literal("synced") });
/** A live channel event. */
export const EventFrame = z.object({ t: z.literal("event"), event: Event });
/** A live per-user stream item. */
export const UserFrame = z.object({ t: z.literal("user"), item: UserStreamItem });
/** The event of a `send`, persisted; `duplicate` if the clientId was already used. */
export const AckFrame = z.object({ t: z.literal("ack"), ref: Ref, event: Event, duplicate: z.boolean() });
export const ErrorFrame = z.object({
  t: z.literal("error"),
  ref: Ref.optional(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  message: z.string(),
  details: z.unknown().optional(),
});
/** Someone is typing (ephemeral, expires after a few seconds). */
export const TypingOutFrame = z.object({ t: z.literal("typing"), channelId: Id, userId: Id, threadRoot: Seq.nullable() });
/**
 * Aggregated presence (across devices and nodes) of watched users (API 12): `full: true` answers a
 * `presence.watch` (every watched id, offline ones included; another org's users and unknown
 * ids always read offline), `full: false` carries the changes since the last frame (coalesced, at most one frame per 500 ms).
 */
export const PresenceUsersFrame = z.object({
  t: z.literal("presence.users"),
  ref: Ref.optional(),
  full: z.boolean(),
  users: z.array(z.object({ userId: Id, status: PresenceStatus })),
});
/** A member's read receipt moved. */
export const ReadOutFrame = z.object({ t: z.literal("read"), channelId: Id, userId: Id, seq: Seq });
/** The user's state in a thread changed (followed, unfollowed, read) on one of their devices; sent to all of them (issue 13). */
export const ThreadOutFrame = ThreadState.extend({ t: z.literal("thread") });
/** A user of the org changed their profile (name, status, avatar, title) or an admin changed it (role, deactivation): the org's view of them, without the email (issue 13). */
export const ProfileOutFrame = z.object({ t: z.literal("profile"), user: User });
/**
 * An admin added or removed a custom emoji of the org (issue 13): `emoji` is the new one, or null when
 * `name` was deleted; sent to every connection of the org. A hint: clients read `GET /emoji` again on reconnect.
 */
export const EmojiOutFrame = z.object({ t: z.literal("emoji"), name: EmojiShortcode, emoji: CustomEmoji.nullable() });
export const PongFrame = z.object({ t: z.literal("pong"), ref: Ref.optional(), serverTime: z.number().int() });

export const ServerFrame = z.discriminatedUnion("t", [
  ReadyFrame,
  SyncFrame,
  SyncUserFrame,
  SyncedFrame,
  EventFrame,
  UserFrame,
  AckFrame,
  ErrorFrame,
  TypingOutFrame,
  PresenceUsersFrame,
  ReadOutFrame,
  ThreadOutFrame,
  ProfileOutFrame,
  EmojiOutFrame,
  PongFrame,
  // Call signalling (issue 14).
  ...CALL_SERVER_FRAMES,
  ...CALL_SFU_SERVER_FRAMES,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameOf<T extends ServerFrame["t"]> = Extract<ServerFrame, { t: T }>;
