/**
 * A passwordless sign-in with a passkey, the worker's half: the page ran the WebAuthn ceremony
 * (navigator.credentials exists only there) and hands over the authenticator's answer; the worker
 * calls passkeySignIn, so the tokens it answers never reach the page, saves the session and
 * starts the client from it, as the SDK's own sign-ins do.
 *
 * Stand-in for an SDK `ParleyClient.loginWithPasskey` (ssoTokens' twin in sdk/src/sign-in.ts):
 * once the SDK has one, this file becomes a one-line call in sign-in.ts.
 */
import { clearAccountData, createApi, ParleyClient, sessionFromTokens, type ClientOptions, type LocalStore } from "@parley/sdk";

export interface PasskeySignInInput {
  challengeId: string;
  /** The authenticator's answer (AuthenticationResponseJSON) to the options of passkeySignInOptions. */
  response: Record<string, unknown>;
  deviceName: string;
}

export async function passkeyClient(baseUrl: string, input: PasskeySignInInput, opts: ClientOptions & { store: LocalStore }): Promise<ParleyClient> {
  const { store } = opts;
  const prev = await store.loadSession();
  // Reuse this browser's device only for its own account: the server claims the ceremony's
  // challenge before it looks at the device, so a refused device could not be retried without
  // a second passkey prompt. The answer names its account (the user handle is the user id).
  const deviceId = prev && prev.baseUrl === baseUrl && prev.userId === passkeyUserId(input.response) ? prev.deviceId : undefined;
  const tokens = await createApi({ baseUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) }).call("passkeySignIn", {
    body: { challengeId: input.challengeId, response: input.response, deviceName: input.deviceName, ...(deviceId ? { deviceId } : {}) },
  });
  // As the SDK's saveSignIn: another account must not inherit this store's cursors, events or outbox.
  if (prev && (prev.userId !== tokens.user.id || prev.baseUrl !== baseUrl)) await clearAccountData(store);
  const session = sessionFromTokens(baseUrl, tokens);
  await store.saveSession(session);
  await store.flush();
  await opts.onSessionChange?.(session);
  return ParleyClient.resume(opts);
}

/** The account a discoverable passkey's answer names: its user handle (base64url of the user id), if any. */
export function passkeyUserId(response: Record<string, unknown>): string | undefined {
  const handle = (response.response as { userHandle?: unknown } | undefined)?.userHandle;
  if (typeof handle !== "string" || !handle) return undefined;
  try {
    const b64 = handle.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
