/**
 * Real SDK devices for the plaintext-canary test: users made through the
 * server's HTTP factories, then signed in with ParleyClient (MLS, the default
 * codec) and an encrypted on-disk key store per device, kept outside the
 * server's data directory so the scan sees only what the server stored.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ParleyClient, type ReceivedEvent } from "@parley/sdk";
import { openDeviceKeyStore } from "@parley/sdk/node";
import type { TestUser } from "@parley/server/testing/factories";
import { FAST } from "../../packages/sdk/src/testing/e2ee-clients.ts";

/** One signed-in device and everything it received, decoded. */
export interface CanaryDevice {
  name: string;
  client: ParleyClient;
  userId: string;
  deviceId: string;
  received: ReceivedEvent[];
  undecryptable: unknown[];
}

/** Where the devices' key stores live (removed by `cleanup`). */
export function deviceRoot(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-canary-devices-"));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Sign `user` in as a device. `reuseFactoryDevice` signs in on the device the
 * factory registered (so no keyless device lingers in the directory);
 * otherwise a new device is registered.
 */
export async function signIn(baseUrl: string, root: string, name: string, user: TestUser, reuseFactoryDevice: boolean): Promise<CanaryDevice> {
  const keyStore = await openDeviceKeyStore(path.join(root, name), { passphrase: `canary test ${name}` });
  const client = await ParleyClient.login({
    ...FAST,
    e2ee: { ...FAST.e2ee, keyStore },
    baseUrl,
    org: user.org.slug,
    username: user.user.username,
    password: user.password,
    deviceName: name,
    ...(reuseFactoryDevice ? { deviceId: user.tokens.deviceId } : {}),
  });
  if (client.codec.name !== "mls" || !client.codec.encrypted) throw new Error(`${name}: not on the MLS codec`);
  const d: CanaryDevice = { name, client, userId: user.user.id, deviceId: client.session!.deviceId, received: [], undecryptable: [] };
  client.on("event", (e) => {
    if (e.kind !== "commit" && e.kind !== "proposal") d.received.push(e);
  });
  client.on("undecryptable", (n) => d.undecryptable.push(n));
  return d;
}

/** Poll until `cond` holds (fails with `what`). */
export async function until(cond: () => boolean, what: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
