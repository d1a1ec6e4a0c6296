/**
 * Helpers for the SDK's E2EE tests: users signed in through real clients
 * against a real test server, event collection and polling.
 */
import { startTestServer, TEST_SETUP_TOKEN, type TestServer } from "@parley/server/testing/harness";
import { ParleyClient, type ClientOptions } from "../client.ts";
import type { ReceivedEvent } from "../client-events.ts";

export const PASSWORD = "correct horse battery staple";
export const FAST: ClientOptions = { backoff: { initialMs: 50, maxMs: 500 }, gapFillDelayMs: 20, e2ee: { joinWaitMs: 1500, keyPackages: { target: 5 } } };

/** The org owner (first-run setup) and a way to add users and devices. */
export async function makeOrg(baseUrl: string, opts: ClientOptions = {}) {
  const owner = await ParleyClient.setup({
    ...FAST,
    ...opts,
    baseUrl,
    setupToken: TEST_SETUP_TOKEN,
    orgSlug: "acme",
    orgName: "Acme",
    username: "alice",
    displayName: "Alice",
    password: PASSWORD,
    deviceName: "alice laptop",
  });
  const clients: ParleyClient[] = [owner];
  return {
    owner,
    clients,
    /** A new user (invite accepted) with one device. */
    async user(username: string, o: ClientOptions = {}) {
      const invite = await owner.api.call("createInvite", { body: {} });
      const c = await ParleyClient.acceptInvite({
        ...FAST,
        ...o,
        baseUrl,
        token: invite.token,
        username,
        displayName: username,
        password: PASSWORD,
        deviceName: `${username} laptop`,
      });
      clients.push(c);
      return c;
    },
    /** Another device of an existing user (a fresh login). */
    async device(username: string, o: ClientOptions = {}) {
      const c = await ParleyClient.login({ ...FAST, ...o, baseUrl, org: "acme", username, password: PASSWORD, deviceName: `${username} phone` });
      clients.push(c);
      return c;
    },
    async closeAll() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

/** A test server and its org (see {@link makeOrg}), both stopped when the test ends. */
export async function startOrg(
  t: { after(fn: () => unknown): void },
  opts: ClientOptions = {},
  serverOpts?: Parameters<typeof startTestServer>[0],
): Promise<{ server: TestServer; org: Awaited<ReturnType<typeof makeOrg>> }> {
  const server = await startTestServer(serverOpts);
  t.after(() => server.stop());
  const org = await makeOrg(server.url, opts);
  t.after(() => org.closeAll());
  return { server, org };
}

/** {@link startOrg} with the MLS framing check on (as in every deployment), and alice (the owner) and bob connected and live. */
export async function startLivePair(t: { after(fn: () => unknown): void }, opts: ClientOptions = {}) {
  const { server, org } = await startOrg(t, opts, { config: { checkMlsFraming: true } });
  const alice = org.owner;
  const bob = await org.user("bob");
  for (const c of [alice, bob]) c.connect();
  await Promise.all([alice, bob].map((c) => c.waitUntilLive()));
  return { server, org, alice, bob };
}

/** Every app-visible event of `channelId` that `client` emits from now on. */
export function collect(client: ParleyClient, channelId: string): ReceivedEvent[] {
  const got: ReceivedEvent[] = [];
  client.on("event", (e) => {
    if (e.channelId === channelId) got.push(e);
  });
  return got;
}

/** Poll until `cond` holds. */
export async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Texts of the collected events. */
export const texts = (evs: ReceivedEvent[]) => evs.map((e) => e.text ?? `!${e.content.decodeError ?? e.kind}`);
