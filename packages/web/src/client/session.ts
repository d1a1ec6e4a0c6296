/**
 * Signing in and out: first-run setup, password sign-in (with the second
 * factor asked of the user when the account uses MFA), passkey sign-in, invite acceptance and
 * resuming the saved session. Each runs the client in a new client worker
 * (src/worker/) and ends in a started ChatStore — or, when the org requires
 * MFA the user has not set up, in an EnrolmentSession that may only enrol; the
 * worker keeps the session, keys and history in IndexedDB, sealed.
 */
import type { MfaChallenge, Org, User } from "@parley/protocol";
import { isParleyError, type Api, type ParleyError, type SecondFactor } from "@parley/sdk";
import { passwordRejectedMessage } from "../account/password-rules.ts";
import { deserializeError } from "../worker/errors.ts";
import type { ClientSnapshot, EnrolmentSnapshot, StartInput, StartResult } from "../worker/protocol.ts";
import { ChatStore } from "./chat-store.ts";
import { RemoteClient } from "./remote-client.ts";
import { WorkerLink } from "./worker-link.ts";

/** Where builds before the client worker kept the session (tokens in clear): removed on sight. */
const LEGACY_SESSION_KEY = "parley.store.v1";

/** Asks the user for the second factor of a sign-in (again after a wrong code: `previousError` says why). */
export type SecondFactorPrompt = (challenge: MfaChallenge, previousError: ParleyError | undefined) => Promise<SecondFactor>;

/** What a sign-in ends in: the running app, or a session the org restricts to setting up MFA. */
export type SignedIn = ChatStore | EnrolmentSession;

/**
 * A signed-in session the org restricts to setting up two-factor authentication (its policy
 * requires MFA of the user and their grace period is over): its worker holds the tokens and makes
 * the few calls allowed (me, getMfa, startTotp, confirmTotp, logout); no keys, no socket.
 */
export class EnrolmentSession {
  readonly me: User;
  readonly org: Org;
  /** REST calls made by the worker with the restricted session. */
  readonly api: Pick<Api, "call">;
  readonly #link: WorkerLink;

  constructor(link: WorkerLink, snapshot: EnrolmentSnapshot) {
    this.#link = link;
    this.me = snapshot.me;
    this.org = snapshot.org;
    this.api = { call: ((route: string, input?: unknown) => link.request({ op: "api", route, input })) as Api["call"] };
  }

