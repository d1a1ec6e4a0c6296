/**
 * Device approval from a device (issue 9, ADR 0007 "cross-signing"). A new device of a user asks
 * to be approved; another device of the user that holds the user's identity key accepts; both
 * show the same six-digit code; once the user confirms it on the approving device, that device
 * seals the user's private keys (locker and identity) to the new device and posts the new
 * device's approval, signed with the identity key. The new device then reads the whole key
 * locker: every channel's past.
 *
 * The steps are separate calls (the web app runs them in its worker, one message each; the CLI
 * in a row): new device `request` → `code` → `awaitApproval`; approving device `pending` →
 * `accept` (returns the code) → `confirm` or `decline`. The handshake's ephemeral private keys
 * live in memory only: a device that restarts mid-way starts a new request.
 *
 * Trust: `trust(userIds)` verifies each user's approvals against the device directory's bindings
 * and the user's identity key, which is pinned the first time this device sees it (a server that
 * later answers with another key gets no device trusted, and `identityKeyChanged` says so).
 */
import {
  approvalCode,
  approvalCommitment,
  checkApprovalCommitment,
  generateApprovalKeyPair,
  openFromDevice,
  sealToDevice,
  signDeviceApproval,
  verifyDeviceApproval,
  type DeviceIdentity,
  type HandoffContext,
  type KeyStore,
  type UserSecrets,
  type X25519KeyPair,
} from "@parley/crypto";
import type { ApprovalRequest, ApprovalState } from "@parley/protocol";
import { base64ToBytes, bytesToBase64 } from "../codec.ts";
import { ParleyError } from "../errors.ts";
import type { Api } from "../http.ts";
import type { DeviceDirectory } from "./directory.ts";
import { equalBytes } from "./bytes.ts";
import type { KeyLocker } from "./locker.ts";

const PIN = "sdk/identity-pin/";
const OPEN: ReadonlySet<ApprovalState> = new Set(["pending", "accepted", "revealed"]);

/** Which devices of a user this device trusts: those approved with the user's (pinned) identity key. */
export interface DeviceTrust {
  userId: string;
  /** Active devices whose approval verifies (the user's own devices included, when asked for). */
  approved: string[];
  /** The user has an identity key (set up their key locker); without one no device is approved. */
  hasIdentity: boolean;
  /** The server now names another identity key than the one this device first saw: nothing is trusted. */
  identityKeyChanged: boolean;
}

/** An approval request as the approving device sees it after accepting: the code to compare. */
export interface AcceptedApproval {
  request: ApprovalRequest;
  /** The six-digit code both devices show. */
  code: string;
}

interface Accepted {
  ephemeral: X25519KeyPair;
  deviceId: string;
  deviceKey: Uint8Array;
}

/** Device approval as one device of the user runs it. */
export class DeviceApprovals {
  readonly #api: Api;
  readonly #keyStore: KeyStore;
  readonly #identity: DeviceIdentity;
  readonly #directory: DeviceDirectory;
  readonly #locker: KeyLocker;
  readonly #pollMs: number;
  /** New device side: the ephemeral key pair of each request it made. */
  readonly #asked = new Map<string, X25519KeyPair>();
  /** Approving side: what a request it accepted is waiting for. */
  readonly #accepted = new Map<string, Accepted>();

  constructor(opts: { api: Api; identity: DeviceIdentity; directory: DeviceDirectory; locker: KeyLocker; pollMs?: number }) {
    this.#api = opts.api;
    this.#identity = opts.identity;
    this.#keyStore = opts.identity.keyStore;
    this.#directory = opts.directory;
    this.#locker = opts.locker;
    this.#pollMs = opts.pollMs ?? 1000;
  }

  // ---- the new device ----

