/**
 * The E2EE state-persistence benchmark's scenario, shared by Node (run.ts) and the
 * browser worker (browser-entry.ts): two real SDK devices (`ParleyClient` with its
 * `E2eeEngine`, on the platform's production stores) in one channel, alice sending and
 * bob receiving, with the group state persisted as the engine does it in production.
 *
 * The network is left out of the measured part: the sender's figure is the engine's
 * `encrypt` (what `client.send` does before the outbox), and the receiver's events are
 * built from those ciphertexts and fed to the engine as the sync engine does (local
 * store append + cursor, then `e2ee.receive`). Setup goes through a real server.
 */
import type { bytesToBase64, KeyStore, LocalStore, newClientId, ParleyClient, ReceivedEvent } from "@parley/sdk";
import type { Event } from "@parley/protocol";

/**
 * The SDK under test, passed in rather than imported: the same scenario runs this
 * tree's SDK and an earlier commit's (the "today" baseline, see baseline.ts).
 */
export interface Sdk {
  ParleyClient: typeof ParleyClient;
  bytesToBase64: typeof bytesToBase64;
  newClientId: typeof newClientId;
}

/** A device's stores: what persists across its runs. */
export interface Profile {
  store: LocalStore;
  keyStore: KeyStore;
  /** Called with every event the device shows (the web worker puts them in its event cache). */
  onEvent?: (e: ReceivedEvent) => void;
  /** Release the stores once the device closed (browser: database connections). */
  close?: () => Promise<void>;
}

/** Opens a device's stores (a fresh object each time: each round is a new run of the device). */
export type OpenProfile = (device: "alice" | "bob") => Promise<Profile>;

/** How the group state is persisted in a round. */
export interface Mode {
  name: string;
  persist: { maxEvents?: number; maxDelayMs?: number };
}

/**
 * The configurations every run compares: the SDK before this change ("today": state and
 * meta saved after every message, history left to the store's own timer), this SDK saving
 * after every message (with the history flushed before each save), and this SDK saving per
 * batch (the default).
 */
export const MODES: Array<Mode & { baseline?: true }> = [
  { name: "today", persist: {}, baseline: true },
  { name: "per message", persist: { maxEvents: 1 } },
  { name: "batched", persist: {} },
];

/** One round of one mode. */
export interface RoundResult {
  mode: string;
  messages: number;
  sendMs: number;
  receiveMs: number;
  /** CPU ms of the process (Node only: user + system). */
  sendCpuMs?: number;
  receiveCpuMs?: number;
}

