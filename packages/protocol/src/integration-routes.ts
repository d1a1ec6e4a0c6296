/**
 * Integrations (issue 13): incoming and outgoing webhooks run in a bot runtime that holds the
 * bot's MLS keys, so the server only keeps metadata — which bot, which channel, where the
 * runtime runs — and the dead letters the runtime reports (ids, target host, last status;
 * never content). Admins register, list, disable and delete; the bot reports dead letters.
 * Part of the route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { DisplayName, Id, Seq, Timestamp } from "./models.ts";

/** Which way an integration carries messages. */
export const IntegrationKind = z.enum(["incoming", "outgoing"]);
/** Which way an integration carries messages. */
export type IntegrationKind = z.infer<typeof IntegrationKind>;

/** Where an integration's runtime runs, as members see it ("ci-runner-3.example.net", "on-prem k8s"). */
export const RunsAt = z.string().trim().min(1).max(200);

/** A registered integration: metadata only. */
export const Integration = z.object({
  id: Id,
  kind: IntegrationKind,
  name: DisplayName,
  /** The service account whose bot runtime serves the integration. */
  botUserId: Id,
  channelId: Id,
  runsAt: RunsAt,
  enabled: z.boolean(),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
/** A registered integration. */
export type Integration = z.infer<typeof Integration>;

/** A delivery the runtime gave up on: where and why, never what it carried. */
export const IntegrationDeadLetter = z.object({
  integrationId: Id,
  /** The delivery's idempotency key (as sent to the target). */
  deliveryId: z.string().min(1).max(64),
  channelId: Id,
  /** The message that triggered the delivery. */
  seq: Seq,
  /** `host:port` of the target. */
  targetHost: z.string().min(1).max(300),
  lastStatus: z.number().int().min(100).max(599).nullable(),
  /** The runtime's reason (e.g. `http_500`, `timeout: …`, `redirect_refused: …`, `ssrf_refused: …`). */
  lastError: z.string().min(1).max(500),
  attempts: z.number().int().min(1).max(1000),
  failedAt: Timestamp,
});
/** A dead letter of an outgoing webhook. */
export type IntegrationDeadLetter = z.infer<typeof IntegrationDeadLetter>;

const IdParams = z.object({ id: Id });
const NewIntegration = z.strictObject({ kind: IntegrationKind, name: DisplayName, botUserId: Id, channelId: Id, runsAt: RunsAt });
const DeadLetterReport = IntegrationDeadLetter.omit({ integrationId: true }).strict();

/** Integration routes. */
export const integrationRoutes = {
  createIntegration: route({
    method: "POST",
    path: "/integrations",
    tag: "integrations",
    auth: "user",
    status: 201,
    summary: "Register an integration (admins): the bot must be a service account of the org and a member of the channel",
    body: NewIntegration,
    response: Integration,
    errors: ["integration_invalid", "already_exists"],
  }),
  listIntegrations: route({
    method: "GET",
    path: "/integrations",
    tag: "integrations",
    auth: "user",
    summary: "The org's integrations (admins; a bot sees its own)",
    response: z.object({ integrations: z.array(Integration) }),
  }),
  updateIntegration: route({
    method: "PATCH",
    path: "/integrations/:id",
    tag: "integrations",
    auth: "user",
    summary: "Enable or disable an integration (admins)",
    params: IdParams,
    body: z.strictObject({ enabled: z.boolean() }),
    response: Integration,
  }),
  deleteIntegration: route({
    method: "DELETE",
    path: "/integrations/:id",
    tag: "integrations",
    auth: "user",
    summary: "Delete an integration and its dead letters (admins)",
    params: IdParams,
    response: null,
  }),
  reportIntegrationDeadLetter: route({
    method: "POST",
    path: "/integrations/:id/dead-letters",
    tag: "integrations",
    auth: "user",
    summary: "Report a dead-lettered delivery (the integration's bot): metadata only; reporting the same delivery again is a no-op",
    params: IdParams,
    body: DeadLetterReport,
    response: IntegrationDeadLetter,
  }),
  listIntegrationDeadLetters: route({
    method: "GET",
    path: "/integrations/:id/dead-letters",
    tag: "integrations",
    auth: "user",
    summary: "An integration's dead letters, newest first (admins)",
    params: IdParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    response: z.object({ deadLetters: z.array(IntegrationDeadLetter) }),
  }),
} as const;
