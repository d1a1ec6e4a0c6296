/** The shapes of audit entries (docs/audit.md lists every field). */

/** Who acted. Never a fake user: a bot, a token, an IdP, the system act as themselves. */
export const ACTOR_KINDS = ["device", "bot", "service_token", "idp", "scim", "mqtt_device", "system"] as const;
export type AuditActorKind = (typeof ACTOR_KINDS)[number];

export const AUDIT_RESULTS = ["success", "failure", "denied"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** JSON values allowed in `details`. */
export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };

/** Personal data of an entry: sealed under the subject's PII key, erasable by deleting that key. */
export interface AuditPii {
  /** Whose data this is (a user id); "-" when no user is known (e.g. a failed login for an unknown name). */
  subject: string;
  /** Names, client address, user agent, ... (strings only). */
  data: Record<string, string>;
}

/** What a caller records; seq, time and hashes are added by appendAudit. */
export interface AuditEntryInput {
  orgId: string;
  actor: { kind: AuditActorKind; id?: string | null; deviceId?: string | null };
  /** Dotted, past tense: `auth.login.succeeded`, `org.invite.created`. */
  action: string;
  target?: { kind: string; id?: string | null } | null;
  result: AuditResult;
  /** Facts about the change: ids, roles, counts. Never message content, never secrets. */
  details?: Record<string, AuditJson>;
  pii?: AuditPii | null;
}

/** The hashed fields of an entry as stored (the chain is over exactly these). */
export interface AuditRecord {
  orgId: string;
  seq: number;
  at: number;
  actorKind: string;
  actorId: string | null;
  actorDeviceId: string | null;
  action: string;
  targetKind: string | null;
  targetId: string | null;
  result: string;
  /** Canonical JSON text. */
  details: string;
  piiSubject: string | null;
  /** Sealed PII bytes (iv | tag | ciphertext), or null. */
  pii: Uint8Array | null;
  prevHash: string;
  hash: string;
}

/** Error codes of the audit module (stable; the CLI prints them). */
export type AuditErrorCode = "audit_secret_in_details" | "audit_bad_entry";

/** A refused audit entry (a programming error in the caller, not a user error). */
export class AuditError extends Error {
  override name = "AuditError";
  readonly code: AuditErrorCode;
  constructor(code: AuditErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
