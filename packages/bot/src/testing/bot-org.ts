/**
 * Test helpers of the bot package: a real server, an org whose owner signs in with a real SDK
 * client (MLS), and bots made the way an admin makes them (service account + API key).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ParleyClient, ReceivedEvent } from "@parley/sdk";
import type { TestServer } from "@parley/server/testing/harness";
import { FAST, makeOrg } from "../../../sdk/src/testing/e2ee-clients.ts";
import { startBot, type Bot, type BotOptions } from "../index.ts";

export { FAST };

/** The org owner (alice, first-run setup), signed in and live. */
export async function ownerClient(server: TestServer): Promise<ParleyClient> {
  const { owner } = await makeOrg(server.url);
  owner.connect();
  await owner.waitUntilLive();
  return owner;
}

/** A service account made by `admin` and an API key for it (read + write). */
export async function makeBotAccount(admin: ParleyClient, username: string): Promise<{ userId: string; apiKey: string }> {
  const account = await admin.api.call("createServiceAccount", { body: { username, displayName: `${username} bot`, role: "member" } });
  const { key } = await admin.api.call("createServiceAccountKey", {
    params: { id: account.id },
    body: { name: `${username} runtime`, scopes: ["read", "write"], expiresInDays: 30 },
  });
  return { userId: account.id, apiKey: key };
}

/** A fresh state directory, removed when the process exits (after hooks run first-registered first: a bot still stopping writes to it). */
export function tempStateDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bot-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Start a bot with fast client timings; stopped when the test ends. */
export async function startTestBot(t: { after(fn: () => unknown): void }, opts: Omit<BotOptions, "client">): Promise<Bot> {
  const bot = await startBot({ ...opts, client: FAST });
  t.after(() => bot.stop());
  return bot;
}

/** The next message `client` receives in `channelId` from `senderId` that matches. */
export function nextMessageFrom(client: ParleyClient, channelId: string, senderId: string, match: (e: ReceivedEvent) => boolean = () => true, ms = 20_000) {
  return client.next("message", (e) => e.channelId === channelId && e.senderId === senderId && !e.content.decodeError && match(e), ms);
}
