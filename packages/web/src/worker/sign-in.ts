/**
 * How the client worker signs in: a password (the second factor, when the account uses MFA, is
 * asked of the page), a passkey (passkey-sign-in.ts), first-run setup, an invite, or the saved session. When the org requires
 * MFA of the user and their grace period is over, the server restricts the new session to
 * enrolling an authenticator: every route but a few answers `mfa_enrollment_required`, so the SDK
 * client cannot start (its E2EE engine needs the org's config and a registered device). The
 * worker then keeps the saved session's tokens in a bare REST session, an EnrolmentSession, until
 * the user has enrolled; `resume` starts the client from the same saved session after that.
 */
import type { MfaChallenge } from "@parley/protocol";
import {
  AuthSession,
  createApi,
  isParleyError,
  ParleyClient,
  type Api,
  type ClientOptions,
  type LocalStore,
  type ParleyError,
  type SecondFactor,
} from "@parley/sdk";
import { passkeyClient } from "./passkey-sign-in.ts";
import type { StartInput } from "./protocol.ts";

/** A session restricted to MFA enrolment: the routes it may call (me, getMfa, startTotp, confirmTotp, logout). */
export interface EnrolmentSession {
  readonly api: Api;
  /** Stop refreshing its tokens (they stay saved for the client that resumes them). */
  close(): void;
  /** End the session on the server and forget it. */
  logout(): Promise<void>;
}

/** What a sign-in gave: the client, a session that may only enrol, or nothing (no saved session to resume). */
export type SignedIn = { client: ParleyClient } | { enrolment: EnrolmentSession } | undefined;

/** Asks the page for the second factor (again after a wrong code). */
export type AskSecondFactor = (challenge: MfaChallenge, previousError?: ParleyError) => Promise<SecondFactor>;

/** Sign in as `input` says, with `opts` (the worker's store and key store). */
export async function signIn(baseUrl: string, input: StartInput, opts: ClientOptions & { store: LocalStore }, ask: AskSecondFactor): Promise<SignedIn> {
  const { store } = opts;
  try {
    if (input.mode === "resume") {
      if (!(await store.loadSession())) return undefined;
      return { client: await ParleyClient.resume(opts) };
    }
    if (input.mode === "login") return { client: await ParleyClient.login({ ...opts, baseUrl, ...input.input, secondFactor: ask }) };
    if (input.mode === "setup") return { client: await ParleyClient.setup({ ...opts, baseUrl, ...input.input }) };
    if (input.mode === "sso") return { client: await ParleyClient.completeSso({ ...opts, baseUrl, ...input.input }) };
    if (input.mode === "passkey") return { client: await passkeyClient(baseUrl, input.input, opts) };
    return { client: await ParleyClient.acceptInvite({ ...opts, baseUrl, ...input.input }) };
  } catch (err) {
    // The tokens were saved before the client's first refused call: keep them for enrolling.
    if (isParleyError(err, "mfa_enrollment_required")) {
      const enrolment = await enrolmentSession(store);
      if (enrolment) return { enrolment };
    }
    // A dead session (revoked, deactivated) sends the user to sign-in; a network error keeps it for the next load.
    if (input.mode === "resume" && isParleyError(err) && !err.isRetryable()) {
      await store.saveSession(undefined);
      await store.flush();
    }
    throw err;
  }
}

async function enrolmentSession(store: LocalStore): Promise<EnrolmentSession | undefined> {
  const session = await store.loadSession();
  if (!session) return undefined;
  // The same token lifecycle as the client's: rotated refresh tokens are saved in the store.
  const auth = new AuthSession({ store, session });
  const api = createApi({ baseUrl: session.baseUrl, tokens: auth });
  return {
    api,
    close: () => auth.close(),
    async logout() {
      try {
        await api.call("logout");
      } finally {
        await auth.clear();
        auth.close();
      }
    },
  };
}
