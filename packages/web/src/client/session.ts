/**
 * Signing in and out: first-run setup, password sign-in, invite acceptance
 * and resuming the saved session. Each runs the client in a new client
 * worker (src/worker/) and ends in a started ChatStore; the worker keeps the
 * session, keys and history in IndexedDB, sealed.
 */
import { isParleyError } from "@parley/sdk";
import { passwordRejectedMessage } from "../account/password-rules.ts";
import type { ClientSnapshot, StartInput } from "../worker/protocol.ts";
import { ChatStore } from "./chat-store.ts";
import { RemoteClient } from "./remote-client.ts";
import { WorkerLink } from "./worker-link.ts";

/** Where builds before the client worker kept the session (tokens in clear): removed on sight. */
const LEGACY_SESSION_KEY = "parley.store.v1";

// A new worker signs in; undefined when resuming finds no saved session.
async function startClient(start: StartInput): Promise<ChatStore | undefined> {
  localStorage.removeItem(LEGACY_SESSION_KEY);
  const link = new WorkerLink();
  try {
    const snapshot = await link.request<ClientSnapshot | undefined>({ op: "start", baseUrl: location.origin, start });
    if (!snapshot) {
      link.terminate();
      return undefined;
    }
    const chat = new ChatStore(new RemoteClient(link, snapshot), snapshot.me, snapshot.org);
    await chat.start();
    return chat;
  } catch (err) {
    link.terminate();
    throw err;
  }
}

async function started(start: StartInput): Promise<ChatStore> {
  const chat = await startClient(start);
  if (!chat) throw new Error("sign-in did not start a session");
  return chat;
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
export function resumeSession(): Promise<ChatStore | undefined> {
  // The worker forgets a dead session (revoked, deactivated); a network error keeps it for the next load.
  return startClient({ mode: "resume" });
}

export function signIn(input: { org: string; username: string; password: string; deviceName: string }): Promise<ChatStore> {
  return started({ mode: "login", input });
}

export function setupOrg(input: {
  setupToken: string;
  orgSlug: string;
  orgName: string;
  username: string;
  displayName: string;
  password: string;
  deviceName: string;
}): Promise<ChatStore> {
  return started({ mode: "setup", input });
}

export function acceptInvite(input: { token: string; username: string; displayName: string; password: string; deviceName: string }): Promise<ChatStore> {
  return started({ mode: "acceptInvite", input });
}

/** End the session on the server (best effort) and forget everything stored locally. */
export async function signOut(chat: ChatStore | undefined): Promise<void> {
  if (chat) return chat.signOut().catch(() => undefined);
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
    default:
      return err.message;
  }
}
