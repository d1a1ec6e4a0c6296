/**
 * Framing of an archive copy (ADR 0007): the server checks it without any key, so it
 * lives here, beside the other wire formats, and needs no crypto library:
 * `version (1) ‖ epoch (u64) ‖ generation (u32) ‖ nonce (12) ‖ ciphertext ‖ signature (64)`.
 * The ciphertext is AES-256-GCM (at least its 16-byte tag); the signature is Ed25519, the
 * signature scheme of every Parley cipher suite, so its size is fixed.
 */
import { DEFAULT_LIMITS } from "./limits.ts";

/** The only archive copy version so far. */
export const ARCHIVE_COPY_VERSION = 1;
/** Bytes before the ciphertext: version, epoch, generation, nonce. */
export const ARCHIVE_COPY_HEADER_BYTES = 1 + 8 + 4 + 12;
/** Size of the trailing signature (Ed25519). */
export const ARCHIVE_COPY_SIGNATURE_BYTES = 64;
/** Smallest possible archive copy: header, an empty payload's AES-GCM tag, signature. */
export const ARCHIVE_COPY_MIN_BYTES = ARCHIVE_COPY_HEADER_BYTES + 16 + ARCHIVE_COPY_SIGNATURE_BYTES;

/** The parts of an archive copy, as framed (nothing here is checked cryptographically). */
export interface ArchiveFraming {
  /** Framing version ({@link ARCHIVE_COPY_VERSION}). */
  version: number;
  /** MLS epoch of the history key that seals it. */
  epoch: bigint;
  /** Channel encryption generation (ADR 0006). */
  generation: number;
  /** AES-GCM nonce (12 bytes). */
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext with its tag. */
  ciphertext: Uint8Array;
  /** The sending device's signature (64 bytes). */
  signature: Uint8Array;
}

/** Why framing was refused: stable strings the server maps to its error codes and `@parley/crypto` to E2eeError codes. */
export type ArchiveFramingProblem = "truncated" | "too_large" | "bad_version" | "wrong_epoch" | "wrong_generation";

/** Outcome of {@link parseArchiveFraming}. */
export type ArchiveFramingResult = { ok: true; framing: ArchiveFraming } | { ok: false; problem: ArchiveFramingProblem };

/**
 * Splits an archive copy into its framed parts and checks version and sizes, plus the
 * event's epoch and generation when `expected` gives them. Never throws.
 */
export function parseArchiveFraming(bytes: Uint8Array, expected: { epoch?: bigint; generation?: number; maxBytes?: number } = {}): ArchiveFramingResult {
  const maxBytes = expected.maxBytes ?? DEFAULT_LIMITS.messageBytes;
  if (bytes.length > maxBytes) return { ok: false, problem: "too_large" };
  if (bytes.length < 1) return { ok: false, problem: "truncated" };
  if (bytes[0] !== ARCHIVE_COPY_VERSION) return { ok: false, problem: "bad_version" };
  if (bytes.length < ARCHIVE_COPY_MIN_BYTES) return { ok: false, problem: "truncated" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const epoch = view.getBigUint64(1);
  const generation = view.getUint32(9);
  if (expected.epoch !== undefined && epoch !== expected.epoch) return { ok: false, problem: "wrong_epoch" };
  if (expected.generation !== undefined && generation !== expected.generation) return { ok: false, problem: "wrong_generation" };
  const sigStart = bytes.length - ARCHIVE_COPY_SIGNATURE_BYTES;
  return {
    ok: true,
    framing: {
      version: bytes[0],
      epoch,
      generation,
      nonce: bytes.slice(13, ARCHIVE_COPY_HEADER_BYTES),
      ciphertext: bytes.slice(ARCHIVE_COPY_HEADER_BYTES, sigStart),
      signature: bytes.slice(sigStart),
    },
  };
}
