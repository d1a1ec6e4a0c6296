/**
 * The client worker: runs the whole ParleyClient (REST, WebSocket, sync,
 * outbox and MLS) off the page's main thread, so decrypting a burst of
 * thousands of messages never blocks typing or scrolling. The page talks to
 * it through protocol.ts. Persistence lives here too (IndexedDB: the sealed
 * key store, session store and history cache); the page holds no tokens.
 */
import { BrowserKeyStore } from "@parley/crypto/browser";
import {
  isParleyError,
  type ClientOptions,
  type FileDescriptor,
  type NewReminder,
  type ParleyClient,
  type ReceivedEvent,
  type SecondFactor,
  type StoredSession,
} from "@parley/sdk";
import type { Event as ServerEvent, MfaChallenge } from "@parley/protocol";
import { exportWithHistory, serverExport } from "./data-export.ts";
import { serializeError } from "./errors.ts";
import { EventCache, LEGACY_DB } from "./event-cache.ts";
import { deleteDb } from "./idb.ts";
import { IdbStore } from "./idb-store.ts";
import { WorkerSearch } from "./search-index.ts";
import { CallRelay } from "./call-relay.ts";
import { signIn, type EnrolmentSession } from "./sign-in.ts";
import {
  CLIENT_METHODS,
  FORWARDED_EVENTS,
  type Command,
  type CommandBody,
  type ForwardedEvent,
  type LockerAction,
  type ApprovalAction,
  type AvatarImage,
  type PageSession,
  type PersonalAction,
  type PersonalSnapshot,
  type ReminderAction,
  type StartInput,
  type StartResult,
  type WorkerMessage,
} from "./protocol.ts";
import { fromWire, toWire } from "./streams.ts";

/** The parts of DedicatedWorkerGlobalScope used here (the web tsconfig has the DOM lib, not "webworker"). */
interface WorkerScope {
  postMessage(message: WorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent) => void) | null;
}
const scope = self as unknown as WorkerScope;

/** Events are posted in batches at most this often: one message per burst instead of one per event. */
const BATCH_MS = 10;
const ALLOWED = new Set<string>(CLIENT_METHODS);

let keys: BrowserKeyStore | undefined;
let store: IdbStore | undefined;
let cache: EventCache | undefined;
let client: ParleyClient | undefined;
/** The session while the org's MFA policy restricts it to enrolling (no client yet). */
let enrolment: EnrolmentSession | undefined;
/** The sign-in waiting for the page's answer to its `secondFactor` push. */
let awaitingFactor: ((answer: SecondFactor) => void) | undefined;
let search: WorkerSearch | undefined;
let calls: CallRelay | undefined;
let batch: Array<[ForwardedEvent, unknown]> = [];
let batchTimer: ReturnType<typeof setTimeout> | undefined;
let stateTimer: ReturnType<typeof setInterval> | undefined;
let lastState = "";

scope.onmessage = (ev) => {
  const m = ev.data as { t?: string; online?: boolean };
  // The page's online/offline signal (forwarded by WorkerLink): re-dispatched here, where the SDK
  // connection listens for it; a dedicated worker does not see every change the page sees.
  if (m.t === "network") return void self.dispatchEvent(new Event(m.online ? "online" : "offline"));
  void handle(ev.data as Command);
};

async function handle(cmd: Command): Promise<void> {
  try {
    const { value, transfer = [] } = await run(cmd);
    scope.postMessage({ t: "reply", id: cmd.id, ok: true, value }, transfer);
  } catch (err) {
    scope.postMessage({ t: "reply", id: cmd.id, ok: false, error: serializeError(err) });
  }
}

// The key locker runs in the worker like the rest of E2EE: only the recovery key (typed or shown) crosses to the page.
async function lockerOp(action: LockerAction, recoveryKey: string | undefined): Promise<unknown> {
  const locker = need().e2ee?.locker;
  if (!locker) throw new Error("end-to-end encryption is off");
  switch (action) {
    case "status":
      return locker.status();
    case "setUp":
      return locker.setUp();
    case "restore":
      return locker.restore(recoveryKey ?? "");
    case "changeRecoveryKey":
      return locker.changeRecoveryKey();
  }
}