const cpuMs = (): number | undefined => {
  const p = (globalThis as { process?: { cpuUsage(): { user: number; system: number } } }).process;
  if (!p) return undefined;
  const u = p.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function client(sdk: Sdk, profile: Profile, persist: Mode["persist"], login?: Login): Promise<ParleyClient> {
  // No self-update commits mid-run (they come every 1,000 messages by default): the bench feeds
  // bob alice's messages only, so a commit would leave him waiting for it.
  const selfUpdate = { messages: 1e12, intervalMs: 1e15 };
  const opts = { store: profile.store, e2ee: { keyStore: profile.keyStore, persist, keyPackages: { target: 3 }, selfUpdate } };
  const c = login ? await sdk.ParleyClient.login({ ...opts, ...login, deviceName: `bench ${login.username}` }) : await sdk.ParleyClient.resume(opts);
  if (profile.onEvent) c.on("event", profile.onEvent);
  c.on("error", (err) => console.error(`bench: ${login?.username ?? "resumed"} device error:`, err));
  return c;
}

/** What the sync engine does with a page of channel events: store them, move the cursor, hand them to the engine. */
async function feed(c: ParleyClient, channelId: string, events: Event[]): Promise<void> {
  await c.store.appendEvents(channelId, events);
  await c.store.setChannelCursor(channelId, events[events.length - 1]!.seq);
  await c.e2ee!.receive(channelId, events);
}

/** Fetch and process the channel's events after the device's cursor (no WebSocket needed). */
async function syncChannel(c: ParleyClient, channelId: string): Promise<number> {
  let after = (await c.store.loadCursors()).channels[channelId] ?? 0;
  for (;;) {
    const page = await c.api.call("listEvents", { params: { channelId }, query: { after, limit: 200 } });
    if (page.events.length === 0) break;
    await feed(c, channelId, page.events);
    after = page.events[page.events.length - 1]!.seq;
  }
  await c.idle();
  return after;
}

/** Process the device's user stream (its Welcomes). */
async function syncUser(c: ParleyClient): Promise<void> {
  const page = await c.api.call("userStream", { query: { after: 0, limit: 200 } });
  await c.e2ee!.onUserItems(page.items);
}

/** Where and as whom a device signs in. */
export interface Login {
  baseUrl: string;
  org: string;
  username: string;
  password: string;
}

/** Sign a new device in (it registers its identity and uploads KeyPackages); returns the user's id. */
export async function signIn(sdk: Sdk, profile: Profile, login: Login): Promise<string> {
  const c = await client(sdk, profile, {}, login);
  const userId = c.userId;
  await c.close();
  await profile.close?.();
  return userId;
}

/**
 * alice creates a private channel with `memberIds` and its group; with `bulkUserId`, she
 * then adds every device of that user (one commit).
 */
export async function createChannel(sdk: Sdk, open: OpenProfile, memberIds: string[], bulkUserId?: string, log?: (s: string) => void): Promise<string> {
  const profile = await open("alice");
  const alice = await client(sdk, profile, {});
  const ch = await alice.createChannel({ kind: "private", name: "bench", members: memberIds });
  if (bulkUserId) {
    const t0 = performance.now();
    await alice.addMembers(ch.id, [bulkUserId]);
    log?.(`added the bulk devices in ${Math.round(performance.now() - t0)} ms`);
  }
  await alice.close();
  await profile.close?.();
  return ch.id;
}

/** bob joins from his Welcome and processes the channel's timeline; returns its last seq and the group's size. */
export async function joinChannel(sdk: Sdk, open: OpenProfile, channelId: string): Promise<{ lastSeq: number; members: number }> {
  const profile = await open("bob");
  const bob = await client(sdk, profile, {});
  await syncUser(bob);
  const lastSeq = await syncChannel(bob, channelId);
  const members = bob.e2ee!.members(channelId)?.length ?? 0;
  await bob.close();
  await profile.close?.();
  return { lastSeq, members };
}

/**
 * Sign alice (the org owner) and bob in as new devices, create a private channel with
 * its group (bob joins from his Welcome), and, when `bulkUserId` is given, add every
 * device of that user so the group has 2 + that many members.
 * @returns the channel and its last seq
 */
export async function setupChannel(
  sdk: Sdk,
  opts: { baseUrl: string; org: string; password: string; open: OpenProfile; bulkUserId?: string; log?: (s: string) => void },
): Promise<{ channelId: string; lastSeq: number }> {
  const login = (username: string): Login => ({ baseUrl: opts.baseUrl, org: opts.org, username, password: opts.password });
  const bobId = await signIn(sdk, await opts.open("bob"), login("bob"));
  await signIn(sdk, await opts.open("alice"), login("owner"));
  const channelId = await createChannel(sdk, opts.open, [bobId], opts.bulkUserId, opts.log);
  const { lastSeq, members } = await joinChannel(sdk, opts.open, channelId);
  opts.log?.(`channel ${channelId}: ${members} members on bob's device, last seq ${lastSeq}`);
  return { channelId, lastSeq };
}

/** One phase of a round: its wall-clock ms and (Node only) CPU ms of the process. */
export interface PhaseResult {
  ms: number;
  cpuMs?: number;
}

/**
 * The sending half of a round: alice's engine encrypts `n` messages one after another
 * (what `client.send` does before the outbox), then closes, which saves what is unsaved:
 * the figure is for messages whose state is persisted.
 * @returns the timing and the events the server would have made of the messages (seqs from `firstSeq`)
 */
export async function sendPhase(
  sdk: Sdk,
  open: OpenProfile,
  mode: Mode,
  channelId: string,
  firstSeq: number,
  n: number,
  onStart?: () => void,
): Promise<PhaseResult & { events: Event[] }> {
  const profile = await open("alice");
  const alice = await client(sdk, profile, mode.persist);
  const events: Event[] = [];
  onStart?.();
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const seq = firstSeq + i;
    const clientId = sdk.newClientId();
    const out = await alice.e2ee!.encrypt(
      channelId,
      { text: `message ${seq} ${"x".repeat(120)}` },
      { clientId, kind: "message", threadRoot: null, target: null },
    );
    events.push({
      id: `ev_bench_${seq}`,
      channelId,
      seq,
      clientId,
      senderId: alice.userId,
      senderDeviceId: alice.session!.deviceId,
      kind: "message",
      generation: 0,
      epoch: out.epoch,
      content: sdk.bytesToBase64(out.bytes),
      threadRoot: null,
      target: null,
      mentions: [],
      createdAt: Date.now(),
      files: [],
    });
  }
  await alice.close();
  const ms = performance.now() - t0;
  const c1 = cpuMs();
  await profile.close?.();
  return { ms, ...(c0 !== undefined ? { cpuMs: c1! - c0 } : {}), events };
}

