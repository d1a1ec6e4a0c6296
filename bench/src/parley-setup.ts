/**
 * Builds what a Parley run needs through the REAL HTTP API (setup with the
 * setup token, invites, invite acceptance, channel creation), exactly as a
 * client would. Argon2 makes each account ~100 ms, so the bench creates a
 * handful of users and shares each one's access token across many sockets
 * (the gateway authenticates every socket's hello independently).
 */
import { API_PREFIX } from "@parley/protocol";
import type { BenchTarget } from "./target.ts";

export const BENCH_SETUP_TOKEN = "bench-setup-token-0123456789abcdef";
/** Every bench account's password. Must not contain the org name or a username (the password policy rejects those). */
export const BENCH_PASSWORD = "load-client-password-0123456789";

interface Tokens {
  accessToken: string;
  user: { id: string };
}

async function call<T>(base: string, method: string, path: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${API_PREFIX}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`Parley ${method} ${path} -> ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/**
 * Org + owner, `users` members (each signed in once via invite acceptance),
 * and one public channel holding all of them.
 */
export async function prepareParley(url: string, users: number): Promise<BenchTarget & { ownerToken: string; memberTokens: string[] }> {
  const owner = await call<Tokens>(url, "POST", "/setup", {
    setupToken: BENCH_SETUP_TOKEN,
    orgSlug: "bench",
    orgName: "Bench",
    username: "owner",
    displayName: "Owner",
    password: BENCH_PASSWORD,
    deviceName: "bench-sender",
  });
  const members: Tokens[] = [];
  if (users > 0) {
    const invite = await call<{ token: string }>(url, "POST", "/invites", { role: "member", maxUses: users, expiresInSeconds: 3600 }, owner.accessToken);
    // Sequential on purpose: argon2 hashing would just queue on the server's threadpool anyway.
    for (let i = 0; i < users; i++) {
      members.push(
        await call<Tokens>(url, "POST", "/invites/accept", {
          token: invite.token,
          username: `member${i}`,
          displayName: `Member ${i}`,
          password: BENCH_PASSWORD,
          deviceName: "bench",
        }),
      );
    }
  }
  const channel = await call<{ id: string }>(
    url,
    "POST",
    "/channels",
    {
      kind: "public",
      name: "bench",
      topic: "",
      members: members.map((m) => m.user.id),
    },
    owner.accessToken,
  );
  return {
    url,
    channelId: channel.id,
    senderToken: owner.accessToken,
    receiverTokens: members.map((m) => m.accessToken),
    ownerToken: owner.accessToken,
    memberTokens: members.map((m) => m.accessToken),
  };
}
