/**
 * Typed errors of `@parley/crypto`. Callers branch on `code` (stable strings), never on
 * message text or on the underlying MLS library's error classes, which stay hidden.
 */

/** Stable codes carried by {@link E2eeError}. */
export type E2eeErrorCode =
  /** The message belongs to an epoch this member has not reached yet: queue it and retry after the next commit. */
  | "future_epoch"
  /** The message belongs to an epoch whose keys were already deleted (or a handshake from a past epoch). */
  | "old_epoch"
  /** The same (sender, generation) was already decrypted: a replay or duplicate delivery. */
  | "replay"
  /** Authentication or decryption failed: tampered bytes, wrong group or a forged signature. */
  | "invalid_message"
  /** A leaf (added member, joiner, tree member) was refused by the caller's `authorizeLeaf`. */
  | "unauthorized_leaf"
  /** No private KeyPackage in the key store matches the Welcome. */
  | "no_matching_key_package"
  /** The operation needs a state this group is not in (removed from the group, pending commit missing…). */
  | "invalid_state"
  /**
   * A commit would mix Adds with Removes or Updates (Parley's commit rule, see commits.ts):
   * commit the pending proposals on their own first, then add.
   */
  | "mixed_commit"
  /** A group state or group was made by another MLS engine (an upgrade changed encodings): reset the channel's encryption. */
  | "engine_mismatch"
  /** An argument is malformed (ids, sizes, suite names). */
  | "bad_input"
  /**
   * A check the operation needs could not be made (the caller's `authorizeLeaf` threw,
   * e.g. a directory look-up failed on the network). Nothing changed and nothing was
   * judged: retry later. Never a sign of tampering.
   */
  | "unavailable"
  /** Attachment ciphertext failed authentication (tampered, wrong key, reordered chunks). */
  | "attachment_tampered"
  /** Attachment ciphertext ended before its final chunk. */
  | "attachment_truncated"
  /** Attachment ciphertext did not hash to the digest in its descriptor. */
  | "attachment_digest_mismatch"
  /** An archive copy ends before its framing does (ADR 0007). */
  | "archive_truncated"
  /** An archive copy's framing is wrong: unknown version, or larger than allowed. */
  | "archive_bad_framing"
  /** An archive copy names another epoch or generation than the event it came with. */
  | "archive_wrong_epoch"
  /** An archive copy's signature is not the named sender device's over these bytes and this event (org, channel, clientId). */
  | "archive_bad_signature"
  /** An archive copy failed AES-GCM authentication under the history key (tampered, or another key). */
  | "archive_tampered"
  /** A sealed locker batch did not open: another locker key, or its metadata or bytes were changed. */
  | "locker_open_failed"
  /** A sealed personal item (saved message, draft, setting) did not open: another user's keys, another kind or item key, or changed bytes. */
  | "personal_open_failed"
  /** A recovery key as typed is malformed: wrong length, a character outside Crockford base32, or a failed checksum (a typo). */
  | "recovery_key_invalid"
  /** A well-formed recovery key that does not open the recovery blob (another key, another user, or a changed blob). */
  | "recovery_key_wrong"
  /** Secrets sealed to a new device did not open: another ephemeral key, another context, or changed bytes. */
  | "handoff_open_failed"
  /** A Shamir share as typed is not a share: wrong prefix, field count, split id, threshold, index or payload. */
  | "share_malformed"
  /** A Shamir share's checksum does not match its text: a typo. */
  | "share_checksum"
  /** Shamir shares of two different splits (or of one split that disagree on its threshold or size). */
  | "share_split_mismatch"
  /** The same Shamir share index was given twice. */
  | "share_duplicate"
  /** Fewer Shamir shares than the split's threshold. */
  | "share_too_few"
  /** Shamir shares combined to a value that fails the secret's check value: one share was altered. */
  | "share_secret_mismatch";

/** Every error this package throws on purpose is an `E2eeError` with a stable {@link E2eeErrorCode}. */
export class E2eeError extends Error {
  /** Stable machine-readable code. */
  readonly code: E2eeErrorCode;

  /**
   * @param code - stable code
   * @param message - human-readable explanation (never contains key material or plaintext)
   * @param options - optional `cause` (the underlying library error)
   */
  constructor(code: E2eeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "E2eeError";
    this.code = code;
  }

  /** True when the right reaction is to wait for a commit and retry (see `future_epoch`). */
  get shouldWait(): boolean {
    return this.code === "future_epoch";
  }

  /** True when the same operation may succeed if tried again later (see `unavailable`). */
  get isTransient(): boolean {
    return this.code === "unavailable";
  }
}

/** Narrowing helper: `isE2eeError(err, "replay")`. */
export function isE2eeError(err: unknown, code?: E2eeErrorCode): err is E2eeError {
  return err instanceof E2eeError && (code === undefined || err.code === code);
}
