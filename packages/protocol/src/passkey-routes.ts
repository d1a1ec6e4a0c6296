/**
 * Passkeys (WebAuthn, issue 10): register, sign in without a password, use as a second
 * factor, list, rename, remove. Options and responses are the WebAuthn JSON forms
 * (PublicKeyCredentialCreationOptionsJSON / RegistrationResponseJSON and their
 * authentication twins) as @simplewebauthn/browser produces and consumes them; the
 * server checks them with @simplewebauthn/server. Each ceremony's challenge is single
 * use and lives five minutes.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { AuthTokens, DeviceName, Id, Slug, Timestamp } from "./models.ts";

/** A WebAuthn JSON object (options or a credential response), checked by the server's WebAuthn library. */
const WebAuthnJson = z.record(z.string(), z.unknown());
const PasskeyName = z.string().trim().min(1).max(80);

/** A registered passkey as its owner sees it. */
export const Passkey = z.object({
  id: z.string(),
  name: PasskeyName,
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  /** Synced by a passkey provider (multi-device) rather than bound to one authenticator. */
  backedUp: z.boolean(),
});
export type Passkey = z.infer<typeof Passkey>;

const Ceremony = z.object({ challengeId: Id, options: WebAuthnJson });

export const passkeyRoutes = {
  passkeyRegistrationOptions: route({
    method: "POST",
    path: "/me/passkeys/options",
    tag: "passkeys",
    auth: "user",
    summary: "Start registering a passkey (the current password is required): WebAuthn creation options",
    body: z.object({ currentPassword: z.string().min(1).max(256) }),
    response: Ceremony,
    errors: ["invalid_credentials", "login_throttled"],
  }),
  registerPasskey: route({
    method: "POST",
    path: "/me/passkeys",
    tag: "passkeys",
    auth: "user",
    status: 201,
    summary: "Finish registering a passkey with the authenticator's response; it then signs in without a password and serves as a second factor",
    body: z.object({ challengeId: Id, name: PasskeyName, response: WebAuthnJson }),
    response: Passkey,
    errors: ["passkey_invalid"],
  }),
  listPasskeys: route({
    method: "GET",
    path: "/me/passkeys",
    tag: "passkeys",
    auth: "user",
    summary: "Own passkeys",
    response: z.object({ passkeys: z.array(Passkey) }),
  }),
  renamePasskey: route({
    method: "PATCH",
    path: "/me/passkeys/:id",
    tag: "passkeys",
    auth: "user",
    summary: "Rename one of own passkeys",
    params: z.object({ id: z.string().min(1).max(1024) }),
    body: z.object({ name: PasskeyName }),
    response: Passkey,
  }),
  deletePasskey: route({
    method: "DELETE",
    path: "/me/passkeys/:id",
    tag: "passkeys",
    auth: "user",
    summary: "Remove one of own passkeys (refused for the last second factor while the org requires MFA of you)",
    params: z.object({ id: z.string().min(1).max(1024) }),
    response: null,
    errors: ["forbidden"],
  }),
  passkeySignInOptions: route({
    method: "POST",
    path: "/auth/passkey/options",
    tag: "auth",
    auth: "none",
    summary: "Start a passwordless sign-in with a passkey: WebAuthn request options (discoverable credentials)",
    body: z.object({ org: Slug }),
    response: Ceremony,
    errors: ["rate_limited"],
  }),
  passkeySignIn: route({
    method: "POST",
    path: "/auth/passkey",
    tag: "auth",
    auth: "none",
    summary: "Sign in with a passkey (user verification required; counts as multi-factor); registers or reuses a device like login",
    body: z.object({ challengeId: Id, response: WebAuthnJson, deviceName: DeviceName.optional(), deviceId: Id.optional() }),
    response: AuthTokens,
    errors: ["passkey_invalid", "login_throttled"],
    noStore: true,
  }),
  mfaPasskeyOptions: route({
    method: "POST",
    path: "/auth/mfa/passkey",
    tag: "auth",
    auth: "none",
    summary: "Second step of sign-in with a passkey: WebAuthn request options for the account's passkeys; answer with verifyMfa { mfaToken, passkey }",
    body: z.object({ mfaToken: z.string().min(16).max(128) }),
    response: Ceremony,
    errors: ["mfa_challenge_invalid"],
    noStore: true,
  }),
} as const;