  /** Ask the user's other devices for approval. Errors: `already_approved`, `not_found` (the user has no key locker yet). */
  async request(): Promise<ApprovalRequest> {
    const ephemeral = generateApprovalKeyPair();
    const r = await this.#api.call("createApprovalRequest", {
      body: { commitment: bytesToBase64(approvalCommitment(ephemeral.publicKey, this.#identity.deviceId)) },
    });
    this.#asked.set(r.id, ephemeral);
    return r;
  }

  /**
   * Wait until another device accepts the request, reveal this device's key and return the code
   * to show. Errors: `approval_state` (declined or expired), `aborted`.
   */
  async code(requestId: string, signal?: AbortSignal): Promise<string> {
    const ephemeral = this.#mine(requestId);
    let r = await this.#waitFor(requestId, (s) => s !== "pending", signal);
    if (r.state === "accepted") {
      r = await this.#api.call("revealApprovalKey", { params: { id: requestId }, body: { publicKey: bytesToBase64(ephemeral.publicKey) } });
    }
    if (r.state !== "revealed" && r.state !== "approved") throw stateError(r);
    return approvalCode(ephemeral.publicKey, base64ToBytes(r.approverKey!), this.#identity.deviceId, r.approverDeviceId!);
  }

  /**
   * Wait for the approval, open the handed-over keys and read the key locker with them; returns
   * how many history keys were new on this device. Errors: `approval_state` (declined or
   * expired), E2eeError `handoff_open_failed` (sealed by another key than the one the code was
   * computed from: nothing is kept).
   */
  async awaitApproval(requestId: string, signal?: AbortSignal): Promise<number> {
    const ephemeral = this.#mine(requestId);
    const r = await this.#waitFor(requestId, (s) => s === "approved", signal);
    if (r.state !== "approved" || !r.sealed || !r.approverKey || !r.approverDeviceId) throw stateError(r);
    const secrets = await openFromDevice(
      ephemeral.privateKey,
      base64ToBytes(r.approverKey),
      base64ToBytes(r.sealed),
      this.#context(r.approverDeviceId, this.#identity.deviceId),
    );
    this.#asked.delete(requestId);
    ephemeral.privateKey.fill(0);
    return this.#locker.adopt(secrets);
  }

  /** Withdraw a request this device made. */
  async cancel(requestId: string): Promise<void> {
    this.#asked.delete(requestId);
    await this.#api.call("declineApprovalRequest", { params: { id: requestId } }).catch(ignoreState);
  }

  // ---- the approving device ----

  /** Open requests of the user's other devices. */
  async pending(): Promise<ApprovalRequest[]> {
    const { requests } = await this.#api.call("listApprovalRequests");
    return requests.filter((r) => r.deviceId !== this.#identity.deviceId && OPEN.has(r.state));
  }

  /**
   * Accept a request, wait for the new device to reveal its key, check it against the commitment
   * and return the code to compare. Errors: `forbidden` (this device cannot approve: it holds no
   * identity key), `approval_state`, `approval_invalid` (the revealed key is not the committed
   * one: the request is declined), `aborted`.
   */
  async accept(requestId: string, signal?: AbortSignal): Promise<AcceptedApproval> {
    // Only a device holding the identity key approves; one set up before approvals existed approves itself first.
    if (!(await this.approveSelf())) throw cannotApprove();
    const ephemeral = generateApprovalKeyPair();
    await this.#api.call("acceptApprovalRequest", { params: { id: requestId }, body: { publicKey: bytesToBase64(ephemeral.publicKey) } });
    const r = await this.#waitFor(requestId, (s) => s !== "accepted", signal);
    if (r.state !== "revealed" || !r.deviceKey) throw stateError(r);
    const deviceKey = base64ToBytes(r.deviceKey);
    if (!checkApprovalCommitment(base64ToBytes(r.commitment), deviceKey, r.deviceId)) {
      await this.decline(requestId);
      throw new ParleyError({
        code: "approval_invalid",
        message: "the new device's key does not match what it committed to: someone may be interfering; the request was declined",
      });
    }
    this.#accepted.set(requestId, { ephemeral, deviceId: r.deviceId, deviceKey });
    return { request: r, code: approvalCode(ephemeral.publicKey, deviceKey, this.#identity.deviceId, r.deviceId) };
  }

  /** The user confirmed the codes match: hand the keys over and approve the device. */
  async confirm(requestId: string): Promise<void> {
    const a = this.#accepted.get(requestId);
    if (!a) throw new ParleyError({ code: "bad_request", message: "accept the request on this device first (the code must be compared)" });
    const secrets = await this.#locker.secrets();
    if (!secrets) throw cannotApprove();
    const binding = await this.#bindingOf(a.deviceId);
    const sealed = await sealToDevice(a.ephemeral, a.deviceKey, secrets, this.#context(this.#identity.deviceId, a.deviceId));
    const signature = this.#signApproval(secrets, a.deviceId, binding);
    await this.#api.call("completeApprovalRequest", {
      params: { id: requestId },
      body: { sealed: bytesToBase64(sealed), signature },
    });
    this.#accepted.delete(requestId);
    a.ephemeral.privateKey.fill(0);
  }

  /** The codes differ, or the user did not ask for this: decline. */
  async decline(requestId: string): Promise<void> {
    this.#accepted.delete(requestId);
    await this.#api.call("declineApprovalRequest", { params: { id: requestId } }).catch(ignoreState);
  }

  /** Approve this device with the identity key it holds (after setting the locker up or restoring it); a no-op without one. */
  async approveSelf(): Promise<boolean> {
    const secrets = await this.#locker.secrets();
    if (!secrets) return false;
    const signature = this.#signApproval(secrets, this.#identity.deviceId, this.#identity.signaturePublicKey);
    await this.#api.call("approveOwnDevice", { body: { signature } });
    return true;
  }

  /** The identity key's approval of a device of this user (base64), wiping the secrets it was given. */
  #signApproval(secrets: UserSecrets, deviceId: string, deviceSignaturePublicKey: Uint8Array): string {
    const { orgId, userId } = this.#identity;
    const approval = signDeviceApproval(secrets.identityPrivateKey, { orgId, userId, deviceId, deviceSignaturePublicKey });
    secrets.lockerPrivateKey.fill(0);
    secrets.identityPrivateKey.fill(0);
    return bytesToBase64(approval.signature);
  }

  // ---- trust ----

  /** Which active devices of each user carry an approval that verifies with the user's pinned identity key. */
  async trust(userIds: readonly string[]): Promise<DeviceTrust[]> {
    return Promise.all([...new Set(userIds)].map((u) => this.#trustOf(u)));
  }

  async #trustOf(userId: string): Promise<DeviceTrust> {
    let identity;
    try {
      identity = await this.#api.call("getUserIdentity", { params: { id: userId } });
    } catch (err) {
      if (err instanceof ParleyError && err.code === "not_found") return { userId, approved: [], hasIdentity: false, identityKeyChanged: false };
      throw err;
    }
    const key = base64ToBytes(identity.identityKey);
    const pinned = await this.#keyStore.get(PIN + userId);
    if (pinned && !equalBytes(pinned, key)) return { userId, approved: [], hasIdentity: true, identityKeyChanged: true };
    if (!pinned) await this.#keyStore.put(PIN + userId, key);
    const approved: string[] = [];
    for (const a of identity.approvals) {
      const binding = await this.#directory.binding(userId, a.deviceId);
      if (!binding) continue;
      const fields = { orgId: this.#identity.orgId, userId, deviceId: a.deviceId, deviceSignaturePublicKey: binding.signaturePublicKey };
      if (verifyDeviceApproval(key, { ...fields, signature: base64ToBytes(a.signature) }, fields)) approved.push(a.deviceId);
    }
    return { userId, approved, hasIdentity: true, identityKeyChanged: false };
  }

  // ---- helpers ----

  #mine(requestId: string): X25519KeyPair {
    const k = this.#asked.get(requestId);
    if (!k) throw new ParleyError({ code: "bad_request", message: "this device did not make that approval request (or restarted since): ask again" });
    return k;
  }

  async #bindingOf(deviceId: string): Promise<Uint8Array> {
    const binding = await this.#directory.binding(this.#identity.userId, deviceId);
    if (!binding)
      throw new ParleyError({ code: "approval_invalid", message: "the new device has not registered its encryption identity yet: sign in on it again" });
    return binding.signaturePublicKey;
  }

  #context(fromDeviceId: string, toDeviceId: string): HandoffContext {
    return { orgId: this.#identity.orgId, userId: this.#identity.userId, fromDeviceId, toDeviceId };
  }

  /** Poll the request until `done(state)` or it is closed (approved, declined, expired). */
  async #waitFor(requestId: string, done: (s: ApprovalState) => boolean, signal?: AbortSignal): Promise<ApprovalRequest> {
    for (;;) {
      if (signal?.aborted) throw new ParleyError({ code: "aborted", message: "stopped waiting for the approval" });
      const r = await this.#api.call("getApprovalRequest", { params: { id: requestId } });
      if (done(r.state) || !OPEN.has(r.state)) return r;
      await sleep(this.#pollMs, signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function stateError(r: ApprovalRequest): ParleyError {
  const why = r.state === "declined" ? "was declined" : r.state === "expired" ? "expired: ask again" : `is ${r.state}`;
  return new ParleyError({ code: "approval_state", status: 409, message: `the approval request ${why}`, details: { state: r.state } });
}

function cannotApprove(): ParleyError {
  return new ParleyError({
    code: "forbidden",
    status: 403,
    message: "this device cannot approve others: it does not hold your identity key (restore it with your recovery key, or have it approved first)",
  });
}

function ignoreState(err: unknown): void {
  if (err instanceof ParleyError && (err.code === "approval_state" || err.code === "not_found")) return;
  throw err;
}
