/**
 * Where a bot keeps its device: `<stateDir>/device/` holds the SDK's file store (session,
 * cursors, outbox) and the encrypted MLS key store; `<stateDir>/bot.json` records which device
 * of which account they belong to. The keys cannot be recovered from the server: a lost state
 * directory means a lost device. {@link signInBot} notices that (the account has a device this
 * directory has no keys for) and stops with {@link BotKeysLostError}; {@link provisionBot} makes
 * a new device and revokes the old ones.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Device } from "@parley/protocol";
import { ParleyClient, type ClientOptions } from "@parley/sdk";
import { FileStore, openDeviceKeyStore } from "@parley/sdk/node";

/** What `<stateDir>/bot.json` records. */
export interface BotIdentity {
  baseUrl: string;
  userId: string;
  username: string;
  deviceId: string;
  provisionedAt: number;
}

/** How to reach the server as the bot. */
export interface BotCredentials {
  /** Server base URL, e.g. https://chat.example.com */
  server: string;
  /** The bot's API key (a service account's, scopes read + write). */
  apiKey: string;
  /** Directory of the bot's device keys, session and state (kept across restarts; mode 0700). */
  stateDir: string;
  /** Device name shown in the account's devices (default "bot runtime"). */
  deviceName?: string;
  /** Extra client options (backoff, E2EE timing); tests make them fast. */
  client?: ClientOptions;
}

/** The bot's device keys are gone: the state directory lost them (or is not the one the bot ran with). */
export class BotKeysLostError extends Error {
  readonly code = "bot_keys_lost";
  /** The state directory that lost them. */
  readonly stateDir: string;
  /** The bot's devices whose keys are lost (still registered on the server). */
  readonly devices: string[];
  constructor(stateDir: string, devices: string[], why: string) {
    super(
      `${why}. The bot's MLS keys cannot be recovered from the server, so it cannot read its channels with that device. ` +
        `If this is the right directory, re-provision the bot: \`parley bot provision --state-dir ${stateDir}\` ` +
        `(or provisionBot() in code) revokes the old device(s) ${devices.join(", ") || "(none)"} and makes a new one. ` +
        "The new device rejoins the bot's channels by itself when it connects; messages sent before that stay unreadable to it. " +
        "In a channel that does not let it rejoin, a member removes the bot and adds it again.",
    );
    this.name = "BotKeysLostError";
    this.stateDir = stateDir;
    this.devices = devices;
  }
}

const deviceDir = (stateDir: string) => path.join(stateDir, "device");
const identityFile = (stateDir: string) => path.join(stateDir, "bot.json");

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** The identity recorded in the state directory, or undefined on a fresh one. */
export async function readIdentity(stateDir: string): Promise<BotIdentity | undefined> {
  try {
    return JSON.parse(await fs.readFile(identityFile(stateDir), "utf8")) as BotIdentity;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`${identityFile(stateDir)} is unreadable: ${(err as Error).message}`, { cause: err });
  }
}

async function writeIdentity(stateDir: string, id: BotIdentity): Promise<void> {
  const tmp = `${identityFile(stateDir)}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(id, null, 2), { mode: 0o600 });
  await fs.rename(tmp, identityFile(stateDir));
}

/** Whether the device directory still has its key store and session (what a lost or wiped directory lacks). */
async function deviceFilesPresent(stateDir: string): Promise<boolean> {
  const dir = deviceDir(stateDir);
  return (await exists(path.join(dir, "keys.key"))) && (await exists(path.join(dir, "keys"))) && (await exists(path.join(dir, "parley-store.json")));
}

async function openClient(creds: BotCredentials): Promise<ParleyClient> {
  const dir = deviceDir(creds.stateDir);
  const store = await FileStore.open(dir);
  const keyStore = await openDeviceKeyStore(dir);
  return ParleyClient.loginWithApiKey({
    ...creds.client,
    baseUrl: creds.server,
    apiKey: creds.apiKey,
    deviceName: creds.deviceName ?? "bot runtime",
    store,
    e2ee: { ...creds.client?.e2ee, keyStore },
  });
}

/** The account's active devices other than `deviceId`. */
async function otherDevices(client: ParleyClient, deviceId: string): Promise<Device[]> {
  const { devices } = await client.api.call("listDevices");
  return devices.filter((d) => !d.revoked && d.id !== deviceId);
}

async function identityOf(client: ParleyClient, server: string): Promise<BotIdentity> {
  const me = await client.api.call("me");
  const session = client.session!;
  return { baseUrl: server, userId: session.userId, username: me.user.username, deviceId: session.deviceId, provisionedAt: Date.now() };
}

/** Undo a sign-in that must not stay: revoke the device it made and forget its files. */
async function discard(client: ParleyClient, stateDir: string): Promise<void> {
  const deviceId = client.session?.deviceId;
  if (deviceId) await client.api.call("revokeDevice", { params: { id: deviceId } }).catch(() => undefined);
  await client.close();
  await fs.rm(deviceDir(stateDir), { recursive: true, force: true });
}

/**
 * Sign the bot in with the device of its state directory. On a fresh directory of an account
 * that has no device yet, this provisions the first one. Throws {@link BotKeysLostError} when the
 * directory has lost its keys, or is fresh while the account already has a device.
 */
export async function signInBot(creds: BotCredentials): Promise<ParleyClient> {
  await fs.mkdir(creds.stateDir, { recursive: true, mode: 0o700 });
  const known = await readIdentity(creds.stateDir);
  if (known && !(await deviceFilesPresent(creds.stateDir))) {
    throw new BotKeysLostError(creds.stateDir, [known.deviceId], `the key store of bot ${known.username} in ${deviceDir(creds.stateDir)} is missing`);
  }
  const client = await openClient(creds);
  const deviceId = client.session!.deviceId;
  if (known && known.deviceId === deviceId) return client;
  const others = await otherDevices(client, deviceId);
  // A device the bot had is gone from here (keys lost, or another directory): never silently start a second one.
  const stale = known ? others.filter((d) => d.id === known.deviceId) : others;
  if (stale.length) {
    await discard(client, creds.stateDir);
    throw new BotKeysLostError(
      creds.stateDir,
      stale.map((d) => d.id),
      `${creds.stateDir} holds no keys for the bot's device ${stale.map((d) => `${d.id} ("${d.name}")`).join(", ")}`,
    );
  }
  // First run (or the recorded device was revoked by an admin): this device is the bot's now.
  await writeIdentity(creds.stateDir, await identityOf(client, creds.server));
  return client;
}

/**
 * Re-provision the bot: a new device in a clean `<stateDir>/device`, every other device of the
 * account revoked (their keys are lost), bot.json rewritten. Stored `state.json` is kept.
 * Returns the new identity and the revoked device ids.
 */
export async function provisionBot(creds: BotCredentials): Promise<{ identity: BotIdentity; revoked: string[] }> {
  await fs.rm(deviceDir(creds.stateDir), { recursive: true, force: true });
  await fs.rm(identityFile(creds.stateDir), { force: true });
  await fs.mkdir(creds.stateDir, { recursive: true, mode: 0o700 });
  const client = await openClient(creds);
  try {
    const deviceId = client.session!.deviceId;
    const revoked: string[] = [];
    for (const d of await otherDevices(client, deviceId)) {
      await client.api.call("revokeDevice", { params: { id: d.id } });
      revoked.push(d.id);
    }
    const identity = await identityOf(client, creds.server);
    await writeIdentity(creds.stateDir, identity);
    return { identity, revoked };
  } finally {
    await client.close();
  }
}
