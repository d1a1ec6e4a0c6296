/**
 * The calls that make a session before a client exists (sign in, first-run
 * setup, accepting an invite), and saving the session they return.
 */
import type { AuthTokens, MfaChallenge } from "@parley/protocol";
import { ParleyError } from "./errors.ts";
import { sessionFromTokens } from "./auth.ts";
import type { ClientOptions } from "./client-options.ts";
import { createApi, type Api } from "./http.ts";
import { clearAccountData, type LocalStore, type StoredSession } from "./store.ts";

/**
 * What a second-factor prompt answers: a code from the authenticator app, a recovery code, or a
 * passkey's WebAuthn answer to the options of `mfaPasskeyOptions` (ask for them with the challenge's token).
 */
export type SecondFactor = { code: string } | { recoveryCode: string } | { passkey: Record<string, unknown> };

export type LoginOptions = ClientOptions & {
  baseUrl: string;
  org: string;
  username: string;
  password: string;
  deviceName?: string;
  deviceId?: string;
  /**
   * Asked for a code when the account uses MFA (the password was right); called again after a
   * wrong code (`previousError` says why), until the challenge runs out. Without it, sign-in to
   * such an account fails with the `mfa_required` error, whose `details` is the MfaChallenge.
   */
  secondFactor?: (challenge: MfaChallenge, previousError?: ParleyError) => Promise<SecondFactor>;
};
export type SetupOptions = ClientOptions & {
  baseUrl: string;
  setupToken: string;
  orgSlug: string;
  orgName: string;
  username: string;
  displayName: string;
  password: string;
  deviceName: string;
  /** The owner's email address (password resets, security notices). */
  email?: string;
};
export type AcceptInviteOptions = ClientOptions & {
  baseUrl: string;
  token: string;
  username: string;
  displayName: string;
  password: string;
  deviceName: string;
};

/** The REST transport for the calls made before there is a session. */
function signInApi(opts: ClientOptions & { baseUrl: string }): Api {
  return createApi({ baseUrl: opts.baseUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
}

/** Sign in; reuses the device stored in `store` for this account unless `deviceId` says otherwise. */
export async function loginTokens(opts: LoginOptions, store: LocalStore): Promise<AuthTokens> {
  const prev = await store.loadSession();
  const deviceId = opts.deviceId ?? (prev && prev.orgSlug === opts.org && prev.username === opts.username ? prev.deviceId : undefined);
  const api = signInApi(opts);
  try {
    return await api.call("login", {
      body: {
        org: opts.org,
        username: opts.username,
        password: opts.password,
        ...(opts.deviceName ? { deviceName: opts.deviceName } : {}),
        ...(deviceId ? { deviceId } : {}),
      },
    });
  } catch (err) {
    if (!(err instanceof ParleyError) || err.code !== "mfa_required" || !opts.secondFactor) throw err;
    const challenge = err.details as MfaChallenge;
    let previous: ParleyError | undefined;
    for (;;) {
      const factor = await opts.secondFactor(challenge, previous);
      try {
        return await api.call("verifyMfa", { body: { mfaToken: challenge.mfaToken, ...factor } });
      } catch (e) {
        // A wrong code (or a passkey answer that did not verify) asks again; anything else (the
        // challenge ran out, throttling) ends the sign-in.
        if (!(e instanceof ParleyError) || (e.code !== "mfa_invalid" && e.code !== "passkey_invalid")) throw e;
        previous = e;
      }
    }
  }
}

export type ApiKeyLoginOptions = ClientOptions & { baseUrl: string; apiKey: string; deviceName?: string; deviceId?: string };

/** Exchange an API key for a session; reuses the device stored in `store` when it is the key's account's. */
export async function apiKeyTokens(opts: ApiKeyLoginOptions, store: LocalStore): Promise<AuthTokens> {
  const api = signInApi(opts);
  const prev = await store.loadSession();
  const body = { key: opts.apiKey, ...(opts.deviceName ? { deviceName: opts.deviceName } : {}) };
  const deviceId = opts.deviceId ?? (prev?.baseUrl === opts.baseUrl ? prev.deviceId : undefined);
  if (!deviceId) return api.call("signInWithApiKey", { body });
  try {
    return await api.call("signInWithApiKey", { body: { ...body, deviceId } });
  } catch (err) {
    // The stored device belongs to another account (or was revoked): register a new one.
    if (!opts.deviceId && err instanceof ParleyError && err.code === "bad_request") return api.call("signInWithApiKey", { body });
    throw err;
  }
}

export type SsoSignInOptions = ClientOptions & {
  baseUrl: string;
  /** The one-time code the server put in the web app's `/sso#code=` fragment. */
  code: string;
  deviceName?: string;
  deviceId?: string;
};

/**
 * Finish a single sign-on: exchange its one-time code for tokens. Only works from the browser
 * that started the sign-in (the server checks its cookie). Reuses the device stored in `store`
 * when it is the signed-in account's (the server says whose the code is).
 */
export async function ssoTokens(opts: SsoSignInOptions, store: LocalStore): Promise<AuthTokens> {
  const api = signInApi(opts);
  const prev = await store.loadSession();
  const body = { code: opts.code, ...(opts.deviceName ? { deviceName: opts.deviceName } : {}) };
  const deviceId = opts.deviceId ?? (prev?.baseUrl === opts.baseUrl ? prev.deviceId : undefined);
  if (!deviceId) return api.call("completeSso", { body });
  try {
    return await api.call("completeSso", { body: { ...body, deviceId } });
  } catch (err) {
    // The stored device is another account's (or revoked): the code is still unused; register a new device.
    if (!opts.deviceId && err instanceof ParleyError && err.code === "bad_request") return api.call("completeSso", { body });
    throw err;
  }
}

export function setupTokens(opts: SetupOptions): Promise<AuthTokens> {
  const { setupToken, orgSlug, orgName, username, displayName, password, deviceName, email } = opts;
  return signInApi(opts).call("setup", { body: { setupToken, orgSlug, orgName, username, displayName, password, deviceName, ...(email ? { email } : {}) } });
}

export function acceptInviteTokens(opts: AcceptInviteOptions): Promise<AuthTokens> {
  const { token, username, displayName, password, deviceName } = opts;
  return signInApi(opts).call("acceptInvite", { body: { token, username, displayName, password, deviceName } });
}

/** Save the session of new tokens in `store` (a different account or server first clears the store's account data). */
export async function saveSignIn(
  baseUrl: string,
  tokens: AuthTokens,
  store: LocalStore,
  onSessionChange: ClientOptions["onSessionChange"],
): Promise<StoredSession> {
  const prev = await store.loadSession();
  // A different account or server must not inherit this store's cursors, events or outbox.
  if (prev && (prev.userId !== tokens.user.id || prev.baseUrl !== baseUrl)) await clearAccountData(store);
  const session = sessionFromTokens(baseUrl, tokens);
  await store.saveSession(session);
  await store.flush();
  await onSessionChange?.(session);
  return session;
}