// Device approval runs in the worker too: ephemeral keys and the handed-over private keys never reach the page.
async function approvalOp(action: ApprovalAction, requestId = "", userIds: string[] = []): Promise<unknown> {
  const approvals = need().e2ee?.approvals;
  if (!approvals) throw new Error("end-to-end encryption is off");
  switch (action) {
    case "request":
      return approvals.request();
    case "code":
      return approvals.code(requestId);
    case "await":
      return approvals.awaitApproval(requestId);
    case "cancel":
      return approvals.cancel(requestId);
    case "pending":
      return approvals.pending();
    case "accept":
      return approvals.accept(requestId);
    case "confirm":
      return approvals.confirm(requestId);
    case "decline":
      return approvals.decline(requestId);
    case "trust":
      return approvals.trust(userIds);
  }
}

async function run(cmd: CommandBody): Promise<{ value: unknown; transfer?: Transferable[] }> {
  switch (cmd.op) {
    case "start":
      return { value: await start(cmd.baseUrl, cmd.start) };
    case "secondFactor": {
      const answer = awaitingFactor;
      awaitingFactor = undefined;
      if (!answer) throw new Error("no sign-in is waiting for a code");
      answer(cmd.answer);
      return { value: undefined };
    }
    case "call": {
      if (!ALLOWED.has(cmd.method)) throw new Error(`unknown client method ${cmd.method}`);
      const c = need();
      const fn = c[cmd.method] as (...args: unknown[]) => unknown;
      const value = await fn.apply(c, cmd.args);
      postState();
      return { value: value === undefined ? undefined : stripped(value) };
    }
    case "api": {
      // A session restricted to enrolling has no client: its own REST session makes the (few) calls it may.
      const api = client?.api ?? enrolment?.api ?? need().api;
      return { value: await (api.call as (route: string, input: unknown) => Promise<unknown>)(cmd.route, cmd.input) };
    }
    case "older":
      return { value: await older(cmd.channelId, cmd.before, cmd.limit) };
    case "sendFile": {
      const data = cmd.data instanceof Uint8Array ? cmd.data : fromWire(cmd.data);
      const value = await need().sendFile(cmd.channelId, data, cmd.opts);
      postState();
      return { value };
    }
    case "downloadFile": {
      const { wire, transfer } = toWire(await need().downloadFile(cmd.file as FileDescriptor));
      return { value: wire, transfer };
    }
    case "avatar": {
      const image = await avatar(cmd.userId);
      return image ? { value: image, transfer: [image.bytes.buffer] } : { value: null };
    }
    case "emojiImage": {
      const img = await image(`/emoji/${encodeURIComponent(cmd.name)}/image`);
      return img ? { value: img, transfer: [img.bytes.buffer] } : { value: null };
    }
    case "personal":
      return { value: await personalOp(cmd.action, cmd.args) };
    case "reminders":
      return { value: await remindersOp(cmd.action, cmd.args) };
    case "dataExport": {
      const c = need();
      const out = cmd.history ? await exportWithHistory(c, (events) => readable(c, events), cmd.history) : await serverExport(c.api, cmd.userId);
      return { value: out, transfer: [out.bytes.buffer] };
    }
    case "search":
      if (!search) throw new Error("search is not available on this device");
      return { value: search.query(cmd.query, { ...(cmd.channelId ? { channelId: cmd.channelId } : {}), limit: cmd.limit ?? 50 }) };
    case "locker":
      return { value: await lockerOp(cmd.action, cmd.recoveryKey) };
    case "keywords": {
      const locker = need().e2ee?.locker;
      if (!locker) throw new Error("end-to-end encryption is off");
      return { value: "seal" in cmd ? await locker.sealKeywords(cmd.seal) : await locker.openKeywords(cmd.open) };
    }
    case "approval":
      return { value: await approvalOp(cmd.action, cmd.requestId, cmd.userIds) };
    case "calls": {
      if (!calls) throw new Error("the client worker is not signed in");
      return { value: await calls.run(cmd.method, cmd.args) };
    }
    case "callSfu": {
      if (!calls) throw new Error("the client worker is not signed in");
      return { value: await calls.runSfu(cmd.method, cmd.args) };
    }
    case "callKeys": {
      if (!calls) throw new Error("the client worker is not signed in");
      return { value: await calls.keys(cmd.channelId, cmd.follow) };
    }
    case "close":
      return { value: await shutdown() };
    case "signOut": {
      // Offline or already ended: wiped below either way.
      if (cmd.logout) await (client ? client.logout() : enrolment?.logout())?.catch(() => undefined);
      await shutdown();
      // This device's keys, session and decrypted history go with the session: the next sign-in is a new device.
      await Promise.all([BrowserKeyStore.wipe(), IdbStore.wipe(), EventCache.wipe(), WorkerSearch.wipe(), deleteDb(LEGACY_DB)]);
      return { value: undefined };
    }
  }
}

