/**
 * Key-encryption keys (KEKs): what wraps the data keys. A KekRing is one place that
 * holds them (a key file, an HSM token): the newest KEK wraps, the older ones it still
 * holds only unwrap, so `parley keys rotate` can add a KEK, re-wrap every data key under
 * it, and retire the old one once nothing references it, while servers keep running.
 */
import crypto from "node:crypto";
import { KmsError } from "./errors.ts";

/** One KEK. `id` is stored with every data key it wraps. */
export interface Kek {
  id: string;
  /** AES-256-GCM of `dek` with `aad` as associated data; text (base64). */
  wrap(dek: Uint8Array, aad: string): Promise<string>;
  /** Reverses wrap(); throws KmsError if `wrapped` does not authenticate. */
  unwrap(wrapped: string, aad: string): Promise<Buffer>;
}

/** A KEK as `parley keys status` lists it. */
export interface KekInfo {
  id: string;
  /** Whether it wraps new data keys (the newest of its ring). */
  active: boolean;
  /** Where it lives: `key-file` or `pkcs11`. */
  source: "key-file" | "pkcs11";
}

export interface KekRing {
  readonly kind: "key-file" | "pkcs11";
  /** Where the KEKs live, for messages: `key file /srv/master.key`, `PKCS#11 token "parley" (module …)`. */
  readonly where: string;
  /** The KEK that wraps new data keys (re-read from the file or token, so a rotation elsewhere is seen). */
  active(): Promise<Kek>;
  /** A KEK by id, or undefined when this ring does not hold it (re-reads once on a miss). */
  get(id: string): Promise<Kek | undefined>;
  /** Every KEK the ring holds, newest first. */
  list(): Promise<KekInfo[]>;
  /** Makes a new KEK, which becomes the active one. */
  create(): Promise<Kek>;
  /** Destroys a KEK that is not the active one (the caller checked nothing references it). */
  destroy(id: string): Promise<void>;
  close(): void;
}

/** AES-256-GCM under a raw key: base64 of iv (12) | tag (16) | ciphertext. */
export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64");
}

/** Reverses gcmSeal(). */
export function gcmOpen(key: Uint8Array, sealed: string, aad: string): Buffer {
  const buf = Buffer.from(sealed, "base64");
  if (buf.length < 28) throw new KmsError("sealed value is truncated");
  const d = crypto.createDecipheriv("aes-256-gcm", key, buf.subarray(0, 12));
  d.setAAD(Buffer.from(aad, "utf8"));
  d.setAuthTag(buf.subarray(12, 28));
  try {
    return Buffer.concat([d.update(buf.subarray(28)), d.final()]);
  } catch {
    throw new KmsError("sealed value does not authenticate (altered, or moved from another record)");
  }
}

/**
 * A ring that wraps with `primary` and also unwraps with `legacy` (the key file an
 * install used before it moved to an HSM), so values sealed before the move still open
 * until `parley keys rotate` has re-wrapped their data keys.
 */
export function withLegacy(primary: KekRing, legacy: KekRing | undefined): KekRing {
  if (!legacy) return primary;
  return {
    kind: primary.kind,
    where: `${primary.where} (and ${legacy.where} for values sealed before)`,
    active: () => primary.active(),
    async get(id) {
      return (await primary.get(id)) ?? (await legacy.get(id));
    },
    async list() {
      return [...(await primary.list()), ...(await legacy.list()).map((k) => ({ ...k, active: false }))];
    },
    create: () => primary.create(),
    async destroy(id) {
      if (await primary.get(id)) return primary.destroy(id);
      throw new KmsError(`KEK ${id} is in ${legacy.where}: delete that file yourself once \`parley keys status\` shows nothing references it`);
    },
    close() {
      primary.close();
      legacy.close();
    },
  };
}
