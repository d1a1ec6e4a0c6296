/**
 * AES-256-GCM for the sealed history (history.ts): WebCrypto in browsers; on Node the
 * same operation as one synchronous node:crypto call. Node runs each WebCrypto call as
 * a thread-pool job whose round trip costs ~100 µs on a busy machine against ~15 µs
 * inline, and the history seals once per message sent or received. Same key (a
 * KeyObject of the very CryptoKey, so nothing is exported from it), same bytes
 * (ciphertext then the 16-byte tag), so either side opens what the other sealed.
 */
import type { KeyObject } from "node:crypto";

type NodeCrypto = typeof import("node:crypto");

// No import statement: bundlers for the browser must not see node:crypto.
const node = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.("node:crypto") as NodeCrypto | undefined;
const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObject(n: NodeCrypto, key: CryptoKey): KeyObject {
  let k = keyObjects.get(key);
  if (!k) keyObjects.set(key, (k = n.KeyObject.from(key)));
  return k;
}

/** AES-GCM encryption of `plaintext`: ciphertext followed by the tag. */
export async function aesGcmSeal(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  if (node) {
    const c = node.createCipheriv("aes-256-gcm", keyObject(node, key), iv);
    c.setAAD(aad);
    const head = c.update(plaintext);
    const tail = c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(head.length + tail.length + tag.length);
    out.set(head);
    out.set(tail, head.length);
    out.set(tag, head.length + tail.length);
    return out;
  }
  return new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> },
      key,
      plaintext as Uint8Array<ArrayBuffer>,
    ),
  );
}

/** Opens what {@link aesGcmSeal} made; throws if it was altered or sealed under another key, IV or AAD. */
export async function aesGcmOpen(key: CryptoKey, iv: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
  if (node) {
    if (sealed.length < 16) throw new Error("sealed record too short");
    const d = node.createDecipheriv("aes-256-gcm", keyObject(node, key), iv);
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const head = d.update(sealed.subarray(0, sealed.length - 16));
    const tail = d.final();
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  }
  return new Uint8Array(
    await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> },
      key,
      sealed as Uint8Array<ArrayBuffer>,
    ),
  );
}