// The picture is an authenticated raw response (not JSON), so it comes through api.raw; none is a 404.
/** The synced settings the page reads. */
const PERSONAL_SETTINGS = ["emoji.usage"];

// The personal store runs in the worker, where the locker key is: the page gets opened items only.
async function personalOp(action: PersonalAction, args: unknown[]): Promise<PersonalSnapshot> {
  const p = need().personal;
  try {
    if (action === "snapshot") await p.sync();
    else if (action === "save") await p.save(args[0] as Parameters<typeof p.save>[0]);
    else if (action === "unsave") await p.unsave(args[0] as string, args[1] as number);
    else if (action === "setDraft") await p.setDraft(args[0] as string, args[1] as string, (args[2] as number | null) ?? null);
    else await p.setSetting(args[0] as string, args[1]);
  } catch (err) {
    if (isParleyError(err) && err.code === "locker_unavailable") return { available: false, saved: [], drafts: [], settings: {} };
    throw err;
  }
  const settings: Record<string, unknown> = {};
  for (const name of PERSONAL_SETTINGS) settings[name] = await p.setting(name);
  return { available: true, saved: p.saved(), drafts: p.drafts(), settings };
}

// Reminders open their sealed notes here, like the personal store they live in.
async function remindersOp(action: ReminderAction, args: unknown[]): Promise<unknown> {
  const r = need().reminders;
  if (action === "list") return r.list();
  if (action === "create") return r.create(args[0] as NewReminder);
  if (action === "snooze") return r.snooze(args[0] as string, args[1] as number);
  return r.dismiss(args[0] as string);
}

async function avatar(userId: string): Promise<AvatarImage | undefined> {
  return image(`/users/${encodeURIComponent(userId)}/avatar`);
}

