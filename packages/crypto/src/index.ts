/**
 * `@parley/crypto`: Parley's end-to-end encryption interface (MLS, RFC 9420, via ts-mls;
 * attachments; key stores). Runs in Node 24 and browsers. Everything crosses this
 * boundary as bytes and plain objects; no ts-mls type is exported.
 * Node-only parts (the encrypted file key store) are in `@parley/crypto/node`.
 * @packageDocumentation
 */
export * from "./public.ts";
export { createDeviceIdentity, loadDeviceIdentity, identityForSuite, type DeviceIdentity } from "./identity.ts";
export { MemoryKeyStore, type KeyStore } from "./key-store.ts";
export type { CryptoProviderName } from "./suites.ts";
export { generateKeyPackages, listKeyPackageRefs, deleteKeyPackage, KEY_PACKAGE_LIFETIME_SECONDS, type GeneratedKeyPackage } from "./key-packages.ts";
export type { Group, Member, LeafCandidate, LeafPolicy } from "./group-state.ts";
export {
  createGroup,
  joinFromWelcome,
  joinExternal,
  groupInfoOf,
  epoch,
  members,
  ownLeafIndex,
  isActive,
  epochAuthenticator,
  holdsOwnLeaf,
  exportGroupState,
  importGroupState,
  setLeafPolicy,
  type ExternalSenderKey,
  type ExternalJoin,
  type WelcomeJoinOptions,
} from "./group.ts";
export {
  addMembers,
  removeMembers,
  selfUpdate,
  commitPendingProposals,
  hasPendingProposals,
  hasPendingCommit,
  confirmPending,
  discardPending,
  pendingEpochAuthenticator,
  type CommitBundle,
  type RemoveTarget,
} from "./commits.ts";
export { encrypt, processMessage, type Processed, type MessageSender, type ProposalSummary } from "./messages.ts";
export { sendGeneration, skipSendGenerations } from "./send-ratchet.ts";
export * from "./attachments.ts";
// Encrypted history (ADR 0007): history keys, archive copies, the key locker, the recovery
// key, the user identity key with device approvals, and the hand-off to a new device.
export { historyKey } from "./history/history-key.ts";
export {
  generateArchiveSecret,
  archiveKeysFromSecret,
  encodeArchivePolicy,
  signArchivePolicy,
  verifyArchivePolicy,
  archiveCovers,
  archiveKeyFingerprint,
  type ArchivePolicyFields,
  type ArchiveScope,
  type ArchiveKeys,
} from "./history/archive-policy.ts";
export { sealArchiveCopy, openArchiveCopy, examineArchiveCopy, type ArchiveCopyContext } from "./history/archive-copy.ts";
export type { X25519KeyPair } from "./history/hpke.ts";
export type { LockerEntry } from "./history/locker-batch.ts";
export {
  generateLockerKeyPair,
  lockerBatchMeta,
  sealLockerBatch,
  sealLockerBatchToEach,
  openLockerBatch,
  openLockerBatches,
  type LockerOwner,
  type LockerBatchMeta,
} from "./history/locker.ts";
export { sealKeywords, openKeywords, KEYWORD_LIMITS } from "./history/sealed-keywords.ts";
export type { UserSecrets } from "./history/user-secrets.ts";
// The personal store (issue 13, ADR 0009): saved messages, drafts and settings sealed under the locker key.
export { personalKeys, type PersonalKeys } from "./history/personal-items.ts";
export { generateRecoveryKey, formatRecoveryKey, parseRecoveryKey, sealRecoveryBlob, openRecoveryBlob, type RecoveryKey } from "./history/recovery-key.ts";
// The compliance archive key split M-of-N among officers (issue 11).
export { splitSecret, combineSecretShares, parseSecretShare, type SecretShareInfo } from "./history/shamir.ts";
// verifyDeviceApproval and its types come with ./public.ts (the server checks approvals too).
export { generateUserIdentity, signDeviceApproval, type UserIdentityKeyPair } from "./history/device-approval.ts";
export {
  generateApprovalKeyPair,
  approvalCommitment,
  checkApprovalCommitment,
  approvalCode,
  sealToDevice,
  openFromDevice,
  type HandoffContext,
} from "./history/device-handoff.ts";
// Media keys for calls (issue 14, ADR 0010): SFrame base keys from the MLS exporter per epoch.
// The SFrame engine itself is `@parley/crypto/sframe` (no MLS inside, for the media worker).
export { callKeys, CallKeyWatch, type CallKeys, type CallKeyListener } from "./sframe/call-keys.ts";
