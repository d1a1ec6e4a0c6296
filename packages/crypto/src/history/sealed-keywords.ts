// A user's notification keywords, sealed to their key locker (issue 13): a device seals the list
// with HPKE to the locker public key, the server stores the opaque result in the user's
// notification settings, and every device that holds the locker private key opens it. The
// keywords reveal interests, so the server never sees them in the clear. Owner-bound (org and
// user in the HPKE info), so a sealed list cannot be moved to another user.
import { concat, lengthPrefixedAll, utf8 } from "../bytes.ts";
import { E2eeError } from "../errors.ts";
import { hpkeOpen, hpkeRecipient, hpkeSeal } from "./hpke.ts";
import type { LockerOwner } from "./locker.ts";

const INFO_LABEL = utf8("parley keywords v1");
const AAD = utf8("parley keywords");
/** Most keywords, and longest keyword (characters), a sealed list holds. */
export const KEYWORD_LIMITS = { count: 50, length: 64 } as const;

const infoOf = (owner: LockerOwner) => concat(INFO_LABEL, lengthPrefixedAll(utf8(owner.orgId), utf8(owner.userId)));

/** Seal `keywords` to the user's locker public key. */
export async function sealKeywords(lockerPublicKey: Uint8Array, owner: LockerOwner, keywords: readonly string[]): Promise<Uint8Array> {
  if (keywords.length > KEYWORD_LIMITS.count || keywords.some((k) => k.length > KEYWORD_LIMITS.length))
    throw new E2eeError("bad_input", `at most ${KEYWORD_LIMITS.count} keywords of at most ${KEYWORD_LIMITS.length} characters`);
  return hpkeSeal(lockerPublicKey, infoOf(owner), AAD, utf8(JSON.stringify(keywords)));
}

/** Open a sealed keyword list with the locker private key; undefined when it is not this user's or was altered. */
export async function openKeywords(lockerPrivateKey: Uint8Array, owner: LockerOwner, sealed: Uint8Array): Promise<string[] | undefined> {
  const plain = await hpkeOpen(await hpkeRecipient(lockerPrivateKey), infoOf(owner), AAD, sealed);
  if (!plain) return undefined;
  const list: unknown = JSON.parse(new TextDecoder().decode(plain));
  return Array.isArray(list) ? list.filter((k): k is string => typeof k === "string") : undefined;
}
