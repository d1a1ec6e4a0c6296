/**
 * Signing in and out: first-run setup, password sign-in, invite acceptance
 * and resuming the saved session. Every path ends in a started ChatStore.
 */
import { isParleyError, ParleyClient, type ClientOptions } from "@parley/sdk";
import { BrowserStore } from "./browser-store.ts";
import { ChatStore } from "./chat-store.ts";
import { EventCache } from "./event-cache.ts";
import { IdbKeyStore } from "./idb-key-store.ts";

const baseUrl = (): string => location.origin;

/** Client options: the session store plus this browser's MLS key store (IndexedDB). */
async function options(store: BrowserStore): Promise<ClientOptions & { store: BrowserStore }> {
  return { store, e2ee: { keyStore: await IdbKeyStore.open() } };
}

async function started(client: ParleyClient): Promise<ChatStore> {
  const me = await client.api.call("me");
  const chat = new ChatStore(client, me.user, me.org, await EventCache.open());
  await chat.start();
  return chat;
}

/** A name for this browser as a device ("Chrome on Linux"); the user can change it. */
export function defaultDeviceName(ua = navigator.userAgent): string {
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "";
  return os ? `${browser} on ${os}` : browser;
}

/** Whether the server still needs first-run setup. */
export async function needsSetup(): Promise<boolean> {
  const res = await fetch(`${baseUrl()}/api/v1/setup`, { headers: { accept: "application/json" } });
  if (!res.ok) throw new Error(`the server answered ${res.status} to /api/v1/setup`);
  return ((await res.json()) as { needsSetup: boolean }).needsSetup;
}

/** Continue the saved session, or undefined when there is none (or it is no longer valid). */
export async function resumeSession(): Promise<ChatStore | undefined> {
  const store = new BrowserStore();
  if (!(await store.loadSession())) return undefined;
  try {
    return await started(await ParleyClient.resume(await options(store)));
  } catch (err) {
    // A dead session (revoked, deactivated) sends the user to sign-in; a network error keeps it for the next load.
    if (isParleyError(err) && !err.isRetryable()) store.wipe();
    throw err;
  }
}

export async function signIn(input: { org: string; username: string; password: string; deviceName: string }): Promise<ChatStore> {
  const client = await ParleyClient.login({ ...(await options(new BrowserStore())), baseUrl: baseUrl(), ...input });
  return started(client);
}

export async function setupOrg(input: { setupToken: string; orgSlug: string; orgName: string; username: string; displayName: string; password: string; deviceName: string }): Promise<ChatStore> {
  const client = await ParleyClient.setup({ ...(await options(new BrowserStore())), baseUrl: baseUrl(), ...input });
  return started(client);
}

export async function acceptInvite(input: { token: string; username: string; displayName: string; password: string; deviceName: string }): Promise<ChatStore> {
  const client = await ParleyClient.acceptInvite({ ...(await options(new BrowserStore())), baseUrl: baseUrl(), ...input });
  return started(client);
}

/** End the session on the server (best effort) and forget everything stored locally. */
export async function signOut(chat: ChatStore | undefined): Promise<void> {
  try {
    if (chat && !chat.ended) await chat.client.logout();
  } catch {
    // Offline or already ended: the local session is dropped below either way.
  } finally {
    await chat?.close().catch(() => undefined);
    new BrowserStore().wipe();
    // This device's keys and decrypted history go with the session: the next sign-in is a new device.
    await Promise.all([IdbKeyStore.wipe(), EventCache.wipe()]);
  }
}

/** A message that tells the user what to do. */
export function describeError(err: unknown): string {
  if (!isParleyError(err)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case "invalid_credentials": return "Wrong organisation, username or password.";
    case "login_throttled": return `Too many attempts. Wait ${err.retryAfter ? `${err.retryAfter} s` : "a minute"} and try again.`;
    case "user_deactivated": return "This account has been deactivated. Ask an admin of your organisation.";
    case "setup_complete": return "This server is already set up. Sign in instead.";
    case "invite_invalid": return "This invite link is invalid, expired or used up. Ask an admin for a new one.";
    case "already_exists": return "That name is taken. Choose another one.";
    case "forbidden": return "You are not allowed to do that.";
    case "rate_limited": return "Too many requests. Wait a moment and try again.";
    case "network": case "timeout": case "unavailable": return "Cannot reach the server. Check your connection and try again.";
    case "validation_failed": return `Check the form: ${err.message}`;
    default: return err.message;
  }
}
