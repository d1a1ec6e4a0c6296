// The personal store (issue 13, ADR 0009): a user's saved messages, drafts and synced settings,
// sealed on the device under keys derived from the user's key-locker private key (every device
// of the user holds it; the server never does). Two keys come out of one HKDF:
//   - an item-key MAC: the server stores an item under HMAC(kind ‖ name), so every device names
//     the same item alike (a channel's draft, a saved message) while the server learns neither
//     the channel nor the message;
//   - an AEAD key: AES-256-GCM over the padded item, the AAD binding org, user, kind and item
//     key, so the server cannot move a sealed item to another key, kind or user.
// Items are padded to a multiple of 256 bytes so a draft's length shows only coarsely.
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concat, lengthPrefixedAll, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import type { LockerOwner } from "./locker.ts";
import { aesGcmOpen, aesGcmSeal, NONCE_BYTES, randomNonce } from "./aes-gcm.ts";

const VERSION = 1;
const PAD = 256;
const KEY_BYTES = 32;

/** The keys of a user's personal store, derived once per device session. */
export interface PersonalKeys {
  /** The opaque key (base64url, 43 characters) the server stores item `name` of `kind` under. */
  itemKey(kind: string, name: string): string;
  /** Seals an item (any bytes) for storage under `itemKey`. */
  seal(kind: string, itemKey: string, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Opens a sealed item. Errors: E2eeError `personal_open_failed` (another user, kind, key, or changed bytes). */
  open(kind: string, itemKey: string, sealed: Uint8Array): Promise<Uint8Array>;
}

function base64url(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Derives the personal-store keys of `owner` from their locker private key (32 bytes). */
export function personalKeys(lockerPrivateKey: Uint8Array, owner: LockerOwner): PersonalKeys {
  if (lockerPrivateKey.length !== KEY_BYTES) throw new E2eeError("bad_input", "a locker private key is 32 bytes");
  const who = lengthPrefixedAll(utf8(owner.orgId), utf8(owner.userId));
  const okm = hkdf(sha256, lockerPrivateKey, utf8("parley personal store v1"), who, 2 * KEY_BYTES);
  const macKey = okm.slice(0, KEY_BYTES);
  const aeadKey = okm.slice(KEY_BYTES);
  okm.fill(0);
  const aad = (kind: string, itemKey: string) => concat(utf8("parley personal item v1"), who, lengthPrefixedAll(utf8(kind), utf8(itemKey)));
  return {
    itemKey: (kind, name) => base64url(hmac(sha256, macKey, lengthPrefixedAll(utf8(kind), utf8(name)))),
    async seal(kind, itemKey, plaintext) {
      // Length-prefixed, then zero-padded to the next multiple of PAD.
      const body = new Uint8Array(Math.ceil((plaintext.length + 4) / PAD) * PAD);
      new DataView(body.buffer).setUint32(0, plaintext.length);
      body.set(plaintext, 4);
      const nonce = randomNonce();
      const ct = await aesGcmSeal(aeadKey, nonce, aad(kind, itemKey), body);
      body.fill(0);
      return concat(Uint8Array.of(VERSION), nonce, ct);
    },
    async open(kind, itemKey, sealed) {
      const body =
        sealed[0] === VERSION
          ? await aesGcmOpen(aeadKey, sealed.subarray(1, 1 + NONCE_BYTES), aad(kind, itemKey), sealed.subarray(1 + NONCE_BYTES))
          : undefined;
      if (!body) throw new E2eeError("personal_open_failed", "a personal item did not open with this user's keys");
      const n = body.length >= 4 ? new DataView(body.buffer, body.byteOffset).getUint32(0) : -1;
      if (n < 0 || n > body.length - 4) throw new E2eeError("personal_open_failed", "a personal item is malformed");
      return body.slice(4, 4 + n);
    },
  };
}
