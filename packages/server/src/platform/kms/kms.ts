/**
 * The KMS seam: envelope encryption of server secrets, and the server's own
 * signing keys built on it. A key-encryption key (KEK) — in a key file
 * (key-file.ts) or an HSM reached through PKCS#11 (pkcs11.ts) — wraps data
 * keys, one per org plus one for server-wide secrets (data-keys.ts, table
 * kms_data_keys); the data keys seal the values (envelope.ts).
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/tables.ts";
import type { KekRing } from "./kek.ts";

export { KmsError } from "./errors.ts";

/** What a server signing key is for. Each purpose has its own Ed25519 key pair. */
export type SigningKeyPurpose =
  /** Signs device-directory bindings (org, user, device, MLS signature key). */
  | "directory"
  /** The server's MLS signature key as external sender (Remove proposals). Both suites sign with Ed25519. */
  | "external-sender"
  /** Signs audit-log checkpoints (modules/audit/checkpoints.ts); `parley audit verify` checks them. */
  | "audit";

/** A server Ed25519 key pair, decrypted in memory. */
export interface ServerSigningKey {
  /** Row id in server_keys. */
  id: string;
  purpose: SigningKeyPurpose;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  /**
   * Ed25519 private key (32-byte seed), for the @parley/crypto/public helpers that
   * take a raw key (signBinding, externalRemoveProposal). Never log or return it.
   */
  privateKey: Uint8Array;
  /** Ed25519 signature (64 bytes) over `data`. */
  sign(data: Uint8Array): Uint8Array;
}

/** Whose data key seals a value, and where to read it from. */
export interface SealScope {
  /** The org the secret belongs to; omitted (or null): the server-wide data key. */
  orgId?: string | null | undefined;
  /**
   * The transaction the caller is in, if any. A data key not cached yet is read (or
   * created) through it: on SQLite a read through the pool would wait for the
   * connection the transaction holds.
   */
  db?: Kysely<Database> | undefined;
}

export interface Kms {
  /** Which implementation holds the KEK. */
  readonly kind: "key-file" | "pkcs11";
  /**
   * Envelope-encrypts `plaintext` (AES-256-GCM) under the data key of `scope`'s org (or
   * the server's). `context` is bound as associated data, so a sealed value cannot be
   * moved to another row, purpose or org.
   */
  seal(plaintext: Uint8Array, context: string, scope?: SealScope): Promise<string>;
  /**
   * Reverses seal(); throws KmsError if the value was sealed for another context or org,
   * altered, its data key was shredded, or its KEK is not available. Values in the older
   * format (`kms1:`, sealed before per-org data keys) open with the KEK that sealed them.
   */
  open(sealed: string, context: string, scope?: SealScope): Promise<Uint8Array>;
  /** Whether `value` looks like the output of seal() (for migrating plaintext rows). */
  isSealed(value: string): boolean;
  /** Whether `value` is sealed in the older `kms1:` format (worth sealing again when rewritten anyway). */
  isLegacy(value: string): boolean;
  /**
   * The active signing key of a purpose, created (and stored sealed in server_keys) on first
   * use. Cached; after PARLEY_KEY_REFRESH_SECONDS the next call re-reads which key is active
   * in the background (a rotation by another process), so it never waits inside a transaction.
   */
  key(purpose: SigningKeyPurpose): Promise<ServerSigningKey>;
  /**
   * A new audit or directory key becomes the active one. The previous ones are marked retired
   * now (audit: their public halves stay in server_keys, so old checkpoints still verify) or at
   * `retireAt` (directory: they verify bindings until the re-signing is done). A new directory
   * key is endorsed by the one it replaces. The external-sender key is listed in every MLS
   * group's context: it does not rotate.
   */
  rotateSigningKey(purpose: "audit" | "directory", retireAt?: number): Promise<{ id: string; previous: string[] }>;
  /**
   * Crypto-shreds an org: deletes its data keys, so nothing sealed for it opens again
   * (anywhere: other nodes drop their cached copy within PARLEY_KEY_REFRESH_SECONDS).
   * For org deletion and erasure. Returns how many data keys were deleted.
   */
  shredOrg(orgId: string, db?: Kysely<Database>): Promise<number>;
  /** The KEKs (for `parley keys`). */
  readonly keks: KekRing;
  /** Releases the HSM session (a no-op for the key file). */
  close(): void;
}
