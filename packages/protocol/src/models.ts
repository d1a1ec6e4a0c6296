/**
 * Schemas of the objects the API returns and accepts. The server validates
 * every request with these and the OpenAPI document is generated from them.
 */
import { z } from "zod";
import { StatusEmoji, TimeZone, Title } from "./profile-models.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

/** An opaque server-generated identifier. */
export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be an id");
/** Org slug: lowercase letters, digits and dashes; used at login. */
export const Slug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes");
/** Username: unique within an org. */
export const Username = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lowercase letters, digits, dot, dash, underscore");
/**
 * A new password as the wire accepts it: 8 to 256 characters (NIST 800-63B: length over
 * composition). The org's password policy (minimum length, the common-password check)
 * is applied by the server on top and answered with `password_rejected`.
 */
export const Password = z.string().min(8).max(256);
/** An email address, stored lowercased. */
export const Email = z.string().trim().toLowerCase().max(254).pipe(z.email());
/** A user's status line ("In a meeting until 3"), shown beside their name. */
export const StatusText = z
  .string()
  .trim()
  .max(140)
  .regex(/^[^\n\r\t]*$/, "single line");
/** Human-readable name. */
export const DisplayName = z.string().trim().min(1).max(80);
/** Device label such as "laptop" or "Firefox on Linux". */
export const DeviceName = z.string().trim().min(1).max(80);
/** Channel name. */
export const ChannelName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[^\n\r\t]+$/, "single line");
/** Channel topic. */
export const Topic = z.string().max(250);
/** Client-chosen idempotency key, unique per channel. */
export const ClientId = z
  .string()
  .min(8)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "url-safe characters");
/** Base64 string (standard alphabet, padded). */
export const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64")
  .refine((s) => s.length % 4 === 0, "base64");
/** Unix epoch milliseconds. */
export const Timestamp = z.number().int().nonnegative();
/** Per-channel or per-user sequence number (starts at 1). */
export const Seq = z.number().int().nonnegative();

/** Org roles, from most to least privileged. */
export const OrgRole = z.enum(["owner", "admin", "member", "guest"]);
export type OrgRole = z.infer<typeof OrgRole>;
/**
 * Channel roles, from most to least privileged: `admin` manages the channel (name, topic,
 * archive, roles, labels, history); `moderator` invites and removes members (not admins or
 * moderators) and deletes others' messages; `member` reads and posts; `reader` only reads.
 * DMs and group DMs have members only.
 */
export const ChannelRole = z.enum(["admin", "moderator", "member", "reader"]);
export type ChannelRole = z.infer<typeof ChannelRole>;
/** Channel kinds. */
export const ChannelKind = z.enum(["public", "private", "dm", "group_dm"]);
export type ChannelKind = z.infer<typeof ChannelKind>;

/**
 * Who reads a channel's past (ADR 0007): `shared` — members' devices keep archive copies
 * under per-epoch history keys and a new member receives the past keys from whoever adds
 * them; `joined` — archive copies too, but a new member reads only what follows their
 * joining; `device-only` — no archive copies (each device reads only what it received live).
 */
export const HistoryPolicy = z.enum(["shared", "joined", "device-only"]);
export type HistoryPolicy = z.infer<typeof HistoryPolicy>;

/** The policy a channel of this kind gets when its creator names none: shared for channels, joined for DMs. */
export function defaultHistoryPolicy(kind: ChannelKind): HistoryPolicy {
  return kind === "dm" || kind === "group_dm" ? "joined" : "shared";
}
/**
 * Event kinds. Reactions, edits and deletions refer to a target event by seq.
 * "commit" (an accepted MLS commit, PublicMessage), "proposal" (the server's
 * external Remove proposal, sender "server") and "reset" (the channel's encryption
 * was reset: a new MLS group from here on; content is an {@link EncryptionReset} as
 * JSON) are written by the server only: clients post commits as bundles
 * (`postCommitBundle`) and resets through `resetEncryption`, never via sendEvent.
 */
/**
 * Kinds of timeline events. `keys` (ADR 0007) carries past history keys of a `shared` channel
 * to members who just joined it (MLS ciphertext like a message; no target, thread, mentions,
 * files or archive copy; not counted as unread).
 */
export const EventKind = z.enum(["message", "reaction", "edit", "delete", "commit", "proposal", "reset", "keys"]);
export type EventKind = z.infer<typeof EventKind>;
/** Presence states. */
export const PresenceStatus = z.enum(["online", "away", "offline"]);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

export const Org = z.object({ id: Id, slug: Slug, name: DisplayName, createdAt: Timestamp });
export type Org = z.infer<typeof Org>;