  /** Enrolled: the same worker starts the client from the session, which the server no longer restricts. */
  async continue(): Promise<ChatStore> {
    const snapshot = await this.#link.request<StartResult | undefined>({ op: "start", baseUrl: location.origin, start: { mode: "resume" } });
    if (!snapshot || "enrolmentRequired" in snapshot) throw new Error("Two-factor authentication is not set up yet. Finish setting it up first.");
    return startChat(this.#link, snapshot);
  }

  /** End the session on the server (best effort), forget what this browser stored and stop the worker. */
  async signOut(): Promise<void> {
    try {
      await this.#link.request({ op: "signOut", logout: true });
    } finally {
      this.#link.terminate();
    }
  }

  /** Stop the worker (the session stays saved for the next start: another tab takes this device over). */
  async close(): Promise<void> {
    try {
      await Promise.race([this.#link.request({ op: "close" }), new Promise((r) => setTimeout(r, 1_500))]);
    } finally {
      this.#link.terminate();
    }
  }
}

async function startChat(link: WorkerLink, snapshot: ClientSnapshot): Promise<ChatStore> {
  const chat = new ChatStore(new RemoteClient(link, snapshot), snapshot.me, snapshot.org);
  await chat.start();
  return chat;
}

/** Options of a sign-in: the second-factor prompt, and a signal that abandons it (stopping its worker). */
interface StartOptions {
  secondFactor?: SecondFactorPrompt;
  signal?: AbortSignal;
}

// A new worker signs in; undefined when resuming finds no saved session.
async function startClient(start: StartInput, opts: StartOptions = {}): Promise<SignedIn | undefined> {
  localStorage.removeItem(LEGACY_SESSION_KEY);
  const link = new WorkerLink();
  const stop = () => link.terminate();
  opts.signal?.addEventListener("abort", stop);
  // The worker asks for the second factor while `start` is pending; the user's answer goes back as a command.
  const ask = opts.secondFactor;
  link.onPush = (m) => {
    if (m.t !== "secondFactor") return;
    if (!ask) return link.terminate();
    ask(m.challenge, m.previousError && (deserializeError(m.previousError) as ParleyError)).then(
      (answer) => link.request({ op: "secondFactor", answer }).catch(() => undefined),
      () => link.terminate(),
    );
  };
  try {
    const snapshot = await link.request<StartResult | undefined>({ op: "start", baseUrl: location.origin, start });
    opts.signal?.throwIfAborted();
    if (!snapshot) {
      link.terminate();
      return undefined;
    }
    if ("enrolmentRequired" in snapshot) return new EnrolmentSession(link, snapshot);
    return await startChat(link, snapshot);
  } catch (err) {
    link.terminate();
    throw err;
  } finally {
    opts.signal?.removeEventListener("abort", stop);
  }
}

async function started(start: StartInput, opts?: StartOptions): Promise<SignedIn> {
  const signedIn = await startClient(start, opts);
  if (!signedIn) throw new Error("sign-in did not start a session");
  return signedIn;
}

/** A name for this browser as a device ("Chrome on Linux"); the user can change it. */
export function defaultDeviceName(ua = navigator.userAgent): string {
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

/** Whether the server still needs first-run setup. */
export async function needsSetup(): Promise<boolean> {
  const res = await fetch(`${location.origin}/api/v1/setup`, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`the server answered ${res.status} to /api/v1/setup`);
  return ((await res.json()) as { needsSetup: boolean }).needsSetup;
}

/** Continue the saved session, or undefined when there is none (or it is no longer valid). */
export function resumeSession(): Promise<SignedIn | undefined> {
  // The worker forgets a dead session (revoked, deactivated); a network error keeps it for the next load.
  return startClient({ mode: "resume" });
}

/** Sign in with a password; `secondFactor` is asked for a code when the account uses MFA (again after a wrong one). */
export function signIn(input: { org: string; username: string; password: string; deviceName: string }, opts: StartOptions = {}): Promise<SignedIn> {
  return started({ mode: "login", input }, opts);
}

export function setupOrg(input: {
  setupToken: string;
  orgSlug: string;
  orgName: string;
  username: string;
  displayName: string;
  password: string;
  deviceName: string;
}): Promise<SignedIn> {
  return started({ mode: "setup", input });
}

export function acceptInvite(input: { token: string; username: string; displayName: string; password: string; deviceName: string }): Promise<SignedIn> {
  return started({ mode: "acceptInvite", input });
}

/** Finish a single sign-on with the one-time code the server put in `/sso#code=`. */
export function completeSso(input: { code: string; deviceName?: string }): Promise<SignedIn> {
  return started({ mode: "sso", input });
}

/**
 * Sign in with a passkey: the page ran the ceremony (passkeys/ceremony.ts) and passes the
 * authenticator's answer; the worker finishes the sign-in, so the tokens stay in the worker.
 */
export function signInWithPasskey(
  input: { challengeId: string; response: Record<string, unknown>; deviceName: string },
  opts: StartOptions = {},
): Promise<SignedIn> {
  return started({ mode: "passkey", input }, opts);
}

/** End the session on the server (best effort) and forget everything stored locally. */
export async function signOut(signedIn: SignedIn | undefined): Promise<void> {
  if (signedIn) return signedIn.signOut().catch(() => undefined);
  // No running client: a worker of its own wipes what a previous run left.
  const link = new WorkerLink();
  try {
    await link.request({ op: "signOut", logout: false });
  } finally {
    link.terminate();
  }
}

/** A message that tells the user what to do. */
export function describeError(err: unknown): string {
  if (!isParleyError(err)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case "invalid_credentials":
      return "Wrong organisation, username or password.";
    case "login_throttled":
      return `Too many attempts. Wait ${err.retryAfter ? `${err.retryAfter} s` : "a minute"} and try again.`;
    case "user_deactivated":
      return "This account has been deactivated. Ask an admin of your organisation.";
    case "setup_complete":
      return "This server is already set up. Sign in instead.";
    case "invite_invalid":
      return "This invite link is invalid, expired or used up. Ask an admin for a new one.";
    case "already_exists":
      return "That name is taken. Choose another one.";
    case "password_rejected":
      return passwordRejectedMessage(err.details);
    case "token_invalid":
      return "This link has expired or was already used. Ask for a new one.";
    case "email_taken":
      return "Another account of your organisation already uses that email address. Use a different one.";
    case "email_unavailable":
      return "This server cannot send email. Ask an admin of your organisation for help.";
    case "forbidden":
      return "You are not allowed to do that.";
    case "rate_limited":
      return "Too many requests. Wait a moment and try again.";
    case "network":
    case "timeout":
    case "unavailable":
      return "Cannot reach the server. Check your connection and try again.";
    case "validation_failed":
      return `Check the form: ${err.message}`;
    case "mfa_invalid":
      return "That code is wrong or was already used; wait for the next code.";
    case "mfa_challenge_invalid":
      return "This sign-in expired or had too many wrong codes. Sign in again.";
    case "mfa_enrollment_required":
      return "Your organisation requires two-factor authentication. Set it up to continue.";
    case "sso_required":
      return "Your organisation signs in with single sign-on: use the “Sign in with …” button below.";
    case "sso_failed":
      return `Single sign-on did not complete: ${err.message}. Start again from the sign-in screen.`;
    case "idp_unavailable":
      return "Your organisation's identity provider cannot be reached right now. Try again in a few minutes.";
    default:
      return err.message;
  }
}
