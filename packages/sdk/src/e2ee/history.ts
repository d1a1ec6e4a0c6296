/**
 * The device's readable history. MLS deletes each message key after use
 * (forward secrecy), so a device can decrypt a message exactly once: what it
 * decrypted — and the plaintext of what it sent, which MLS never lets the
 * sender decrypt — is kept here so history survives restarts.
 *
 * Everything is sealed before it reaches the {@link LocalStore}: AES-256-GCM
 * (WebCrypto, or the same on node:crypto: seal.ts) under a 32-byte history key kept in the
 * device's E2EE {@link KeyStore} (encrypted at rest on Node by
 * `openDeviceKeyStore`). The AAD binds each record to its place (channel and
 * seq, or the send's clientId), so records cannot be swapped between events.
 * The store keeps only ciphertext; its bound (`maxDecryptedPerChannel`)
 * limits how far back a device can read.
 */
import type { KeyStore } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { base64ToBytes, bytesToBase64, type DecodedContent, type MessageContent } from "../codec.ts";
import type { LocalStore, SealedContent } from "../store.ts";
import { aesGcmOpen, aesGcmSeal } from "./seal.ts";

const KEY_NAME = "sdk/history-key";
const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A device-local AES-256-GCM key kept under `name` in the key store (made on first use): what
 * seals the device's own records at rest (its decrypted history, its search index).
 */
export async function deviceSealingKey(keyStore: KeyStore, name: string): Promise<CryptoKey> {
  let raw = await keyStore.get(name);
  if (!raw || raw.length !== 32) {
    raw = crypto.getRandomValues(new Uint8Array(32));
    await keyStore.put(name, raw);
  }
  const key = await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]);
  raw.fill(0);
  return key;
}

/** Sealed decrypted-content cache of one device over its local store. */
export class DecryptedHistory {
  readonly #store: LocalStore;
  readonly #keyStore: KeyStore;
  #key: Promise<CryptoKey> | undefined;

  constructor(store: LocalStore, keyStore: KeyStore) {
    this.#store = store;
    this.#keyStore = keyStore;
  }

  /** Remember the decoded content of a channel event. */
  async put(e: Event, content: DecodedContent): Promise<void> {
    await this.#store.putDecrypted(e.channelId, [await this.#seal(e.seq, e.id, `ev:${e.channelId}:${e.seq}:${e.id}`, content)]);
  }

  /** The content decoded earlier for this event, if kept (and intact). */
  async get(e: Event): Promise<DecodedContent | undefined> {
    const r = await this.#store.getDecrypted(e.channelId, e.seq);
    if (!r || r.id !== e.id) return undefined;
    return this.#open(r, `ev:${e.channelId}:${e.seq}:${e.id}`);
  }

  /** Whether this event's decoded content is kept (checked without opening it). */
  async has(e: Event): Promise<boolean> {
    const r = await this.#store.getDecrypted(e.channelId, e.seq);
    return !!r && r.id === e.id;
  }

  /** Keep the plaintext of an own send until its echo is processed (survives a restart in between). */
  async putSent(channelId: string, clientId: string, content: MessageContent): Promise<void> {
    await this.#store.putSent(channelId, await this.#seal(0, clientId, `sent:${channelId}:${clientId}`, content));
  }

  /** The plaintext of an own send, if kept. */
  async getSent(channelId: string, clientId: string): Promise<DecodedContent | undefined> {
    const r = await this.#store.getSent(clientId);
    if (!r || r.channelId !== channelId) return undefined;
    return this.#open(r, `sent:${channelId}:${clientId}`);
  }

  /** Forget an own send's plaintext once its echo is stored. */
  async removeSent(clientId: string): Promise<void> {
    await this.#store.removeSent(clientId);
  }

  #cryptoKey(): Promise<CryptoKey> {
    this.#key ??= deviceSealingKey(this.#keyStore, KEY_NAME);
    this.#key.catch(() => {
      this.#key = undefined;
    });
    return this.#key;
  }

  async #seal(seq: number, id: string, aad: string, content: MessageContent): Promise<SealedContent> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await aesGcmSeal(await this.#cryptoKey(), iv, enc.encode(aad), enc.encode(JSON.stringify(content)));
    const out = new Uint8Array(12 + ct.length);
    out.set(iv);
    out.set(ct, 12);
    return { seq, id, data: bytesToBase64(out) };
  }

  // A record that fails to open (key store replaced, file tampered with) is treated as absent.
  async #open(r: SealedContent, aad: string): Promise<DecodedContent | undefined> {
    try {
      const bytes = base64ToBytes(r.data);
      const pt = await aesGcmOpen(await this.#cryptoKey(), bytes.subarray(0, 12), enc.encode(aad), bytes.subarray(12));
      const v: unknown = JSON.parse(dec.decode(pt));
      return v && typeof v === "object" && !Array.isArray(v) ? (v as DecodedContent) : undefined;
    } catch {
      return undefined;
    }
  }
}
