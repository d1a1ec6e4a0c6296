/**
 * Tables of retention, legal holds, the compliance archive and GDPR requests (migrations 0026, 0028, 0030; issue 11).
 * The Database interface in tables.ts names them.
 */

/** How long an org (channel_id '') or one channel keeps events, attachments and audit entries (ms); null = forever. */
export interface RetentionPoliciesTable {
  org_id: string;
  channel_id: string;
  events_ms: number | null;
  files_ms: number | null;
  /** Org default only: audit entries, pruned down to a signed checkpoint. */
  audit_ms: number | null;
  updated_by: string | null;
  updated_at: number;
}
/** A legal hold on a user's or a channel's communications; released (never deleted). */
export interface LegalHoldsTable {
  id: string;
  org_id: string;
  matter: string;
  scope: "user" | "channel";
  target_id: string;
  note: string;
  created_by: string | null;
  created_at: number;
  released_by: string | null;
  released_at: number | null;
}
/** An event removed from the member-facing timeline but kept because a hold covers it (same columns as events). */
export interface HeldEventsTable {
  org_id: string;
  channel_id: string;
  seq: number;
  id: string;
  client_id: string;
  sender_id: string;
  sender_device_id: string;
  kind: string;
  epoch: number;
  generation: number;
  content: Uint8Array;
  archive: Uint8Array | null;
  thread_root: number | null;
  target: number | null;
  files: string;
  created_at: number;
  held_at: number;
}
/** A deleted attachment whose blob a hold keeps. */
export interface HeldFilesTable {
  file_id: string;
  org_id: string;
  held_at: number;
}
/** Each org's latest retention run. */
export interface RetentionStatusTable {
  org_id: string;
  started_at: number;
  finished_at: number | null;
  events_deleted: number;
  events_held: number;
  files_deleted: number;
  audit_deleted: number;
}
/** How far an org's audit log was pruned (entries at or below `seq` may be deleted; only moves up). */
export interface AuditPruneFloorsTable {
  org_id: string;
  seq: number;
  at: number;
}
/** A version of an org's signed compliance archive policy (migration 0030); the newest is current. */
export interface ArchivePoliciesTable {
  org_id: string;
  version: number;
  /** The policy as JSON (the protocol's ArchivePolicy), exactly as signed fields. */
  policy: string;
  /** Ed25519 signature, base64. */
  signature: string;
  /** The signer key, base64 (also in `policy`; indexed for the "same signer" check). */
  signer_key: string;
  created_by: string | null;
  created_at: number;
}
/** History keys of an archived channel sealed to the archive key by one device. */
export interface ArchiveKeyEntriesTable {
  id: string;
  org_id: string;
  channel_id: string;
  generation: number;
  from_epoch: number;
  to_epoch: number;
  sealed: Uint8Array;
  policy_version: number;
  user_id: string;
  device_id: string;
  created_at: number;
}
/** An eDiscovery export an officer recorded. */
export interface ArchiveExportsTable {
  id: string;
  org_id: string;
  by_user: string;
  created_at: number;
  /** JSON array of channel ids. */
  channel_ids: string;
  user_id: string | null;
  from_at: number | null;
  to_at: number | null;
  items: number;
  attachments: number;
  manifest_sha256: string;
  signer_fingerprint: string;
}
/** A data-subject request (migration 0028, docs/gdpr.md): an export made, an erasure asked for or done. */
export interface GdprRequestsTable {
  id: string;
  org_id: string;
  user_id: string;
  kind: "export" | "erase";
  status: "pending" | "completed" | "declined";
  /** The user who asked (the subject, or the officer acting on their own); null: the system. */
  requested_by: string | null;
  requested_at: number;
  /** The subject's message with an erasure request; cleared by the erasure. */
  note: string;
  decided_by: string | null;
  decided_at: number | null;
  /** The officer's answer (a decline's reason, an erasure's note). */
  response: string;
}
