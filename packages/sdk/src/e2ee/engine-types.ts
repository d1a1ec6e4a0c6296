/**
 * What the E2EE engine and its client exchange: the engine's options, what it
 * needs from the client (the host), and the notices it reports.
 */
import type { KeyStore } from "@parley/crypto";
import type { Event, HistoryPolicy } from "@parley/protocol";
import type { DecodedContent, MessageContent } from "../codec.ts";
import type { Api } from "../http.ts";
import type { LocalStore } from "../store.ts";
import type { ChannelFacts } from "../history-policies.ts";
import type { ArchiveStatusNotice } from "./archive-policy.ts";
import type { KeyPackageSupply } from "./device.ts";
import type { PersistPolicy } from "./persist.ts";
import type { SelfUpdatePolicy } from "./self-update.ts";
import type { UndecryptableReason } from "./step.ts";

/** An event that can never be decrypted on this device. */
export interface UndecryptableNotice {
  channelId: string;
  seq: number;
  senderId: string;
  senderDeviceId: string;
  reason: UndecryptableReason;
  message: string;
}

/** Events before `beforeSeq` belong to epochs before this device joined: it never had their keys. */
export interface HistoryUnavailableNotice {
  channelId: string;
  beforeSeq: number;
}

/** This device received `added` history keys of the channel's past (a `keys` event): earlier events may now be readable. */
export interface HistoryKeysNotice {
  channelId: string;
  added: number;
}

/** E2EE settings of a client. */
export interface E2eeOptions {
  /** Where the device identity, KeyPackages and group states live (default: a new MemoryKeyStore — nothing survives the process). */
  keyStore?: KeyStore;
  /** KeyPackage supply. */
  keyPackages?: KeyPackageSupply;
  /** How long to wait for a Welcome before joining a group by external commit (default 3000 ms). */
  joinWaitMs?: number;
  /** Commit attempts after `stale_epoch` before giving up (default 8). */
  maxCommitAttempts?: number;
  /** When this device rotates its leaf keys in each group (post-compromise security). */
  selfUpdate?: SelfUpdatePolicy;
  /** The clock the schedules read (default Date.now; tests pass a fake one). */
  now?: () => number;
  /** How often group states are saved while messages flow (default: every 256 messages or 1 s; see {@link PersistPolicy}). */
  persist?: PersistPolicy;
  /** How often a device approval in progress asks the server whether the other device moved on (default 1000 ms). */
  approvalPollMs?: number;
}

/** What the engine needs from the client. */
export interface E2eeHost {
  api: Api;
  session: { orgId: string; userId: string; deviceId: string };
  /** Where the sealed decrypted history and own sends' plaintext are kept. */
  store: LocalStore;
  /** Events of a channel with `after` < seq <= `upTo`, in seq order (from the local store, else the server). */
  backfill(channelId: string, after: number, upTo: number): Promise<Event[]>;
  /** Fetch the channel's timeline up to now and wait until it went through `E2eeEngine.receive`. */
  catchUp(channelId: string): Promise<void>;
  deliver(e: Event, content: DecodedContent): void;
  undecryptable(n: UndecryptableNotice): void;
  historyUnavailable(n: HistoryUnavailableNotice): void;
  historyKeys(n: HistoryKeysNotice): void;
  /** The channel's history policy (looked up when not known; undefined: unknown). */
  historyPolicy(channelId: string): Promise<HistoryPolicy | undefined>;
  /** Whether the channel is public (as last seen; asked after {@link historyPolicy}). */
  isPublicChannel(channelId: string): boolean;
  /** A channel's kind, labels and membership (looked up when not known, or when `fresh`; undefined: unknown). */
  channelFacts(channelId: string, fresh?: boolean): Promise<ChannelFacts | undefined>;
  /** Every channel whose kind, labels and membership the client knows. */
  knownChannels(): ChannelFacts[];
  /** Channels' compliance archive statuses changed. */
  archiveStatus(n: ArchiveStatusNotice): void;
  /** Send a `keys` event (content from share-keys.ts) through the client's outbox. */
  sendKeys(channelId: string, content: MessageContent): Promise<void>;
  onError(err: unknown): void;
}
