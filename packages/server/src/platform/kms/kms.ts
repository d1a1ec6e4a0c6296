/**
 * The KMS seam: envelope encryption of server secrets, and the server's own
 * signing keys built on it. One interface, implementations: a master key file
 * (key-file.ts, the default) and, later, a PKCS#11 HSM (not built yet: the
 * HSM would wrap the data keys instead of the key file; the stored format
 * already names which master key sealed each record).
 */

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

export interface Kms {
  /** Which implementation holds the master key. */
  readonly kind: "key-file";
  /**
   * Envelope-encrypts `plaintext`: a fresh data key encrypts it (AES-256-GCM), the
   * master key wraps the data key. `context` is bound as associated data, so a
   * sealed value cannot be moved to another row or purpose.
   */
  seal(plaintext: Uint8Array, context: string): Promise<string>;
  /** Reverses seal(); throws KmsError if the value was sealed elsewhere, altered, or under another master key. */
  open(sealed: string, context: string): Promise<Uint8Array>;
  /** Whether `value` looks like the output of seal() (for migrating plaintext rows). */
  isSealed(value: string): boolean;
  /** The active signing key of a purpose, created (and stored sealed in server_keys) on first use. */
  key(purpose: SigningKeyPurpose): Promise<ServerSigningKey>;
}

/** A KMS failure: wrong or missing master key, tampered record. Fails boot loudly. */
export class KmsError extends Error {
  override name = "KmsError";
}