export const User = z.object({
  id: Id,
  orgId: Id,
  username: Username,
  displayName: DisplayName,
  role: OrgRole,
  deactivated: z.boolean(),
  createdAt: Timestamp,
  /** Status line, or null. */
  statusText: StatusText.nullable().optional(),
  /** The status's emoji, and when the status ends (null: when cleared); an ended status is not shown (issue 13). */
  statusEmoji: StatusEmoji.nullable().optional(),
  statusExpiresAt: Timestamp.nullable().optional(),
  /** Job title and IANA time zone (issue 13). */
  title: Title.nullable().optional(),
  timeZone: TimeZone.nullable().optional(),
  /** Version of the user's avatar image (fetch it with `getAvatar`), or null when they have none. */
  avatar: z.string().max(64).nullable().optional(),
  /** A service account (a non-human user whose only credentials are API keys). */
  service: z.boolean().optional(),
  /** Email address: only in the user's own view and in admins' views. */
  email: Email.nullable().optional(),
});
export type User = z.infer<typeof User>;

export const Device = z.object({
  id: Id,
  userId: Id,
  name: DeviceName,
  createdAt: Timestamp,
  lastSeenAt: Timestamp.nullable(),
  revoked: z.boolean(),
  current: z.boolean().optional(),
  /** The device holds an approval signed with the user identity key (ADR 0007); clients verify it themselves before trusting it. */
  approved: z.boolean(),
});
export type Device = z.infer<typeof Device>;

export const Session = z.object({
  id: Id,
  deviceId: Id,
  deviceName: DeviceName,
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  current: z.boolean(),
});
export type Session = z.infer<typeof Session>;

/** Tokens returned by login, setup, invite acceptance and refresh. */
export const AuthTokens = z.object({
  accessToken: z.string(),
  /** Opaque; rotate on every refresh. Reusing an old one revokes the family. */
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int().positive(),
  user: User,
  org: Org,
  deviceId: Id,
  sessionId: Id,
});
export type AuthTokens = z.infer<typeof AuthTokens>;

export const Invite = z.object({
  id: Id,
  role: OrgRole,
  maxUses: z.number().int().positive(),
  uses: z.number().int().nonnegative(),
  expiresAt: Timestamp,
  revoked: z.boolean(),
  createdBy: Id,
  createdAt: Timestamp,
  /** The address the link was emailed to, if it was. */
  email: Email.nullable().optional(),
});
export type Invite = z.infer<typeof Invite>;

export const ChannelMember = z.object({ userId: Id, role: ChannelRole, joinedAt: Timestamp });
export type ChannelMember = z.infer<typeof ChannelMember>;

export const Channel = z.object({
  id: Id,
  orgId: Id,
  kind: ChannelKind,
  name: z.string(),
  topic: Topic,
  archived: z.boolean(),
  createdBy: Id,
  createdAt: Timestamp,
  /** Highest event seq in the channel. */
  lastSeq: Seq,
  memberCount: z.number().int().nonnegative(),
  /** MLS epoch of the channel's group (0 until the E2EE layer commits). */
  epoch: z.number().int().nonnegative(),
  /** Who reads the channel's past (HistoryPolicy). */
  history: HistoryPolicy,
  /** The channel's labels (e.g. "confidential"), which org policies can name. */
  labels: z.array(z.string()),
  /** Events below this seq were removed by the org's retention policy: clients delete their copies of them. */
  retentionFloor: Seq,
});
export type Channel = z.infer<typeof Channel>;

/** A channel as seen by one of its members. */
export const MyChannel = Channel.extend({
  myRole: ChannelRole,
  /** Last seq the user has read (read receipt). */
  readSeq: Seq,
  /** Messages after readSeq not sent by the user, counted up to 1,000 (show "1000+"). */
  unread: z.number().int().nonnegative(),
  /** Unread events that mention the user. */
  mentions: z.number().int().nonnegative(),
  /** For DMs: the other members. */
  dmUserIds: z.array(Id).optional(),
});
export type MyChannel = z.infer<typeof MyChannel>;

/** A channel event. `content` is opaque to the server (ciphertext once E2EE is on). */
export const Event = z.object({
  id: Id,
  channelId: Id,
  seq: Seq,
  clientId: ClientId,
  senderId: Id,
  senderDeviceId: Id,
  kind: EventKind,
  /** MLS epoch of the event's group. */
  epoch: z.number().int().nonnegative(),
  /**
   * Which of the channel's MLS groups the event belongs to: 0 for the first, n after the
   * n-th encryption reset (a "reset" event opens generation n). Epochs restart at each.
   */
  generation: z.number().int().nonnegative().default(0),
  content: Base64,
  /**
   * The event's archive copy (ADR 0007): its content sealed under the epoch's history key
   * and signed by the sending device, framed as `parseArchiveFraming` reads it. Absent (or
   * null) when the sender sent none: server events, `device-only` channels, older clients.
   */
  archive: Base64.nullish(),
  threadRoot: Seq.nullable(),
  target: Seq.nullable(),
  mentions: z.array(Id),
  createdAt: Timestamp,
  /** Attachments (file ids) the event carries; their keys travel inside `content`. */
  files: z.array(Id).default([]),
});
export type Event = z.infer<typeof Event>;

