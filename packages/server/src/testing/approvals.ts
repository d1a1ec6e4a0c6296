/**
 * Test-only: a user's devices for device approval (ADR 0007), with real directory bindings,
 * approvals and hand-off keys from @parley/crypto, driven over HTTP.
 */
import { approvalCommitment, createDeviceIdentity, generateApprovalKeyPair, signDeviceApproval, type X25519KeyPair } from "@parley/crypto";
import type { UserStreamItem } from "@parley/protocol";
import type { ParleyServer } from "../server.ts";
import { asTestUser, loginUser, type TestUser } from "./factories.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** A signed-in device of a user, and its MLS signature key once bound. */
export interface TestDevice extends TestUser {
  deviceId: string;
  signatureKey: Uint8Array | null;
}

/** `u`'s signed-in device as a {@link TestDevice} (not bound yet). */
export function deviceOf(u: TestUser): TestDevice {
  return { ...u, deviceId: u.tokens.deviceId, signatureKey: null };
}

/** Signs `u` in again as a new device called `name`. */
export async function newDevice(server: Pick<ParleyServer, "url">, u: TestUser, name: string): Promise<TestDevice> {
  return deviceOf(asTestUser(server, await loginUser(server, u.org.slug, u.user.username, u.password, { deviceName: name }), u.password));
}

/** Registers the device's MLS signature key in the directory (PUT /e2ee/device-identity). */
export async function bindDevice(d: TestDevice): Promise<TestDevice> {
  const id = await createDeviceIdentity({ orgId: d.org.id, userId: d.user.id, deviceId: d.deviceId, suite: "default" });
  const r = await d.api("PUT", "/e2ee/device-identity", {
    suite: id.suite,
    signaturePublicKey: b64(id.signaturePublicKey),
    credential: b64(id.credentialIdentity),
  });
  if (r.status !== 200) throw new Error(`bind ${d.deviceId}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  d.signatureKey = id.signaturePublicKey;
  return d;
}

/** The identity key's approval signature (base64) of `deviceId` with `key` (a forgery when any of them is not the real one). */
export function approvalSignature(identityPrivateKey: Uint8Array, d: Pick<TestUser, "org" | "user">, deviceId: string, key: Uint8Array): string {
  return b64(signDeviceApproval(identityPrivateKey, { orgId: d.org.id, userId: d.user.id, deviceId, deviceSignaturePublicKey: key }).signature);
}

/** A new device's side of a handshake: its ephemeral key and the commitment it publishes first. */
export function askingKeys(d: TestDevice): { keys: X25519KeyPair; commitment: string } {
  const keys = generateApprovalKeyPair();
  return { keys, commitment: b64(approvalCommitment(keys.publicKey, d.deviceId)) };
}

/** The user's stream items after `after`, every page. */
async function streamAfter(u: TestUser, after: number): Promise<UserStreamItem[]> {
  const out: UserStreamItem[] = [];
  for (;;) {
    const r = await u.api("GET", `/stream?after=${after}&limit=200`);
    if (r.status !== 200) throw new Error(`stream: HTTP ${r.status}`);
    const items = r.body.items as UserStreamItem[];
    out.push(...items);
    if (!r.body.hasMore) return out;
    after = items[items.length - 1]!.seq;
  }
}

/** The user's stream items of the approval kinds after `after`. */
export async function approvalItems(u: TestUser, after: number): Promise<UserStreamItem[]> {
  return (await streamAfter(u, after)).filter((i) => i.kind.startsWith("approval."));
}

/** The user's last stream seq. */
export async function streamHead(u: TestUser): Promise<number> {
  return (await streamAfter(u, 0)).at(-1)?.seq ?? 0;
}
