/**
 * Device approval routes (issue 9, ADR 0007 "cross-signing"): a new device of a user asks to
 * be approved; another device of the same user that holds the user's identity key accepts,
 * both show a six-digit code, and after the user confirms it matches the approving device
 * hands over the user's private keys sealed to the new device and posts its signed approval.
 * The server relays the handshake's public keys and sealed bytes and checks the approval's
 * signature against the user's identity key; it opens nothing.
 *
 * States of a request: `pending` (the new device published its commitment) → `accepted` (a
 * device published its ephemeral key) → `revealed` (the new device revealed its key) →
 * `approved` (the sealed keys and the approval are stored); `declined` from any open state;
 * `expired` when {@link APPROVAL_LIMITS.ttlMs} passed before it was approved or declined.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Base64, Id, Timestamp } from "./models.ts";
import { PublicKey32, sizedBase64 } from "./locker-routes.ts";

/** Limits of device approval. */
export const APPROVAL_LIMITS = {
  /** How long a request stays open. */
  ttlMs: 10 * 60_000,
  /** Largest sealed hand-off (HPKE of the two 32-byte private keys: about 100 bytes today). */
  sealedBytes: 4096,
} as const;

export const ApprovalState = z.enum(["pending", "accepted", "revealed", "approved", "declined", "expired"]);
export type ApprovalState = z.infer<typeof ApprovalState>;

/** An approval request as the user's devices see it. */
export const ApprovalRequest = z.object({
  id: Id,
  /** The device asking to be approved. */
  deviceId: Id,
  deviceName: z.string(),
  state: ApprovalState,
  /** SHA-256 commitment to the new device's ephemeral key (`approvalCommitment` in @parley/crypto). */
  commitment: Base64,
  /** The device that accepted, once accepted. */
  approverDeviceId: Id.nullable(),
  /** The approving device's ephemeral X25519 public key, once accepted. */
  approverKey: Base64.nullable(),
  /** The new device's ephemeral X25519 public key, once revealed. */
  deviceKey: Base64.nullable(),
  /** The sealed private keys, once approved: served to the new device only. */
  sealed: Base64.nullable(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
});
export type ApprovalRequest = z.infer<typeof ApprovalRequest>;

/** An Ed25519 signature (64 bytes) of the user identity key over a device approval. */
const ApprovalSignature = sizedBase64(64, 64, "signature (Ed25519)");

const RequestParams = z.object({ id: Id });

export const approvalRoutes = {
  createApprovalRequest: route({
    method: "POST",
    path: "/me/approval-requests",
    tag: "locker",
    auth: "user",
    status: 201,
    summary:
      "Ask the user's other devices to approve the calling device: publishes the commitment to its ephemeral key (replaces an open request of the same device)",
    body: z.object({ commitment: sizedBase64(32, 32, "commitment (SHA-256)") }),
    response: ApprovalRequest,
    errors: ["already_approved", "not_found"],
    noStore: true,
  }),
  listApprovalRequests: route({
    method: "GET",
    path: "/me/approval-requests",
    tag: "locker",
    auth: "user",
    summary: "The open (pending, accepted or revealed) approval requests of the caller's devices",
    response: z.object({ requests: z.array(ApprovalRequest) }),
    noStore: true,
  }),
  getApprovalRequest: route({
    method: "GET",
    path: "/me/approval-requests/:id",
    tag: "locker",
    auth: "user",
    summary: "One approval request of the caller's devices, in any state (the sealed keys only to the device that asked)",
    params: RequestParams,
    response: ApprovalRequest,
    noStore: true,
  }),
  acceptApprovalRequest: route({
    method: "POST",
    path: "/me/approval-requests/:id/accept",
    tag: "locker",
    auth: "user",
    summary: "An approved device of the same user takes a pending request and publishes its ephemeral key",
    params: RequestParams,
    body: z.object({ publicKey: PublicKey32("publicKey (X25519)") }),
    response: ApprovalRequest,
    errors: ["approval_state", "not_approved", "forbidden"],
    noStore: true,
  }),
  revealApprovalKey: route({
    method: "POST",
    path: "/me/approval-requests/:id/reveal",
    tag: "locker",
    auth: "user",
    summary: "The device that asked reveals its ephemeral key after the request was accepted (the other device checks it against the commitment)",
    params: RequestParams,
    body: z.object({ publicKey: PublicKey32("publicKey (X25519)") }),
    response: ApprovalRequest,
    errors: ["approval_state", "forbidden"],
    noStore: true,
  }),
  completeApprovalRequest: route({
    method: "POST",
    path: "/me/approval-requests/:id/complete",
    tag: "locker",
    auth: "user",
    summary:
      "The accepting device, after the user confirmed the codes match: stores the sealed keys for the new device and its approval, signed with the user identity key (checked)",
    params: RequestParams,
    body: z.object({ sealed: sizedBase64(1, APPROVAL_LIMITS.sealedBytes, "sealed"), signature: ApprovalSignature }),
    response: ApprovalRequest,
    errors: ["approval_state", "approval_invalid", "forbidden"],
    noStore: true,
  }),
  declineApprovalRequest: route({
    method: "POST",
    path: "/me/approval-requests/:id/decline",
    tag: "locker",
    auth: "user",
    summary: "Decline (another device of the user) or cancel (the device that asked) an open request",
    params: RequestParams,
    response: ApprovalRequest,
    errors: ["approval_state"],
    noStore: true,
  }),
  approveOwnDevice: route({
    method: "PUT",
    path: "/me/approval",
    tag: "locker",
    auth: "user",
    summary:
      "Store the calling device's approval, signed with the user identity key it holds (after setting up the key locker or restoring it with the recovery key); checked against the identity key",
    body: z.object({ signature: ApprovalSignature }),
    response: z.object({ deviceId: Id, approved: z.literal(true) }),
    errors: ["approval_invalid", "not_found"],
  }),
} as const;
