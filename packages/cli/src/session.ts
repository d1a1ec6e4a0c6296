/**
 * The signed-in side of the CLI: a ParleyClient (the SDK) over the profile's
 * FileStore and encrypted MLS key store, so tokens refresh and rotated refresh
 * tokens persist, sends are end-to-end encrypted, idempotent and retried, and
 * a later run resumes the session and its groups; plus lookups by name
 * (channels, users) so commands take names, never ids.
 */
import os from "node:os";
import type { MyChannel, User } from "@parley/protocol";
import { AuthSession, FileStore, ParleyClient, createApi, isParleyError, type Api, type StoredSession } from "@parley/sdk/node";
import type { Ctx } from "./command.ts";
import { e2eeOptions } from "./content.ts";
import { CliError } from "./errors.ts";
import { profileDir } from "./profile.ts";
import { lockProfile } from "./profile-lock.ts";

export interface Online {
  client: ParleyClient;
  api: Api;
  session: StoredSession;
  close(): Promise<void>;
}

/** How long a command waits for the realtime link to replay what this device missed. */
const SYNC_TIMEOUT_MS = 20_000;

/** Open the profile's store (creating the directory 0700, the file 0600). */
function openStore(ctx: Ctx): Promise<FileStore> {
  return FileStore.open(profileDir(ctx.opts, ctx.env));
}

const SIGN_IN = "run `parley login --server URL --org SLUG --username USER` (or pass --profile/--profile-dir, or set PARLEY_API_KEY and PARLEY_SERVER)";

/**
 * The profile's session; with PARLEY_API_KEY set (scripts, CI, bots) and no usable session,
 * a session is opened with the key on the server PARLEY_SERVER names, and kept in the profile.
 */
async function resumeOrApiKey(ctx: Ctx, store: FileStore): Promise<ParleyClient> {
  const e2ee = await e2eeOptions(ctx);
  const apiKey = ctx.env.PARLEY_API_KEY;
  if (!apiKey) return ParleyClient.resume({ store, e2ee });
  try {
    return await ParleyClient.resume({ store, e2ee });
  } catch (err) {
    if (!isParleyError(err, "unauthorized")) throw err;
    const server = ctx.env.PARLEY_SERVER;
    if (!server) throw new CliError("not_signed_in", "PARLEY_API_KEY is set but PARLEY_SERVER is not", "set PARLEY_SERVER=https://chat.example.org as well");
    return ParleyClient.loginWithApiKey({
      baseUrl: serverUrl(server),
      apiKey,
      store,
      e2ee,
      deviceName: `parley cli (API key) on ${os.hostname()}`.slice(0, 80),
    });
  }
}

/** The signed-in client of this profile, or a CliError telling how to sign in. */
export async function signedIn(ctx: Ctx, prepare?: (store: FileStore) => Promise<void>): Promise<Online> {
  const unlock = await lockProfile(profileDir(ctx.opts, ctx.env));
  let store: FileStore | undefined;
  let client: ParleyClient;
  try {
    store = await openStore(ctx);
    await prepare?.(store);
    client = await resumeOrApiKey(ctx, store);
  } catch (err) {
    await store?.close();
    unlock();
    if (isParleyError(err, "unauthorized")) throw new CliError("not_signed_in", "not signed in", SIGN_IN);
    throw err;
  }
  let ended = false;
  client.on("sessionEnded", () => {
    ended = true;
  });
  client.on("error", () => undefined); // background failures (a join retried later) must not crash a one-shot command
  return {
    client,
    api: client.api,
    session: client.session!,
    async close() {
      // Let decryption and own echoes finish so they land in the (sealed) history cache.
      await client.idle().catch(() => undefined);
      try {
        await client.close();
        await store!.close();
      } finally {
        unlock();
      }
      if (ended) throw new CliError("session_ended", "your session has ended (signed out, revoked or deactivated)", "sign in again with `parley login`");
    },
  };
}

/**
 * Run `fn` with the signed-in client; always closes (and persists rotated
 * tokens). With `sync`, the client first connects and processes everything
 * it missed (Welcomes, commits, messages) so its MLS groups are current and
 * newly received messages are decrypted into its history before `fn` runs.
 */
