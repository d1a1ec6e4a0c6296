/**
 * The WebAuthn ceremonies of passkeys. They run in the page: navigator.credentials does not exist
 * in workers, and the browser shows its passkey prompt over the page that asked. The server's
 * options go in and the authenticator's answer comes out, both as the WebAuthn JSON forms
 * (@simplewebauthn/browser converts them). The sign-in ceremonies ask the server for their
 * options without a session (auth "none" routes); finishing a sign-in happens in the client
 * worker (client/session.ts), so tokens never reach the page.
 */
import {
  browserSupportsWebAuthn,
  startAuthentication,
  startRegistration,
  WebAuthnAbortService,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import type { SecondFactor } from "@parley/sdk";
import { publicApi } from "../account/public-api.ts";

/** A WebAuthn JSON object: a ceremony's options or the authenticator's answer. */
export type WebAuthnJson = Record<string, unknown>;

/** Whether this browser has WebAuthn at all (a browser without it gets no passkey buttons). */
export function passkeysSupported(): boolean {
  return browserSupportsWebAuthn();
}

/** Create a passkey with the options of passkeyRegistrationOptions: the authenticator's answer, for registerPasskey. */
export async function createPasskey(options: WebAuthnJson): Promise<WebAuthnJson> {
  const answer = await startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
  return answer as unknown as WebAuthnJson;
}

/** Sign the challenge of request options with a passkey the user picks. */
async function answerWithPasskey(options: WebAuthnJson): Promise<WebAuthnJson> {
  const answer = await startAuthentication({ optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON });
  return answer as unknown as WebAuthnJson;
}

/** Close the browser's passkey prompt, if one is open (the user left the screen that asked). */
export function cancelPasskeyPrompt(): void {
  WebAuthnAbortService.cancelCeremony();
}

/** A passwordless sign-in's first half: the org's options, answered by one of the user's passkeys (the worker sends it). */
export async function passkeySignInAnswer(org: string): Promise<{ challengeId: string; response: WebAuthnJson }> {
  const { challengeId, options } = await publicApi().call("passkeySignInOptions", { body: { org } });
  return { challengeId, response: await answerWithPasskey(options) };
}

/** The second factor of a password sign-in, answered with one of the account's passkeys. */
export async function passkeySecondFactor(mfaToken: string): Promise<SecondFactor> {
  const { options } = await publicApi().call("mfaPasskeyOptions", { body: { mfaToken } });
  return { passkey: await answerWithPasskey(options) };
}
