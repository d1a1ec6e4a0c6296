/**
 * Test support: an org's owner (alice, a real SDK client) and a bot — a service account signed
 * in with an API key through a real SDK client whose key store and local store live in a
 * directory, so the "runtime" can stop and come back as the same device — both members of a
 * private, end-to-end-encrypted channel with a second member, bob.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ParleyClient, type ClientOptions } from "@parley/sdk";
import { FileStore, openDeviceKeyStore } from "@parley/sdk/node";
import { FAST, makeOrg, until } from "../../../sdk/src/testing/e2ee-clients.ts";

const PASSPHRASE = "webhook runtime test passphrase";

/** A bot device whose stores live in `dir`: signed in with `apiKey` the first time, resumed afterwards. */
export async function openBot(baseUrl: string, apiKey: string, dir: string, extra: ClientOptions = {}): Promise<ParleyClient> {
  const store = await FileStore.open(path.join(dir, "store"), { debounceMs: 10 });
  const keyStore = await openDeviceKeyStore(dir, { passphrase: PASSPHRASE });
  const opts: ClientOptions = { ...FAST, ...extra, store, e2ee: { ...FAST.e2ee, keyStore } };
  if (await store.loadSession()) return ParleyClient.resume({ ...opts, store });
  return ParleyClient.loginWithApiKey({ ...opts, baseUrl, apiKey, deviceName: "webhook runtime" });
}

export interface BotInChannel {
  alice: ParleyClient;
  bot: ParleyClient;
  botUserId: string;
  apiKey: string;
  channelId: string;
  /** The bot's state directory (stores, keys; the webhook state goes here too). */
  dir: string;
  /** A second human member of the channel. */
  bob: ParleyClient;
}

/** alice (owner) and a bot service account, both live and in one private E2EE channel. */
export async function botInChannel(t: { after(fn: () => unknown): void }, baseUrl: string, extra: ClientOptions = {}): Promise<BotInChannel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-bot-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const org = await makeOrg(baseUrl, extra);
  t.after(() => org.closeAll());
  const alice = org.owner;
  const svc = await alice.api.call("createServiceAccount", { body: { username: "ci-bot", displayName: "CI bot" } });
  const { key } = await alice.api.call("createServiceAccountKey", { params: { id: svc.id }, body: { name: "webhook runtime", scopes: ["read", "write"] } });
  const bob = await org.user("bob", extra);
  const bot = await openBot(baseUrl, key, dir, extra);
  org.clients.push(bot);
  for (const c of [alice, bob, bot]) c.connect();
  await Promise.all([alice, bob, bot].map((c) => c.waitUntilLive()));
  const ch = await alice.createChannel({ kind: "private", name: "builds", members: [bob.userId, svc.id] });
  const inGroup = (c: ParleyClient) => c.e2ee!.epochOf(ch.id) !== undefined && c.e2ee!.epochOf(ch.id) === alice.e2ee!.epochOf(ch.id);
  await until(() => inGroup(bot) && inGroup(bob), "bob and the bot are in the channel's MLS group", 30_000);
  return {
    alice,
    bot,
    botUserId: svc.id,
    apiKey: key,
    channelId: ch.id,
    dir,
    bob,
  };
}
