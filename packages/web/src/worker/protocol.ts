/**
 * The typed message protocol between the page and the client worker. The
 * page sends commands with ids; the worker answers each with one reply and
 * streams client events (batched) and state changes. Byte streams (file
 * uploads and downloads) travel over their own MessagePorts (streams.ts).
 * Tokens never cross: the page sees the session's ids only.
 */
import type { MfaChallenge, Org, User } from "@parley/protocol";
import type { SFrameSuiteId } from "@parley/crypto/sframe";
import type {
  CallEvents,
  CallSfuApi,
  CallSfuEvents,
  CallsApi,
  ClientEvents,
  Draft,
  E2eeEngine,
  ParleyClient,
  SavedMessage,
  SearchHit,
  SecondFactor,
  StoredSession,
} from "@parley/sdk";
import type { SerializedError } from "./errors.ts";
import type { WireStream } from "./streams.ts";

/** The session as the page sees it: ids, no tokens. */
export type PageSession = Omit<StoredSession, "accessToken" | "refreshToken" | "accessExpiresAt">;

/** How the worker signs in. */
export type StartInput =
  | { mode: "resume" }
  | { mode: "login"; input: { org: string; username: string; password: string; deviceName: string } }
  | {
      mode: "setup";
      input: { setupToken: string; orgSlug: string; orgName: string; username: string; displayName: string; password: string; deviceName: string };
    }
  | { mode: "acceptInvite"; input: { token: string; username: string; displayName: string; password: string; deviceName: string } }
  /** Finish a single sign-on: the one-time code of `/sso#code=` (the worker's fetch sends the browser's SSO cookie). */
  | { mode: "sso"; input: { code: string; deviceName?: string } }
  /** A passkey's answer to passkeySignInOptions (the ceremony ran in the page); the worker signs in with it. */
  | { mode: "passkey"; input: { challengeId: string; response: Record<string, unknown>; deviceName: string } };

/** What the page learns once the worker's client is signed in. */
export interface ClientSnapshot {
  me: User;
  org: Org;
  codec: { name: string; encrypted: boolean };
  session: PageSession;
  /** The E2EE engine's view of the org settings (suite, directory and external-sender keys). */
  e2eeConfig: E2eeEngine["config"] | undefined;
}

/**
 * What the page learns when the org requires two-factor authentication of the user and their grace
 * period is over (`mfa_enrollment_required`): the session may only enrol an authenticator, so the
 * worker holds its tokens without a client (no keys, no socket) and its `api` command takes only
 * the enrolment routes; `start` with `resume` then starts the client from the same session.
 */
export interface EnrolmentSnapshot {
  enrolmentRequired: true;
  me: User;
  org: Org;
}

/** What `start` answers: the signed-in client, or a session restricted to enrolling (undefined: no saved session to resume). */
export type StartResult = ClientSnapshot | EnrolmentSnapshot;

/** Client methods the page may call by name (arguments and results are structured-cloneable). */
export const CLIENT_METHODS = [
  "connect",
  "send",
  "sendMessage",
  "reply",
  "react",
  "edit",
  "delete",
  "typing",
  "setPresence",
  "watchPresence",
  "markRead",
  "channels",
  "createChannel",
  "openDm",
  "addMembers",
  "joinChannel",
  "removeMember",
  "fingerprint",
  "safetyNumber",
  "decode",
  "history",
  "eventAt",
  "idle",
  "settled",
  "waitUntilLive",
  "resetEncryption",
  "archiveStatuses",
] as const satisfies ReadonlyArray<keyof ParleyClient>;
/** One of {@link CLIENT_METHODS}. */
export type ClientMethod = (typeof CLIENT_METHODS)[number];

/** What the page may do with the key locker. */
export type LockerAction = "status" | "setUp" | "restore" | "changeRecoveryKey";

/**
 * What the page may do with device approval (ADR 0007): the new device's steps (`request`, `code`,
 * `await`, `cancel`), the approving device's (`pending`, `accept`, `confirm`, `decline`), and
 * which devices of some users are trusted (`trust`).
 */
export type ApprovalAction = "request" | "code" | "await" | "cancel" | "pending" | "accept" | "confirm" | "decline" | "trust";

/** How far the index is: messages indexed, whether a back-fill runs and what it has read so far. */
export interface SearchStatus {
  indexed: number;
  backfilling: boolean;
  read: number;
  /** Set when the last back-fill failed (it is tried again on the next trigger). */
  error?: string;
}

