/**
 * Audit log routes (issue 8): org owners and admins read their org's
 * tamper-evident audit log, newest first, filtered and paged by seq. Entries
 * come with their personal data opened (unless it was erased); every read is
 * itself recorded (`audit.read`). docs/audit.md lists what is logged.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import { Id, Timestamp } from "./models.ts";

/** An action filter: a whole action (`channel.created`) or, ending in a dot, a prefix (`channel.`, `auth.login.`). */
export const AuditActionFilter = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.?$/, "an action (channel.created) or a prefix ending in a dot (channel.)");

/** The filters and page of `GET /audit`. */
export const AuditQuery = z
  .object({
    /** Entries by this user (their devices), by user id. */
    actor: Id.optional(),
    /** Exact action, or a prefix when it ends with a dot. */
    action: AuditActionFilter.optional(),
    /** Entries about this object (a user, channel, device, session, invite, file, the org), by id. */
    target: Id.optional(),
    /** At or after this time (Unix ms). */
    from: z.coerce.number().int().nonnegative().optional(),
    /** Before this time (Unix ms, exclusive). */
    to: z.coerce.number().int().nonnegative().optional(),
    /** Entries with a seq below this one: the previous page's `nextCursor`. */
    cursor: z.coerce.number().int().min(1).optional(),
    /** Page size (at most {@link DEFAULT_LIMITS.pageSize}). */
    limit: z.coerce.number().int().min(1).max(DEFAULT_LIMITS.pageSize).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { path: ["to"], message: "`to` must be after `from`" });

/**
 * Personal data of an entry (usernames, client address), sealed per subject on the
 * server: `clear` with the data, `erased` once the subject's key was shredded (GDPR),
 * `unreadable` when the sealed bytes do not open (damaged).
 */
export const AuditPersonalData = z.discriminatedUnion("status", [
  z.object({ status: z.literal("clear"), subject: z.string(), data: z.record(z.string(), z.string()) }),
  z.object({ status: z.literal("erased"), subject: z.string() }),
  z.object({ status: z.literal("unreadable"), subject: z.string() }),
]);
/** Personal data of an audit entry. */
export type AuditPersonalData = z.infer<typeof AuditPersonalData>;

/** One audit entry as an admin reads it. */
export const AuditEntry = z.object({
  /** Position in the org's chain (1, 2, 3, … without gaps). */
  seq: z.number().int().positive(),
  at: Timestamp,
  /** Who acted: `device` (a user's device), `system` (the server or an operator's CLI), later bots and tokens. */
  actor: z.object({ kind: z.string(), userId: z.string().nullable(), deviceId: z.string().nullable() }),
  /** Dotted, past tense: `channel.created`. */
  action: z.string(),
  /** The object acted on, if any. */
  target: z.object({ kind: z.string(), id: z.string().nullable() }).nullable(),
  result: z.enum(["success", "failure", "denied"]),
  /** Facts about the change: ids, roles, counts, reasons (never content or secrets). */
  details: z.record(z.string(), z.unknown()),
  /** Personal data, or null when the entry has none. */
  personal: AuditPersonalData.nullable(),
  /** The entry's hash in the chain (lowercase hex SHA-256), as `parley audit verify` and exports show it. */
  hash: z.string(),
});
/** One audit entry as an admin reads it. */
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Audit log routes. */
export const auditRoutes = {
  listAudit: route({
    method: "GET",
    path: "/audit",
    tag: "audit",
    auth: "user",
    summary:
      "The org's audit log, newest first, filtered by actor, action (exact or `prefix.`), target and time; page on with `cursor` = the last page's `nextCursor` (owners and admins; each call is itself audited)",
    query: AuditQuery,
    response: z.object({ entries: z.array(AuditEntry), nextCursor: z.number().int().positive().nullable() }),
    // Personal data (client addresses, usernames) must not stay in a browser or proxy cache.
    noStore: true,
  }),
} as const;
