/**
 * What an API-key session may call (its key's scopes): `read` — GET routes, and the
 * device's own end-to-end-encryption housekeeping (its keys, KeyPackages, MLS group
 * state, key locker: without them a device cannot read); `write` —
 * every other member route; `admin` — administration (the org's settings, users, invites,
 * audit, identity providers), as far as the key owner's role allows. Minting or managing
 * API keys and credentials is never open to a key session: a key cannot make a stronger key.
 * An OAuth2 app's session (modules/oauth) has the same scopes, without the device's E2EE
 * routes and without even reading credentials.
 */
import type { RouteDef } from "@parley/protocol";
import type { DeviceActor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";

const ADMIN_TAGS: ReadonlySet<string> = new Set(["org", "invites", "audit", "users", "scim", "ldap", "sso", "policies", "compliance"]);
/** Admin routes whose reads need the admin scope too: they return personal data or archive material, and each read is audited. */
const ADMIN_READ_TAGS: ReadonlySet<string> = new Set(["audit", "compliance"]);
const DEVICE_TAGS: ReadonlySet<string> = new Set(["e2ee", "mls", "locker", "archive"]);
const CREDENTIAL_TAGS: ReadonlySet<string> = new Set(["api-keys", "passkeys", "mfa", "oauth-apps", "oauth-grants", "oauth-consent"]);

export function checkScopes(p: DeviceActor, def: Pick<RouteDef, "method" | "tag">): void {
  if (!p.scopes) return;
  // An OAuth2 app holds no keys of the user: none of the device's E2EE routes, no credentials.
  if (p.oauthApp && (DEVICE_TAGS.has(def.tag) || CREDENTIAL_TAGS.has(def.tag))) {
    throw new AppError("forbidden", "an app's token cannot use end-to-end-encryption or credential routes");
  }
  const read = def.method === "GET" || DEVICE_TAGS.has(def.tag);
  if (!read && CREDENTIAL_TAGS.has(def.tag)) throw new AppError("forbidden", "an API key session cannot manage keys or sign-in factors; sign in as the user");
  const needed = ADMIN_TAGS.has(def.tag) && (!read || ADMIN_READ_TAGS.has(def.tag)) ? "admin" : read ? "read" : "write";
  const has = p.scopes.includes(needed) || (needed === "read" && p.scopes.includes("write"));
  if (!has) throw new AppError("forbidden", `this API key lacks the ${needed} scope`);
}

/** Whether a key session may send over the WebSocket (messages, typing, receipts). */
export function mayWrite(p: DeviceActor): boolean {
  return !p.scopes || p.scopes.includes("write");
}
