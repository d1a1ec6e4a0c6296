/**
 * Test-only MLS clients: REAL device identities, KeyPackages and groups from
 * @parley/crypto's client API, talking to a real server over HTTP. Imported by
 * *.test.ts files only (the server itself imports just @parley/crypto/public).
 */
import assert from "node:assert/strict";
import {
  addMembers,
  MLS_ENGINE,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  discardPending,
  epoch,
  generateKeyPackages,
  groupInfoOf,
  joinFromWelcome,
  processMessage,
  type CommitBundle,
  type DeviceIdentity,
  type Group,
  type Processed,
} from "@parley/crypto";
import type { Event } from "@parley/protocol";
import type { ApiResponse, TestUser } from "./factories.ts";

export const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
export const bytes = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

export interface MlsClient {
  user: TestUser;
  identity: DeviceIdentity;
  groups: Map<string, Group>;
  /** Last timeline seq processed per channel. */
  cursors: Map<string, number>;
}

/** A device with a registered directory binding and uploaded KeyPackages. */
export async function mlsClient(u: TestUser, opts: { register?: boolean; keyPackages?: number } = {}): Promise<MlsClient> {
  const identity = await createDeviceIdentity({ orgId: u.org.id, userId: u.user.id, deviceId: u.tokens.deviceId, suite: "default" });
  if (opts.register !== false) {
    const r = await u.api("PUT", "/e2ee/device-identity", {
      suite: "default",
      signaturePublicKey: b64(identity.signaturePublicKey),
      credential: b64(identity.credentialIdentity),
    });
    assert.equal(r.status, 200, `register device: ${JSON.stringify(r.body)}`);
    const kps = [...(await generateKeyPackages(identity, opts.keyPackages ?? 3)), ...(await generateKeyPackages(identity, 1, { lastResort: true }))];
    const up = await u.api("POST", "/e2ee/key-packages", { keyPackages: kps.map((k) => ({ data: b64(k.keyPackage), lastResort: k.lastResort })) });
    assert.equal(up.status, 201, `upload key packages: ${JSON.stringify(up.body)}`);
  }
  return { user: u, identity, groups: new Map(), cursors: new Map() };
}

export function groupOf(c: MlsClient, channelId: string): Group {
  const g = c.groups.get(channelId);
  assert.ok(g, `${c.user.user.username} has no group for ${channelId}`);
  return g;
}

/**
 * Create the channel's group and post the init bundle. `otherSendersFirst` lists
 * other external-sender keys ahead of the server's (so its sender index is not 0).
 */
export async function initChannel(c: MlsClient, channelId: string, opts: { otherSendersFirst?: Uint8Array[] } = {}): Promise<ApiResponse> {
  const cfg = await c.user.api("GET", "/e2ee/config");
  assert.equal(cfg.status, 200);
  const orgId: string = cfg.body.externalSender.orgId;
  const group = await createGroup(c.identity, channelId, {
    externalSenders: [
      ...(opts.otherSendersFirst ?? []).map((signaturePublicKey) => ({ signaturePublicKey, orgId })),
      { signaturePublicKey: bytes(cfg.body.externalSender.signaturePublicKey), orgId },
    ],
  });
  const r = await c.user.api("POST", `/channels/${channelId}/commits`, { engine: MLS_ENGINE, epoch: 0, groupInfo: b64(await groupInfoOf(group)) });
  if (r.status === 200) c.groups.set(channelId, group);
  return r;
}

/**
 * A copy of MLS message bytes with one byte of its signature flipped. Suite
 * "default" (SHA-256, Ed25519): a member's PublicMessage commit ends with
 * signature<V> (64 bytes), confirmation_tag<V> (32) and membership_tag<V> (32),
 * each with a 1-byte length; a GroupInfo ends with its signature<V>.
 */