export async function withClient<T>(ctx: Ctx, fn: (o: Online) => Promise<T>, opts: { sync?: boolean } = {}): Promise<T> {
  const o = await signedIn(ctx);
  let result: T;
  try {
    if (opts.sync) {
      o.client.connect();
      await o.client.waitUntilLive(SYNC_TIMEOUT_MS);
      await o.client.settled();
    }
    result = await fn(o);
  } catch (err) {
    await o.close().catch(() => undefined);
    throw err;
  }
  await o.close();
  return result;
}

/** The profile's session as a bare REST client, and a way to forget it (after logout). */
export interface AccountApi {
  api: Api;
  session: StoredSession;
  forget(): Promise<void>;
}

/**
 * Run `fn` with the profile's session over plain REST: no E2EE engine, no realtime link. A
 * session the org restricts to MFA enrolment may call only its own account's routes, and
 * starting the full client (withClient) already fails there; managing one's second factors
 * and signing out go this way so such a session can still enrol or leave.
 */
export async function withAccount<T>(ctx: Ctx, fn: (a: AccountApi) => Promise<T>): Promise<T> {
  const unlock = await lockProfile(profileDir(ctx.opts, ctx.env));
  try {
    const store = await openStore(ctx);
    try {
      const session = await store.loadSession();
      if (!session) throw new CliError("not_signed_in", "not signed in", SIGN_IN);
      // Persists every rotated refresh token to the store, as the full client does.
      const auth = new AuthSession({ store, session });
      try {
        return await fn({ api: createApi({ baseUrl: session.baseUrl, tokens: auth }), session, forget: () => auth.clear() });
      } finally {
        auth.close();
      }
    } finally {
      await store.close();
    }
  } finally {
    unlock();
  }
}

/**
 * Sign in through one of the SDK's entry points (login, setup, invite
 * acceptance) with this profile's store, which then holds the session.
 */
export async function signIn(ctx: Ctx, how: (store: FileStore) => Promise<ParleyClient>): Promise<ParleyClient> {
  const unlock = await lockProfile(profileDir(ctx.opts, ctx.env));
  try {
    const store = await openStore(ctx);
    try {
      const client = await how(store);
      await client.close();
      return client;
    } finally {
      await store.close();
    }
  } finally {
    unlock();
  }
}

/** Normalise --server: an origin without trailing slash; a bare host:port gets http://. */
export function serverUrl(value: string): string {
  const v = /^https?:\/\//.test(value) ? value : `http://${value}`;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new CliError("usage", `--server '${value}' is not a URL`, "pass e.g. --server http://127.0.0.1:8080", 2);
  }
  return u.origin;
}

/** The org's users, indexed by id and username. */
export async function directory(api: Api): Promise<{ users: User[]; byName(username: string): User; name(id: string): string }> {
  const { users } = await api.call("listUsers", { query: { includeDeactivated: "true" } });
  const byId = new Map(users.map((u) => [u.id, u]));
  return {
    users,
    byName(username) {
      const clean = username.replace(/^@/, "");
      const u = users.find((x) => x.username === clean);
      if (!u) throw new CliError("not_found", `no user "${clean}" in this organisation`, "list them with `parley users`");
      return u;
    },
    name: (id) => byId.get(id)?.username ?? id,
  };
}

/**
 * A channel the user is in, by name (`general`, `#general`), by id, or
 * `@user[,user2]` for the DM with those users (opened, with its MLS group, if needed).
 */
export async function resolveChannel(client: ParleyClient, ref: string): Promise<MyChannel> {
  const api = client.api;
  if (ref.startsWith("@")) {
    const dir = await directory(api);
    const ids = ref
      .slice(1)
      .split(",")
      .filter(Boolean)
      .map((n) => dir.byName(n).id);
    // Through the client: a DM opened for the first time gets its MLS group.
    return client.openDm(ids);
  }
  const name = ref.replace(/^#/, "");
  const { channels } = await api.call("listChannels");
  const found =
    channels.find((c) => c.id === name) ?? channels.find((c) => c.name === name) ?? channels.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  throw new CliError(
    "not_found",
    `you are not in a channel named "${name}"`,
    "see `parley channel list`, or find public ones with `parley channel browse` and `parley channel join NAME`",
  );
}
