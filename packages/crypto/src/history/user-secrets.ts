// The two private keys a user's devices share (ADR 0007): the locker private key (reads
// the key locker) and the user identity private key (approves devices). They travel
// together, in the recovery blob and in the hand-off to a newly approved device:
//   version (1) ‖ lockerPrivateKey (32) ‖ identityPrivateKey (32)
import { concat } from "../bytes.ts";
import { E2eeError } from "../errors.ts";

/** The user's shared private keys. */
export interface UserSecrets {
  /** X25519 locker private key (32 bytes). */
  lockerPrivateKey: Uint8Array;
  /** Ed25519 user identity private key (32-byte seed). */
  identityPrivateKey: Uint8Array;
}

const VERSION = 1;
const KEY = 32;

/** Internal: the encoding of {@link UserSecrets}. */
export function encodeUserSecrets(s: UserSecrets): Uint8Array {
  if (s.lockerPrivateKey.length !== KEY || s.identityPrivateKey.length !== KEY) throw new E2eeError("bad_input", "user private keys are 32 bytes each");
  return concat(Uint8Array.of(VERSION), s.lockerPrivateKey, s.identityPrivateKey);
}

/** Internal: decodes {@link encodeUserSecrets}; undefined if malformed. */
export function decodeUserSecrets(b: Uint8Array): UserSecrets | undefined {
  if (b.length !== 1 + 2 * KEY || b[0] !== VERSION) return undefined;
  return { lockerPrivateKey: b.slice(1, 1 + KEY), identityPrivateKey: b.slice(1 + KEY) };
}
