/**
 * Data-subject rights (issue 11, docs/gdpr.md): a user's export of what the server holds about
 * them, erasure by a compliance officer (refused while a legal hold covers the user), and the
 * register of data-subject requests. Message content is end-to-end encrypted: the server's
 * export holds none of it; the user's devices add their decrypted history (`parley me export`).
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp, Username } from "./models.ts";

/** What a data-subject request asks for. */
export const GdprRequestKind = z.enum(["export", "erase"]);
/** `pending` until an officer acts; exports are recorded as `completed` when they are made. */
export const GdprRequestStatus = z.enum(["pending", "completed", "declined"]);

/** A data-subject request: an export made, or an erasure asked for, done or declined. */
export const GdprRequest = z.object({
  id: Id,
  kind: GdprRequestKind,
  status: GdprRequestStatus,
  /** Whose data. */
  userId: Id,
  /** Their username now (`erased-…` once erased). */
  username: z.string(),
  /** Who asked: the user themselves, or the officer who made an export or erasure on their own. */
  requestedBy: Id.nullable(),
  requestedAt: Timestamp,
  /** The user's message with an erasure request (cleared by the erasure). */
  note: z.string(),
  decidedBy: Id.nullable(),
  decidedAt: Timestamp.nullable(),
  /** The officer's answer (why a request was declined). */
  response: z.string(),
  /** Officers' list only: whether a legal hold covers the user now (an erasure would be refused). */
  held: z.boolean().optional(),
});
export type GdprRequest = z.infer<typeof GdprRequest>;

/** What an erasure did. */
export const ErasureResult = z.object({
  userId: Id,
  /** The pseudonymous username the account now carries. */
  username: z.string(),
  erasedAt: Timestamp,
  devicesRevoked: z.number().int().nonnegative(),
  sessionsEnded: z.number().int().nonnegative(),
  /** The pending erasure requests this erasure completed. */
  completedRequests: z.array(Id),
});
export type ErasureResult = z.infer<typeof ErasureResult>;

const Note = z.string().trim().max(1000).default("");

export const gdprRoutes = {
  exportMyData: route({
    method: "POST",
    path: "/me/export",
    tag: "me",
    auth: "user",
    summary:
      "Your data-subject export: a ZIP of JSON files with everything the server holds about you (application/zip). Message content is end-to-end encrypted and is added on your device (`parley me export`)",
    response: null,
    raw: { response: "octet-stream" },
    noStore: true,
  }),
  createGdprRequest: route({
    method: "POST",
    path: "/me/gdpr-requests",
    tag: "me",
    auth: "user",
    status: 201,
    summary: "Ask the org's compliance officers to erase your account and personal data",
    body: z.object({ kind: z.literal("erase"), note: Note }),
    response: GdprRequest,
    errors: ["already_exists", "already_erased"],
  }),
  listMyGdprRequests: route({
    method: "GET",
    path: "/me/gdpr-requests",
    tag: "me",
    auth: "user",
    summary: "Your data-subject requests and exports, newest first",
    response: z.object({ requests: z.array(GdprRequest) }),
  }),
  listGdprRequests: route({
    method: "GET",
    path: "/compliance/gdpr-requests",
    tag: "compliance",
    auth: "user",
    summary: "The org's data-subject requests and exports, pending first (owners and compliance officers)",
    query: z.object({ status: z.enum(["pending", "all"]).default("all"), userId: Id.optional() }),
    response: z.object({ requests: z.array(GdprRequest) }),
  }),
  declineGdprRequest: route({
    method: "POST",
    path: "/compliance/gdpr-requests/:id/decline",
    tag: "compliance",
    auth: "user",
    summary: "Decline a pending erasure request, saying why (GDPR Art. 12(4)); the user sees the answer",
    params: z.object({ id: Id }),
    body: z.object({ response: z.string().trim().min(1).max(1000) }),
    response: GdprRequest,
    errors: ["forbidden", "not_found", "gdpr_request_closed"],
  }),
  exportUserData: route({
    method: "POST",
    path: "/compliance/users/:id/export",
    tag: "compliance",
    auth: "user",
    summary: "A user's data-subject export, made by a compliance officer (application/zip; the same files as the user's own)",
    params: z.object({ id: Id }),
    response: null,
    raw: { response: "octet-stream" },
    noStore: true,
    errors: ["forbidden", "not_found"],
  }),
  eraseUser: route({
    method: "POST",
    path: "/compliance/users/:id/erase",
    tag: "compliance",
    auth: "user",
    summary:
      "Erase a user (GDPR Art. 17): deactivate, revoke every device and session, delete or pseudonymise their personal data and shred their audit PII key; refused while a legal hold covers them",
    params: z.object({ id: Id }),
    /** `confirm`: the user's current username, typed again. */
    body: z.object({ confirm: Username, note: Note }),
    response: ErasureResult,
    errors: ["forbidden", "not_found", "legal_hold", "already_erased"],
  }),
} as const;
