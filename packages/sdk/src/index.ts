/**
 * @parley/sdk — the Parley client SDK: typed REST transport, sessions with
 * token refresh, realtime connection with reconnect, sync engine with
 * cursors, local stores, send with retry and idempotency, and MLS
 * end-to-end encryption (the default content codec). Runs in Node 22+ and browsers; Node-only parts live in
 * `@parley/sdk/node`.
 */
export * from "./errors.ts";
export * from "./http.ts";
export * from "./codec.ts";
export * from "./store.ts";
export * from "./emitter.ts";
export * from "./backoff.ts";
export * from "./auth.ts";
export * from "./ordered-stream.ts";
export * from "./sync.ts";
export * from "./connection.ts";
export * from "./outbox.ts";
export * from "./client-events.ts";
export type { PurgeNotice } from "./retention.ts";
export * from "./client.ts";
export { Inbox, type InboxPage } from "./inbox.ts";
export { PersonalStore, SAVED_PREVIEW_CHARS, type Draft, type SavedMessage, type PersonalStoreOptions, type ReminderNote } from "./personal.ts";
export { Reminders, type ReminderView, type NewReminder } from "./reminders.ts";
export { parseReminder, zonedInstant, REMIND_USAGE, DEFAULT_REMINDER_HOUR, type ParsedReminder } from "./reminder-time.ts";
export type { AcceptInviteOptions, ApiKeyLoginOptions, LoginOptions, SecondFactor, SetupOptions, SsoSignInOptions } from "./sign-in.ts";
export * from "./timeline.ts";
export * from "./polls.ts";
export * from "./calls.ts";
export { CallEventPoster, CALL_EVENT_STEP_MS, type CallEventHost, type CallEventOptions } from "./call-events.ts";
export * from "./call-sfu.ts";
export { KeyLocker, isRecoveryKeyError, type LockerStatus } from "./e2ee/locker.ts";
export { DeviceApprovals, type AcceptedApproval, type DeviceTrust } from "./e2ee/approval.ts";
export { E2eeEngine, type E2eeOptions, type UndecryptableNotice, type HistoryUnavailableNotice, type HistoryKeysNotice } from "./e2ee/engine.ts";
export type { PersistPolicy } from "./e2ee/persist.ts";
export type { ArchiveStatus, ArchiveStatusNotice, ArchivePolicyProblem, ArchivePolicyProblemCode } from "./e2ee/archive-policy.ts";
export type { ComplianceArchive } from "./e2ee/compliance-archive.ts";
export { MlsCodec } from "./e2ee/mls-codec.ts";
export type { FileDescriptor } from "./e2ee/files.ts";
export type { UndecryptableReason } from "./e2ee/timeline.ts";
export { fingerprintOf, combineFingerprints } from "./e2ee/safety-number.ts";
export { E2eeError, isE2eeError, type E2eeErrorCode, type KeyStore, MemoryKeyStore } from "@parley/crypto";
export { foldSearchText } from "./search-text.ts";
export { parseSlashCommand, slashCommandContent, commandOf, type SlashCommandInvocation } from "./slash-command.ts";
export { MessageSearch, MemorySearchIndexStore, type SearchIndexStore, type SearchHit, type HistorySource } from "./search.ts";
export {
  exportChannelHistory,
  exportHistory,
  type ExportedEvent,
  type ExportedChannel,
  type HistoryExport,
  type HistoryExportOptions,
  type HistoryExportProgress,
} from "./history-export.ts";