export function flipSignatureByte(message: Uint8Array, kind: "commit" | "groupInfo"): Uint8Array {
  const out = message.slice();
  const tail = kind === "commit" ? 33 + 33 : 0;
  out[out.length - tail - 10]! ^= 0x01;
  return out;
}

/** The bundle body for a CommitBundle. */
export function bundleBody(b: CommitBundle): { epoch: number; commit: string; welcome?: string; groupInfo: string } {
  return { epoch: Number(b.epoch) - 1, commit: b64(b.commit), ...(b.welcome ? { welcome: b64(b.welcome) } : {}), groupInfo: b64(b.groupInfo) };
}

/** Post a bundle; confirm the pending commit on 200, discard it otherwise. */
export async function postBundle(c: MlsClient, channelId: string, b: CommitBundle, body: object = bundleBody(b)): Promise<ApiResponse> {
  const r = await c.user.api("POST", `/channels/${channelId}/commits`, body);
  const g = groupOf(c, channelId);
  if (r.status === 200) {
    confirmPending(g);
    c.cursors.set(channelId, Math.max(c.cursors.get(channelId) ?? 0, r.body.event.seq));
  } else discardPending(g);
  return r;
}

/** Claim KeyPackages of these users' devices and commit adding them. */
export async function addUsers(c: MlsClient, channelId: string, userIds: string[]): Promise<{ bundle: CommitBundle; res: ApiResponse }> {
  const claim = await c.user.api("POST", "/e2ee/key-packages/claim", { userIds });
  assert.equal(claim.status, 200, JSON.stringify(claim.body));
  const bundle = await addMembers(
    groupOf(c, channelId),
    claim.body.keyPackages.map((k: { keyPackage: string }) => bytes(k.keyPackage)),
  );
  return { bundle, res: await postBundle(c, channelId, bundle) };
}

/** Join from the Welcome announced on the user's stream for this channel. */
export async function joinFromStream(c: MlsClient, channelId: string): Promise<Group> {
  const stream = await c.user.api("GET", "/stream?after=0&limit=200");
  const item = stream.body.items.filter((i: { kind: string; channelId: string }) => i.kind === "mls.welcome" && i.channelId === channelId).at(-1);
  assert.ok(item, "an mls.welcome item on the user stream");
  const w = await c.user.api("GET", `/channels/${channelId}/welcomes/${item.data.welcomeId}`);
  assert.equal(w.status, 200, JSON.stringify(w.body));
  const g = await joinFromWelcome(c.identity, bytes(w.body.welcome), {}, { groupInfo: bytes(w.body.groupInfo) });
  c.groups.set(channelId, g);
  return g;
}

/** Process the channel timeline after the client's cursor (handshakes and messages of the current epoch onwards). */
export async function sync(c: MlsClient, channelId: string): Promise<Array<{ event: Event; processed: Processed }>> {
  const out: Array<{ event: Event; processed: Processed }> = [];
  const r = await c.user.api("GET", `/channels/${channelId}/events?after=${c.cursors.get(channelId) ?? 0}&limit=200`);
  assert.equal(r.status, 200);
  const g = groupOf(c, channelId);
  for (const event of r.body.events as Event[]) {
    c.cursors.set(channelId, event.seq);
    // Older epochs: our own accepted commits, superseded proposals, history before we joined.
    if (BigInt(event.epoch) < epoch(g)) continue;
    out.push({ event, processed: await processMessage(g, bytes(event.content)) });
  }
  return out;
}

/** Poll until the channel has a server "proposal" event for `atEpoch`. */
export async function waitForProposal(u: TestUser, channelId: string, atEpoch: number, timeoutMs = 10_000): Promise<Event> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await u.api("GET", `/channels/${channelId}/events?after=0&limit=200`);
    const found = (r.body.events as Event[]).find((e) => e.kind === "proposal" && e.epoch === atEpoch);
    if (found) return found;
    if (Date.now() > until) assert.fail(`no server proposal for epoch ${atEpoch} in ${channelId}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
