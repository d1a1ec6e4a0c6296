/** Kysely table types. Timestamps are Unix epoch milliseconds; JSON is stored as text. */
import type { Generated } from "kysely";
import type * as Identity from "./identity-tables.ts";
import type * as Compliance from "./compliance-tables.ts";
import type * as Notifications from "./notification-tables.ts";
import type * as Bots from "./bot-tables.ts";
import type * as Integrations from "./integration-tables.ts";
import type * as Inbox from "./inbox-tables.ts";
import type * as Personal from "./personal-tables.ts";
import type * as Calls from "./call-tables.ts";
import type * as OAuth from "./oauth-tables.ts";
import type { MlsGroupsTable, MlsLeavesTable, MlsWelcomesTable, MlsPendingRemovalsTable, DeviceBindingsTable, KeyPackagesTable } from "./mls-tables.ts";
export type { MlsGroupsTable, MlsLeavesTable, MlsWelcomesTable, MlsPendingRemovalsTable, DeviceBindingsTable, KeyPackagesTable } from "./mls-tables.ts";
export type * from "./identity-tables.ts";

export interface OrgsTable {
  id: string;
  slug: string;
  name: string;
  settings: string;
  created_at: number;
  /** Set while the server's operator has suspended the org. */
  suspended_at: number | null;
  suspended_reason: string | null;
  /** Bumped by every change to the org's policies, custom roles or channel labels (migration 0024). */
  access_version?: number;
}
export interface UsersTable {
  id: string;
  org_id: string;
  username: string;
  display_name: string;
  password_hash: string;
  role: "owner" | "admin" | "member" | "guest";
  deactivated_at: number | null;
  created_at: number;
  /** Last per-user stream seq (gap-free counter, bumped in the writing transaction). */
  stream_seq: number;
  /** Lowercased; unique in the org. */
  email: string | null;
  status_text: string | null;
  /** The status's emoji (issue 13), and when the status ends (ms; null: never). */
  status_emoji: string | null;
  status_expires_at: number | null;
  /** Job title and IANA time zone (issue 13). */
  title: string | null;
  time_zone: string | null;
  /** Version of the profile picture in user_avatars, or null. */
  avatar_version: string | null;
  password_changed_at: number | null;
  /** "human", or "service" for a service account. */
  kind: "human" | "service";
}
export interface DevicesTable {
  id: string;
  org_id: string;
  user_id: string;
  name: string;
  created_at: number;
  last_seen_at: number | null;
  revoked_at: number | null;
}
/** A session is one refresh-token family on one device. */
export interface SessionsTable {
  id: string;
  org_id: string;
  user_id: string;
  device_id: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  /** "mfa_enrollment": the session may only enrol an authenticator. */
  restriction: "mfa_enrollment" | null;
  /** The API key the session was opened with, if any. */
  api_key_id: string | null;
  /** JSON array of the scopes an API-key session is limited to (null: not limited). */
  scopes: string | null;
  /** The SSO provider that signed the session in (migration 0020), or null. */
  sso_provider_id?: string | null;
  /** The IdP's session id (`sid`) of that sign-in, which back-channel logout names, or null (SAML: the SessionIndex). */
  sso_sid?: string | null;
  /** A SAML sign-in's NameID and its format, which single logout names (migration 0023). */
  sso_name_id?: string | null;
  sso_name_id_format?: string | null;
  /** 1 when the session was opened with a second factor (migration 0024; Cedar's principal.mfa). */
  mfa?: number;
}
export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}
export interface InvitesTable {
  id: string;
  org_id: string;
  token_hash: string;
  role: "admin" | "member" | "guest";
  max_uses: number;
  uses: number;
  expires_at: number;
  revoked_at: number | null;
  created_by: string;
  created_at: number;
  /** The address the link was emailed to. */
  email: string | null;
}
export interface ChannelsTable {
  id: string;
  org_id: string;
  kind: "public" | "private" | "dm" | "group_dm";
  name: string;
  topic: string;
  archived_at: number | null;
  created_by: string;
  created_at: number;
  /** Highest event seq; bumped in the writing transaction so seqs are gap-free. */
  last_seq: number;
  epoch: number;
  /** The channel's MLS group generation (migration 0006): 0, or n after the n-th encryption reset. */
  mls_generation: number;
  /** When the channel's encryption was last reset (ms), or null. */
  mls_reset_at: number | null;
  /** For DMs: sorted member ids joined by ",", unique per org; null otherwise. */
  dm_key: string | null;
  /** Who reads the channel's past (migration 0011, ADR 0007). */
  history: "shared" | "joined" | "device-only";
  /** JSON array of the channel's labels (migration 0024), e.g. ["confidential"]. */
  labels?: string;
  /** Events below this seq are gone for members (retention, migration 0026); clients purge their copies. */
  retention_floor?: number;
}
export interface ChannelMembersTable {
  channel_id: string;
  user_id: string;
  org_id: string;
  role: "admin" | "moderator" | "member" | "reader";
  joined_at: number;
  read_seq: number;
}
/** A channel role that outlives the membership (migration 0025): today only "reader"; modules/channels/restrictions.ts. */
export interface ChannelRestrictionsTable {
  channel_id: string;
  user_id: string;
  org_id: string;
  role: "reader";
  /** Who made the user a reader; null: recorded by migration 0025 from an existing reader. */
  set_by: string | null;
  set_at: number;
}
/** A pinned message (migration 0032): a reference, never content. */
export interface ChannelPinsTable {
  channel_id: string;
  seq: number;
  org_id: string;
  pinned_by: string;
  pinned_at: number;
}
export interface EventsTable {
  channel_id: string;
  seq: number;
  id: string;
  client_id: string;
  sender_id: string;
  sender_device_id: string;
  kind: "message" | "reaction" | "edit" | "delete" | "commit" | "proposal" | "reset" | "keys";
  epoch: number;
  content: Uint8Array;
  /** The channel's group generation the event belongs to (migration 0006, default 0). */
  generation?: number;
  thread_root: number | null;
  target: number | null;
  mentions: string;
  created_at: number;
  /** JSON array of attached file ids (migration 0004; the column defaults to "[]"). */
  files?: string;
  /** The event's archive copy (migration 0012, ADR 0007), or null: framing-checked bytes, sealed under a history key the server never has. */
  archive?: Uint8Array | null;
}
export interface MentionsTable {
  channel_id: string;
  seq: number;
  user_id: string;
  /** The event's time (migration 0034): orders a user's mentions across channels. */
  created_at: Generated<number>;
}
export interface UserStreamTable {
  user_id: string;
  seq: number;
  kind: string;
  channel_id: string | null;
  data: string;
  created_at: number;
}
export interface ServerKeysTable {
  id: string;
  purpose: string;
  public_jwk: string;
  private_jwk: string;
  created_at: number;
  retired_at: number | null;
  /** A rotated directory key: JSON `{ by, signature }`, the replaced key's endorsement of this one (migration 0031). */
  endorsement: string | null;
}
/** A data key of platform/kms: one active per org (scope = org id) plus the server's (scope "server"), wrapped by a KEK. */
export interface KmsDataKeysTable {
  id: string;
  scope: string;
  /** The KEK that wraps it: a key-file key's hash id, or `p11:` and the HSM object's CKA_ID. */
  kek_id: string;
  /** base64 AES-256-GCM of the key under the KEK, associated data "parley-kms-dek/2|id|scope". */
  wrapped_key: string;
  created_at: number;
  rewrapped_at: number | null;
  retired_at: number | null;
}
/** An attachment upload (ciphertext in platform/blobs under the same id). */
export interface FilesTable {
  id: string;
  org_id: string;
  channel_id: string;
  uploader_id: string;
  size: number;
  uploaded: number;
  created_at: number;
  completed_at: number | null;
  event_seq: number | null;
  deleted_at: number | null;
}
/** The states of a durable job (platform/jobs). */
export type JobState = "queued" | "running" | "done" | "dead";
/** A durable job (migration 0007): payload is JSON text; times are ms. */
export interface JobsTable {
  id: string;
  name: string;
  payload: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  dedupe_key: string | null;
}
/** A bus message written by a committed command, not yet published by the relay (migration 0009). */
export interface BusOutboxTable {
  id: Generated<number>;
  topic: string;
  payload: string;
  created_at: number;
}
export interface MetaTable {
  key: string;
  value: string;
}
/** One audit entry (migration 0008; append-only, hash-chained per org: docs/audit.md). */
export interface AuditLogTable {
  org_id: string;
  seq: number;
  at: number;
  actor_kind: string;
  actor_id: string | null;
  actor_device_id: string | null;
  action: string;
  target_kind: string | null;
  target_id: string | null;
  result: string;
  /** Canonical JSON. */
  details: string;
  /** Subject whose PII key sealed `pii`, and the sealed bytes (iv | tag | ciphertext); null when there is none. */
  pii_subject: string | null;
  pii: Uint8Array | null;
  prev_hash: string;
  hash: string;
}
/** Each org's chain head: last seq and hash, last checkpoint. */
export interface AuditHeadsTable {
  org_id: string;
  seq: number;
  hash: string;
  checkpoint_seq: number;
  checkpoint_at: number;
}
/** A signed checkpoint of an org's chain (append-only). */
export interface AuditCheckpointsTable {
  org_id: string;
  seq: number;
  head_hash: string;
  at: number;
  key_id: string;
  signature: string;
}
/** A per-subject audit PII key, sealed by the KMS; deleted to erase the subject's PII. */
export interface AuditPiiKeysTable {
  id: string;
  org_id: string;
  subject: string;
  sealed_key: string;
  created_at: number;
}
/** How far a checkpoint sink has been written, per org. */
export interface AuditSinkCursorsTable {
  sink: string;
  org_id: string;
  seq: number;
}
/** A user's key locker (migration 0013, ADR 0007): public keys and the recovery blob; no private key. */
export interface UserLockersTable {
  user_id: string;
  org_id: string;
  /** X25519 locker public key (32 bytes). */
  public_key: Uint8Array;
  /** Ed25519 user identity public key (32 bytes). */
  identity_key: Uint8Array;
  /** The locker and identity private keys under the user's recovery key (AES-256-GCM). */
  recovery_blob: Uint8Array;
  created_at: number;
  updated_at: number;
}
/** A sealed locker entry (migration 0013): history keys HPKE-sealed to the owner's locker key, with their batch's metadata. */
export interface LockerEntriesTable {
  id: Generated<number>;
  org_id: string;
  user_id: string;
  /** The owner's device that appended it. */
  device_id: string;
  /** The batch's one channel, or null for a batch of several. */
  channel_id: string | null;
  generation: number | null;
  from_epoch: number;
  to_epoch: number;
  sealed: Uint8Array;
  created_at: number;
}
/** A device's approval (migration 0014, ADR 0007): the user identity key's signature over the device and its MLS signature key. */
export interface DeviceApprovalsTable {
  device_id: string;
  org_id: string;
  user_id: string;
  /** Ed25519 signature (64 bytes), checked against user_lockers.identity_key before it was stored. */
  signature: Uint8Array;
  /** The device that approved it; null when the device approved itself. */
  approved_by: string | null;
  created_at: number;
}
/** States stored for an approval request ("expired" is derived from expires_at, never stored). */
export type StoredApprovalState = "pending" | "accepted" | "revealed" | "approved" | "declined";
/** A device approval request (migration 0014): the hand-off's public keys and sealed bytes, relayed by the server. */
export interface ApprovalRequestsTable {
  id: string;
  org_id: string;
  user_id: string;
  /** The device asking to be approved. */
  device_id: string;
  /** SHA-256 commitment to the asking device's ephemeral X25519 key. */
  commitment: Uint8Array;
  approver_device_id: string | null;
  /** The approving device's ephemeral X25519 public key. */
  approver_key: Uint8Array | null;
  /** The asking device's ephemeral X25519 public key, once revealed. */
  device_key: Uint8Array | null;
  /** The user's private keys HPKE-sealed to the asking device, once approved. */
  sealed: Uint8Array | null;
  state: StoredApprovalState;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface Database {
  org_policies: Identity.OrgPoliciesTable;
  org_roles: Identity.OrgRolesTable;
  org_role_members: Identity.OrgRoleMembersTable;
  orgs: OrgsTable;
  users: UsersTable;
  devices: DevicesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  invites: InvitesTable;
  channels: ChannelsTable;
  channel_members: ChannelMembersTable;
  channel_restrictions: ChannelRestrictionsTable;
  channel_pins: ChannelPinsTable;
  events: EventsTable;
  mentions: MentionsTable;
  threads: Inbox.ThreadsTable;
  thread_follows: Inbox.ThreadFollowsTable;
  personal_items: Personal.PersonalItemsTable;
  personal_heads: Personal.PersonalHeadsTable;
  reminders: Personal.RemindersTable;
  custom_emoji: Personal.CustomEmojiTable;
  calls: Calls.CallsTable;
  call_participants: Calls.CallParticipantsTable;
  call_rings: Calls.CallRingsTable;
  user_stream: UserStreamTable;
  server_keys: ServerKeysTable;
  kms_data_keys: KmsDataKeysTable;
  meta: MetaTable;
  device_bindings: DeviceBindingsTable;
  key_packages: KeyPackagesTable;
  mls_groups: MlsGroupsTable;
  mls_leaves: MlsLeavesTable;
  mls_welcomes: MlsWelcomesTable;
  mls_pending_removals: MlsPendingRemovalsTable;
  files: FilesTable;
  jobs: JobsTable;
  bus_outbox: BusOutboxTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_pii_keys: AuditPiiKeysTable;
  audit_sink_cursors: AuditSinkCursorsTable;
  user_lockers: UserLockersTable;
  locker_entries: LockerEntriesTable;
  device_approvals: DeviceApprovalsTable;
  approval_requests: ApprovalRequestsTable;
  account_tokens: Identity.AccountTokensTable;
  user_avatars: Identity.UserAvatarsTable;
  user_mfa: Identity.UserMfaTable;
  mfa_recovery_codes: Identity.MfaRecoveryCodesTable;
  mfa_challenges: Identity.MfaChallengesTable;
  passkeys: Identity.PasskeysTable;
  webauthn_challenges: Identity.WebauthnChallengesTable;
  api_keys: Identity.ApiKeysTable;
  operator_tokens: Identity.OperatorTokensTable;
  ldap_configs: Identity.LdapConfigsTable;
  ldap_accounts: Identity.LdapAccountsTable;
  ldap_channel_grants: Identity.LdapChannelGrantsTable;
  sso_providers: Identity.SsoProvidersTable;
  sso_identities: Identity.SsoIdentitiesTable;
  sso_states: Identity.SsoStatesTable;
  sso_codes: Identity.SsoCodesTable;
  sso_logout_tokens: Identity.SsoLogoutTokensTable;
  sso_saml_replay: Identity.SsoSamlReplayTable;
  sso_channel_grants: Identity.SsoChannelGrantsTable;
  scim_tokens: Identity.ScimTokensTable;
  scim_users: Identity.ScimUsersTable;
  scim_groups: Identity.ScimGroupsTable;
  scim_group_members: Identity.ScimGroupMembersTable;
  scim_group_channels: Identity.ScimGroupChannelsTable;
  scim_channel_grants: Identity.ScimChannelGrantsTable;
  retention_policies: Compliance.RetentionPoliciesTable;
  legal_holds: Compliance.LegalHoldsTable;
  held_events: Compliance.HeldEventsTable;
  held_files: Compliance.HeldFilesTable;
  retention_status: Compliance.RetentionStatusTable;
  audit_prune_floors: Compliance.AuditPruneFloorsTable;
  archive_policies: Compliance.ArchivePoliciesTable;
  archive_key_entries: Compliance.ArchiveKeyEntriesTable;
  archive_exports: Compliance.ArchiveExportsTable;
  gdpr_requests: Compliance.GdprRequestsTable;
  notification_settings: Notifications.NotificationSettingsTable;
  channel_notification_settings: Notifications.ChannelNotificationSettingsTable;
  push_subscriptions: Notifications.PushSubscriptionsTable;
  bot_commands: Bots.BotCommandsTable;
  integrations: Integrations.IntegrationsTable;
  integration_dead_letters: Integrations.IntegrationDeadLettersTable;
  oauth_apps: OAuth.OAuthAppsTable;
  oauth_grants: OAuth.OAuthGrantsTable;
  oauth_store: OAuth.OAuthStoreTable;
}