/** What the page gets for a query. */
export interface SearchAnswer {
  hits: SearchHit[];
  status: SearchStatus;
}

/** A profile picture's bytes and type, as the worker fetched them. */
export interface AvatarImage {
  type: string;
  bytes: Uint8Array;
}

/** What the page may do with the personal store (saved messages, drafts, synced settings; ADR 0009). */
export type PersonalAction = "snapshot" | "save" | "unsave" | "setDraft" | "setSetting";

/** The personal store as the worker's client holds it after an action. */
export interface PersonalSnapshot {
  /** False when this device does not hold the key locker (nothing is read or written then). */
  available: boolean;
  saved: SavedMessage[];
  drafts: Draft[];
  /** Synced settings by name (the recently used emoji: "emoji.usage"). */
  settings: Record<string, unknown>;
}

/** What the page may do with the user's reminders (`/remind`; the SDK's Reminders: list, create, snooze, dismiss); answers ReminderView(s). */
export type ReminderAction = "list" | "create" | "snooze" | "dismiss";

/** `client.calls` methods the page may call by name (call signalling; docs/calls.md). */
export const CALL_METHODS = [
  "start",
  "accept",
  "decline",
  "cancel",
  "join",
  "leave",
  "setMedia",
  "raiseHand",
  "record",
  "signal",
  "list",
  "postEvent",
] as const satisfies ReadonlyArray<keyof CallsApi>;
/** One of {@link CALL_METHODS}. */
export type CallMethod = (typeof CALL_METHODS)[number];

/** `client.calls` events forwarded to the page as they happen (not batched: signalling is latency-sensitive). */
export const CALL_EVENTS = ["ringing", "state", "signal", "ended", "missed"] as const satisfies ReadonlyArray<keyof CallEvents>;
/** One of {@link CALL_EVENTS}. */
export type CallEventName = (typeof CALL_EVENTS)[number];

/** `client.calls.sfu` methods the page may call by name (group calls' media through the server and the SFU). */
export const CALL_SFU_METHODS = ["publish", "renegotiate", "subscribe", "start", "restart", "trickle", "configure", "leave"] as const satisfies ReadonlyArray<
  keyof CallSfuApi
>;
/** One of {@link CALL_SFU_METHODS}. */
export type CallSfuMethod = (typeof CALL_SFU_METHODS)[number];

/** `client.calls.sfu` events forwarded to the page as they happen. */
export const CALL_SFU_EVENTS = ["feeds", "reconnect"] as const satisfies ReadonlyArray<keyof CallSfuEvents>;
/** One of {@link CALL_SFU_EVENTS}. */
export type CallSfuEventName = (typeof CALL_SFU_EVENTS)[number];

/**
 * A channel's SFrame call keys for its current MLS epoch, as the page's SFrame worker takes them
 * (the SDK's CallKeys without its sender-key function, which does not clone).
 */
export interface PageCallKeys {
  channelId: string;
  suite: SFrameSuiteId;
  epoch: bigint;
  baseKey: Uint8Array;
  ownLeafIndex: number;
  /** The device at each member leaf of the epoch: whose frames a KID's leaf index names. */
  deviceOfLeaf: Record<number, string>;
}

/** A data-subject export (a ZIP the server made) as the worker downloaded it. */
export interface DataExport {
  filename: string;
  bytes: Uint8Array;
}

