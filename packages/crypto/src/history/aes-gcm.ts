// AES-256-GCM for the history modules: sealing on WebCrypto (Node 24 and browsers), one key per
// call; opening on the platform's fastest path (#crypto-provider); 12-byte nonces, the tag appended. Failures to authenticate come back as undefined
// so each caller throws its own E2eeError code.
import { aesGcmDecrypt } from "#crypto-provider";
import { E2eeError } from "../errors.ts";

/** AES-GCM nonce size. */
export const NONCE_BYTES = 12;

const view = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>;

function importKey(key: Uint8Array, usage: "encrypt"): Promise<CryptoKey> {
  if (key.length !== 32) throw new E2eeError("bad_input", "an AES-256-GCM key is 32 bytes");
  return crypto.subtle.importKey("raw", view(key.slice()), "AES-GCM", false, [usage]);
}

/** Internal: AES-256-GCM encryption (ciphertext ‖ tag). */
export async function aesGcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  const k = await importKey(key, "encrypt");
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: view(nonce), additionalData: view(aad) }, k, view(plaintext)));
}

/** Internal: AES-256-GCM decryption; undefined when the tag does not verify (the platform's fastest way: #crypto-provider). */
export async function aesGcmOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | undefined> {
  if (key.length !== 32) throw new E2eeError("bad_input", "an AES-256-GCM key is 32 bytes");
  if (nonce.length !== NONCE_BYTES) return undefined;
  return aesGcmDecrypt(key, nonce, aad, ciphertext);
}

/** Internal: a fresh random nonce. */
export function randomNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}