/** An image the API serves (profile pictures, custom emoji), or undefined when there is none. */
async function image(path: string): Promise<AvatarImage | undefined> {
  let res: Response;
  try {
    res = await need().api.raw("GET", path);
  } catch (err) {
    if (isParleyError(err) && err.code === "not_found") return undefined;
    throw err;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { type: res.headers.get("content-type")?.split(";")[0]?.trim() || "application/octet-stream", bytes };
}

function need(): ParleyClient {
  if (!client) throw new Error("the client worker is not signed in");
  return client;
}

async function start(baseUrl: string, input: StartInput): Promise<StartResult | undefined> {
  if (client) throw new Error("the client worker is already signed in");
  keys ??= await BrowserKeyStore.open();
  cache ??= await EventCache.open(keys);
  store ??= await IdbStore.open(keys, { history: cache });
  void deleteDb(LEGACY_DB); // the unsealed cache of earlier builds
  // Enrolled (or signing in again): the restricted session's tokens are saved; the client takes them over.
  enrolment?.close();
  enrolment = undefined;
  const opts: ClientOptions & { store: IdbStore } = { store, e2ee: { keyStore: keys } };
  const signedIn = await signIn(baseUrl, input, opts, askSecondFactor);
  if (!signedIn) return undefined;
  if ("enrolment" in signedIn) {
    const me = await signedIn.enrolment.api.call("me").catch((err: unknown) => {
      signedIn.enrolment.close();
      throw err;
    });
    enrolment = signedIn.enrolment;
    return { enrolmentRequired: true, me: me.user, org: me.org };
  }
  client = signedIn.client;
  const c = client;
  for (const name of FORWARDED_EVENTS) c.on(name, (payload: unknown) => forward(name, payload));
  calls = new CallRelay(c, (m) => scope.postMessage(m));
  const me = await c.api.call("me");
  // Search across channels: its own pages are the app's (cached copies first), so device-only channels are found too.
  search = await WorkerSearch.open(c, { history: (id, o = {}) => older(id, o.before ?? Number.MAX_SAFE_INTEGER, o.limit ?? 200) }, keys);
  stateTimer = setInterval(postState, 500);
  return {
    me: me.user,
    org: me.org,
    codec: { name: c.codec.name, encrypted: c.codec.encrypted },
    session: pageSession(c.session)!,
    e2eeConfig: c.e2ee?.config,
  };
}

// The SDK asks for the second factor; the page shows the code step and answers with the `secondFactor` command.
function askSecondFactor(challenge: MfaChallenge, previousError?: unknown): Promise<SecondFactor> {
  return new Promise((resolve) => {
    awaitingFactor = resolve;
    scope.postMessage({ t: "secondFactor", challenge, previousError: previousError === undefined ? undefined : serializeError(previousError) });
  });
}

function forward(name: ForwardedEvent, payload: unknown): void {
  if (name === "event") {
    const e = payload as ReceivedEvent;
    cache?.put(e);
    payload = strip(e);
  } else if (name === "sessionEnded" || name === "error") {
    payload = serializeError(payload);
  } else if (name === "sendFailed") {
    const f = payload as { entry: unknown; error: unknown };
    payload = { entry: f.entry, error: serializeError(f.error) };
  }
  batch.push([name, payload]);
  batchTimer ??= setTimeout(flushBatch, BATCH_MS);
}

function flushBatch(): void {
  batchTimer = undefined;
  if (!batch.length) return;
  const out = batch;
  batch = [];
  scope.postMessage({ t: "events", batch: out });
}

function postState(): void {
  if (!client) return;
  void calls?.check();
  const state = { t: "state" as const, pendingSends: client.pendingSends, session: pageSession(client.session) };
  const key = JSON.stringify(state);
  if (key === lastState) return;
  lastState = key;
  scope.postMessage(state);
}

// The page needs the ids, never the tokens.
function pageSession(s: StoredSession | undefined): PageSession | undefined {
  if (!s) return undefined;
  const { accessToken: _a, refreshToken: _r, accessExpiresAt: _e, ...rest } = s;
  return rest;
}

// The page never needs ciphertext: drop it before copying events across.
function strip(e: ReceivedEvent): ReceivedEvent {
  return { ...e, raw: { ...e.raw, content: "" } };
}

function stripped(value: unknown): unknown {
  if (Array.isArray(value) && value.every(isReceived)) return value.map(strip);
  if (value && typeof value === "object" && Array.isArray((value as { events?: unknown }).events)) {
    const v = value as { events: unknown[] };
    if (v.events.every(isReceived)) return { ...v, events: (v.events as ReceivedEvent[]).map(strip) };
  }
  return value;
}

function isReceived(v: unknown): v is ReceivedEvent {
  return !!v && typeof v === "object" && "raw" in v && "content" in v;
}

// Older history: the server's page, each event from this device's own decrypted copy when it has one (MLS ciphertext
// opens once; device-only channels have no archive copy), else decoded (archive copies: fast history).
// The server's page, not the cache's, says which events are the newest: a device still working
// through a backlog holds only older ones. Offline, the cache alone.
async function older(channelId: string, before: number, limit: number): Promise<{ events: ReceivedEvent[]; hasMore: boolean }> {
  const c = need();
  const [page, cached] = await Promise.all([
    c.api.call("listEvents", { params: { channelId }, query: { before, limit } }).catch((err: unknown) => err as Error),
    cache!.before(channelId, before, limit),
  ]);
  if (page instanceof Error) {
    if (cached.length) return { events: cached, hasMore: cached[0]!.seq > 1 };
    throw page;
  }
  return { events: await merged(c, page.events, cached), hasMore: page.hasMore };
}

// Server events of one channel as this device reads them: its own decrypted copy when it has one, else decoded.
async function merged(c: ParleyClient, events: ServerEvent[], cached: ReceivedEvent[]): Promise<ReceivedEvent[]> {
  const held = new Map(cached.map((e) => [e.seq, e]));
  const decoded = new Map((await c.decode(events.filter((e) => !held.has(e.seq)))).map((e) => [e.seq, strip(e)]));
  return events.map((e) => held.get(e.seq) ?? decoded.get(e.seq)!);
}

// A page of one channel's events (ascending) as `older` reads them, for the history export: the cached copies in its seq range.
async function readable(c: ParleyClient, events: ServerEvent[]): Promise<ReceivedEvent[]> {
  const first = events[0];
  const last = events[events.length - 1];
  if (!first || !last) return [];
  const cached = await cache!.before(first.channelId, last.seq + 1, last.seq - first.seq + 1);
  return merged(c, events, cached);
}

async function shutdown(): Promise<void> {
  if (stateTimer) clearInterval(stateTimer);
  enrolment?.close();
  enrolment = undefined;
  await search?.close().catch(() => undefined);
  search = undefined;
  calls?.close();
  calls = undefined;
  flushBatch();
  await client?.close().catch(() => undefined);
  client = undefined;
  await cache?.flush().catch(() => undefined);
  cache?.close();
  await store?.close().catch(() => undefined);
  keys?.close();
  cache = undefined;
  store = undefined;
  keys = undefined;
}