/** A command without its id. */
export type CommandBody =
  | { op: "start"; baseUrl: string; start: StartInput }
  /** The answer to the `secondFactor` push of a sign-in in progress (a code the user typed). */
  | { op: "secondFactor"; answer: SecondFactor }
  | { op: "call"; method: ClientMethod; args: unknown[] }
  | { op: "api"; route: string; input: unknown }
  | { op: "older"; channelId: string; before: number; limit: number }
  | {
      op: "sendFile";
      channelId: string;
      data: WireStream | Uint8Array;
      opts: { name: string; mime: string; size?: number; text?: string; threadRoot?: number | null };
    }
  | { op: "downloadFile"; file: unknown }
  /** A user's profile picture (GET /users/:id/avatar, raw bytes): the image, or null when they have none. */
  | { op: "avatar"; userId: string }
  /** A custom emoji's image (GET /emoji/:name/image, raw bytes), or null when the org has no such emoji. */
  | { op: "emojiImage"; name: string }
  /** The personal store: sync and read (`snapshot`), or a change (args as the SDK's PersonalStore method); answers a PersonalSnapshot. */
  | { op: "personal"; action: PersonalAction; args: unknown[] }
  /** Reminders: times on the server, text sealed in the personal store in the worker; answers opened ReminderViews. */
  | { op: "reminders"; action: ReminderAction; args: unknown[] }
  /**
   * A data-subject export (POST /me/export, or /compliance/users/:id/export with `userId`; a raw ZIP): its bytes and file name.
   * With `history` (the user's own only), this device's decrypted messages are added (worker/data-export.ts): progress
   * (HistoryExportProgress) is posted on the port, and "cancel" posted to it stops the export.
   */
  | { op: "dataExport"; userId?: string; history?: MessagePort }
  /** Search every channel's messages on this device (the worker's sealed index): hits and how far the index is. */
  | { op: "search"; query: string; channelId?: string; limit?: number }
  /** The user's key locker (ADR 0007): status, set up (returns the recovery key), restore with the key, change the key. */
  | { op: "locker"; action: LockerAction; recoveryKey?: string }
  /** Notification keywords sealed to / opened from the user's key locker (the settings' `keywordsSealed`): the locker keys stay in the worker. */
  | { op: "keywords"; seal: string[] }
  | { op: "keywords"; open: string | null }
  /** Device approval: the handshake's ephemeral keys and the user's private keys stay in the worker; codes and request views cross. */
  | { op: "approval"; action: ApprovalAction; requestId?: string; userIds?: string[] }
  /** Call signalling: a `client.calls` method by name (arguments and results structured-cloneable). */
  | { op: "calls"; method: CallMethod; args: unknown[] }
  /** A group call's media negotiation: a `client.calls.sfu` method by name (SDP strings and candidates cross). */
  | { op: "callSfu"; method: CallSfuMethod; args: unknown[] }
  /**
   * A channel's current call keys (PageCallKeys, or null without an active group). `follow` true:
   * the worker also pushes `callKeys` whenever the channel's MLS epoch changes (and null once this
   * device left the group) until a `callKeys` command with `follow` false.
   */
  | { op: "callKeys"; channelId: string; follow: boolean }
  | { op: "close" }
  | { op: "signOut"; logout: boolean };

/** Page -> worker. */
export type Command = CommandBody & { id: number };

/** Worker -> page: the answer to command `id`. */
export type Reply = { t: "reply"; id: number; ok: true; value: unknown } | { t: "reply"; id: number; ok: false; error: SerializedError };

/** Client events forwarded to the page (the kind-specific duplicates of "event" are re-emitted there). */
export const FORWARDED_EVENTS = [
  "event",
  "typing",
  "presence",
  "read",
  "thread",
  "profile",
  "emoji",
  "membership",
  "user",
  "connection",
  "sessionEnded",
  "sendFailed",
  "undecryptable",
  "historyUnavailable",
  "historyKeys",
  "archive.status",
  "channel.purged",
  "error",
] as const satisfies ReadonlyArray<keyof ClientEvents>;
/** One of {@link FORWARDED_EVENTS}. */
export type ForwardedEvent = (typeof FORWARDED_EVENTS)[number];

/**
 * Worker -> page: a batch of client events in emission order, mirrored client state, or — during a
 * password sign-in to an account with MFA — a request for the second factor (again after a wrong
 * code, `previousError` saying why), answered with the `secondFactor` command.
 */
export type WorkerPush =
  | { t: "events"; batch: Array<[ForwardedEvent, unknown]> }
  | { t: "state"; pendingSends: number; session: PageSession | undefined }
  /** A `client.calls` event (ringing, state, signal, ended, missed). */
  | { t: "call"; event: CallEventName; payload: unknown }
  /** A `client.calls.sfu` event (feeds, reconnect). */
  | { t: "callSfu"; event: CallSfuEventName; payload: unknown }
  /** A followed channel's call keys changed (a new MLS epoch), or null: this device left its group (wipe the keys). */
  | { t: "callKeys"; channelId: string; keys: PageCallKeys | null }
  | { t: "secondFactor"; challenge: MfaChallenge; previousError: SerializedError | undefined };

/** Everything the worker posts. */
export type WorkerMessage = Reply | WorkerPush;