/**
 * The receiving half: bob's engine gets `events` in pages of `page` (as a replay delivers
 * them: local store append, cursor, engine) until every one was shown, then closes.
 */
export async function receivePhase(
  sdk: Sdk,
  open: OpenProfile,
  mode: Mode,
  channelId: string,
  events: Event[],
  page = 100,
  onStart?: () => void,
): Promise<PhaseResult> {
  const profile = await open("bob");
  const bob = await client(sdk, profile, mode.persist);
  let shown = 0;
  let bad = 0;
  bob.on("event", (e) => {
    if (e.channelId !== channelId) return;
    shown++;
    if (e.content.decodeError) bad++;
  });
  onStart?.();
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += page) await feed(bob, channelId, events.slice(i, i + page));
  await bob.idle();
  await bob.close();
  const ms = performance.now() - t0;
  const c1 = cpuMs();
  await profile.close?.();
  if (shown !== events.length || bad > 0) throw new Error(`bob showed ${shown} of ${events.length} messages, ${bad} undecryptable`);
  return { ms, ...(c0 !== undefined ? { cpuMs: c1! - c0 } : {}) };
}

/** Both halves in one process. */
export async function round(
  sdk: Sdk,
  open: OpenProfile,
  mode: Mode,
  channelId: string,
  firstSeq: number,
  n: number,
  opts: { page?: number; onPhase?: (phase: "send" | "receive") => void } = {},
): Promise<{ result: RoundResult; nextSeq: number }> {
  const send = await sendPhase(sdk, open, mode, channelId, firstSeq, n, () => opts.onPhase?.("send"));
  const receive = await receivePhase(sdk, open, mode, channelId, send.events, opts.page, () => opts.onPhase?.("receive"));
  const result: RoundResult = { mode: mode.name, messages: n, sendMs: send.ms, receiveMs: receive.ms };
  if (send.cpuMs !== undefined) Object.assign(result, { sendCpuMs: send.cpuMs, receiveCpuMs: receive.cpuMs });
  return { result, nextSeq: firstSeq + n };
}

/** Median of `xs`. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Messages per second of each mode and phase, median over rounds (and per CPU second where measured). */
export function summarize(rounds: RoundResult[]): Record<string, { send: number; receive: number; sendCpu?: number; receiveCpu?: number }> {
  const out: Record<string, { send: number; receive: number; sendCpu?: number; receiveCpu?: number }> = {};
  for (const mode of new Set(rounds.map((r) => r.mode))) {
    const rs = rounds.filter((r) => r.mode === mode);
    const rate = (ms: number, r: RoundResult) => (r.messages * 1000) / ms;
    out[mode] = { send: Math.round(median(rs.map((r) => rate(r.sendMs, r)))), receive: Math.round(median(rs.map((r) => rate(r.receiveMs, r)))) };
    if (rs.every((r) => r.sendCpuMs !== undefined)) {
      out[mode]!.sendCpu = Math.round(median(rs.map((r) => rate(r.sendCpuMs!, r))));
      out[mode]!.receiveCpu = Math.round(median(rs.map((r) => rate(r.receiveCpuMs!, r))));
    }
  }
  return out;
}