/** Why a channel's encryption was reset. */
export const ResetReason = z.enum([
  /** A channel admin (or an org admin) asked for it. */
  "admin",
  /** A member's device found the group unrecoverable (it could neither follow it nor rejoin it). */
  "unrecoverable",
  /** The group was made by another MLS engine version (a library upgrade): it cannot be continued. */
  "engine_upgrade",
  /** An operator reset it from the command line (`parley admin e2ee reset`). */
  "operator",
]);
export type ResetReason = z.infer<typeof ResetReason>;

/** Content of a "reset" event (JSON, base64 in the event's `content`): public metadata, no message content. */
export const EncryptionReset = z.object({
  /** The group generation that starts here. */
  generation: z.number().int().positive(),
  reason: ResetReason,
  /** Who asked (null: an operator). */
  by: Id.nullable(),
});
export type EncryptionReset = z.infer<typeof EncryptionReset>;

/** What a client sends to create an event (HTTP body and `send` frame). */
export const SendEvent = z.object({
  clientId: ClientId,
  kind: EventKind,
  content: Base64.max(Math.ceil((DEFAULT_LIMITS.messageBytes * 4) / 3) + 4),
  /**
   * Archive copy of the content (ADR 0007; messages, reactions, edits and deletes only, never
   * in a `device-only` channel). The server checks only its framing: version, size, and that
   * its epoch and generation are the event's (so a send with one must name its `epoch`).
   * Optional while clients do not send it yet.
   */
  archive: Base64.max(Math.ceil((DEFAULT_LIMITS.messageBytes * 4) / 3) + 4).optional(),
  threadRoot: Seq.min(1).nullable().optional(),
  target: Seq.min(1).nullable().optional(),
  mentions: z.array(Id).max(DEFAULT_LIMITS.mentions).optional(),
  epoch: z.number().int().nonnegative().optional(),
  /**
   * Completed uploads (POST /channels/:channelId/files) by the sender in this channel to attach
   * to a message; each file can be attached once. Deleting the message deletes them.
   */
  files: z.array(Id).max(DEFAULT_LIMITS.filesPerEvent).optional(),
});
export type SendEvent = z.infer<typeof SendEvent>;

/** Items on the per-user stream (not tied to one channel's timeline). */
export const UserStreamKind = z.enum([
  "channel.joined",
  "channel.left",
  "channel.updated",
  /** A message of the channel was pinned or unpinned: data { seq, pinned, by, at } (refetch with listPins or apply it). */
  "channel.pins",
  /** The channel was deleted for good: data { by }; drop it and its local history. */
  "channel.deleted",
  "member.joined",
  "member.left",
  "member.role",
  "device.added",
  "device.revoked",
  "user.updated",
  /**
   * The device is running out of one-time KeyPackages of the org's current suite: data
   * { deviceId, available, suite }; upload more. After a suite switch: { suite, reason:
   * "suite_changed" } without deviceId (every device of the user).
   */
  "keypackages.low",
  /** A device of the user asks to be approved: data { requestId, deviceId, deviceName }. */
  "approval.requested",
  /**
   * An approval request moved on: data { requestId, deviceId, state } (the state it moved to);
   * requestId is null when a device approved itself (state "approved", `PUT /me/approval`).
   */
  "approval.updated",
  /** An MLS Welcome for the user's devices: data { channelId, epoch, welcomeId } (fetch it with getWelcome). */
  "mls.welcome",
  /** The org's compliance archive policy changed: data { version }; fetch it with getArchivePolicy and check its signature. */
  "archive.policy",
  /** One of the user's personal items (saved, draft, setting) changed: data { kind, version } (sync with listPersonalItems). */
  "personal.items",
  /**
   * One of the user's reminders is due: data { reminderId, dueAt }. Open its sealed text from the
   * personal store (kind `reminder`) and show it; the user snoozes (updateReminder) or dismisses it (deleteReminder).
   */
  "reminder.due",
]);
export type UserStreamKind = z.infer<typeof UserStreamKind>;

export const UserStreamItem = z.object({
  seq: Seq,
  kind: UserStreamKind,
  channelId: Id.nullable(),
  /** Kind-specific JSON payload (ids and names only; never message content). */
  data: z.record(z.string(), z.unknown()),
  createdAt: Timestamp,
});
export type UserStreamItem = z.infer<typeof UserStreamItem>;

export const ThreadSummary = z.object({
  rootSeq: Seq,
  replies: z.number().int().nonnegative(),
  lastReplySeq: Seq,
  lastReplyAt: Timestamp,
});
export type ThreadSummary = z.infer<typeof ThreadSummary>;
