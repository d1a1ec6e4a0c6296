/**
 * Compliance routes (issue 11): retention policies and legal holds. Semantics and the
 * regulations they serve: docs/compliance.md. Owners, and users given
 * `org.manage_compliance` through a custom role (compliance officers), use them.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Timestamp } from "./models.ts";

/** A retention period in days (1 day to 100 years), or null: kept forever. */
export const RetentionDays = z.number().int().min(1).max(36_500).nullable();

/** What an org keeps, and for how long. */
export const OrgRetention = z.object({
  /** Messages, reactions, edits and deletions (the channel's timeline), by age. */
  eventsDays: RetentionDays,
  /** Attachments (the message stays, its file is removed), by age. */
  filesDays: RetentionDays,
  /** Audit entries, by age; pruned down to a signed checkpoint, which is kept so the rest still verifies. */
  auditDays: RetentionDays,
});
export type OrgRetention = z.infer<typeof OrgRetention>;

/** A channel's own retention, overriding the org's default. */
export const ChannelRetention = z.object({
  channelId: Id,
  channelName: z.string(),
  eventsDays: RetentionDays,
  filesDays: RetentionDays,
  updatedAt: Timestamp,
});
export type ChannelRetention = z.infer<typeof ChannelRetention>;

/** The org's latest retention run. */
export const RetentionRun = z.object({
  startedAt: Timestamp,
  /** Null while it runs (or if it was interrupted: the next run resumes). */
  finishedAt: Timestamp.nullable(),
  eventsDeleted: z.number().int().nonnegative(),
  /** Past retention but kept because a legal hold covers them. */
  eventsHeld: z.number().int().nonnegative(),
  filesDeleted: z.number().int().nonnegative(),
  auditDeleted: z.number().int().nonnegative(),
});
export type RetentionRun = z.infer<typeof RetentionRun>;

/** What a legal hold covers: one user's communications, or one channel's. */
export const HoldScope = z.enum(["user", "channel"]);

const Matter = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .regex(/^[\p{L}\p{N} .,:#()/_-]+$/u, "letters, digits, spaces and . , : # ( ) / _ -");

/** A legal hold. */
export const LegalHold = z.object({
  id: Id,
  /** The matter (case) it serves, e.g. "SEC inquiry 2026-14". */
  matter: z.string(),
  scope: HoldScope,
  /** The held user's or channel's id. */
  targetId: Id,
  /** The held user's username or the channel's name, for display. */
  targetName: z.string(),
  note: z.string(),
  createdBy: Id.nullable(),
  createdAt: Timestamp,
  releasedBy: Id.nullable(),
  releasedAt: Timestamp.nullable(),
});
export type LegalHold = z.infer<typeof LegalHold>;

export const complianceRoutes = {
  getRetention: route({
    method: "GET",
    path: "/compliance/retention",
    tag: "compliance",
    auth: "user",
    summary: "The org's retention policy, the channels that override it, and the latest run (owners and compliance officers)",
    response: z.object({ org: OrgRetention, channels: z.array(ChannelRetention), lastRun: RetentionRun.nullable() }),
  }),
  setRetention: route({
    method: "PUT",
    path: "/compliance/retention",
    tag: "compliance",
    auth: "user",
    summary: "Set the org's retention policy (null: keep forever); applied by the next retention run",
    body: OrgRetention,
    response: OrgRetention,
  }),
  setChannelRetention: route({
    method: "PUT",
    path: "/compliance/retention/channels/:channelId",
    tag: "compliance",
    auth: "user",
    summary: "Give one channel its own retention (overrides the org's events and attachments periods)",
    params: z.object({ channelId: Id }),
    body: z.object({ eventsDays: RetentionDays, filesDays: RetentionDays }),
    response: ChannelRetention,
  }),
  clearChannelRetention: route({
    method: "DELETE",
    path: "/compliance/retention/channels/:channelId",
    tag: "compliance",
    auth: "user",
    summary: "The channel follows the org's retention policy again",
    params: z.object({ channelId: Id }),
    response: null,
  }),
  runRetention: route({
    method: "POST",
    path: "/compliance/retention/run",
    tag: "compliance",
    auth: "user",
    status: 202,
    summary: "Run the org's retention now instead of at the next scheduled run (it runs as a durable job)",
    response: z.object({ jobId: z.string() }),
  }),
  listHolds: route({
    method: "GET",
    path: "/compliance/holds",
    tag: "compliance",
    auth: "user",
    summary: "The org's legal holds, active first (owners and compliance officers)",
    query: z.object({ status: z.enum(["active", "released", "all"]).default("active") }),
    response: z.object({ holds: z.array(LegalHold) }),
  }),
  createHold: route({
    method: "POST",
    path: "/compliance/holds",
    tag: "compliance",
    auth: "user",
    status: 201,
    summary: "Place a legal hold on a user or a channel: what it covers is kept past retention and deletion until it is released",
    body: z.object({ matter: Matter, scope: HoldScope, targetId: Id, note: z.string().trim().max(1000).default("") }),
    response: LegalHold,
    errors: ["forbidden", "not_found", "already_exists"],
  }),
  releaseHold: route({
    method: "POST",
    path: "/compliance/holds/:holdId/release",
    tag: "compliance",
    auth: "user",
    summary: "Release a legal hold; what it alone kept is removed by the next retention run",
    params: z.object({ holdId: Id }),
    body: z.object({ note: z.string().trim().max(1000).default("") }),
    response: LegalHold,
    errors: ["forbidden", "not_found", "hold_released"],
  }),
} as const;
