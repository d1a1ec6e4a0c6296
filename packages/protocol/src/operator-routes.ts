/**
 * The server operator's API (issue 10): whoever runs the Parley installation — not an org
 * role — creates, lists, suspends and restores orgs. Operator routes take an operator
 * token (`Authorization: Bearer op_…`, made with `parley admin operator-token create` on
 * the server) instead of a user's session; org admins never see other orgs.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { DisplayName, Email, Id, Org, Slug, Timestamp, Username } from "./models.ts";

export const OperatorOrg = Org.extend({
  users: z.number().int().nonnegative(),
  suspended: z.boolean(),
  suspendedAt: Timestamp.nullable(),
  suspendedReason: z.string().nullable(),
});
export type OperatorOrg = z.infer<typeof OperatorOrg>;

const OrgParams = z.object({ id: Id });

export const operatorRoutes = {
  operatorListOrgs: route({
    method: "GET",
    path: "/operator/orgs",
    tag: "operator",
    auth: "none",
    summary: "Every org on this server with its user count and state (operator token)",
    response: z.object({ orgs: z.array(OperatorOrg) }),
    errors: ["unauthorized"],
  }),
  operatorCreateOrg: route({
    method: "POST",
    path: "/operator/orgs",
    tag: "operator",
    auth: "none",
    status: 201,
    summary:
      "Create an org and its owner (operator token). The owner has no password yet: a link to choose one is emailed to them, or returned once when the server sends no email",
    body: z.object({ slug: Slug, name: DisplayName, owner: z.object({ username: Username, displayName: DisplayName, email: Email.optional() }) }),
    response: z.object({ org: OperatorOrg, ownerId: Id, emailed: z.boolean(), setPasswordUrl: z.string().url().optional() }),
    errors: ["unauthorized", "already_exists"],
    noStore: true,
  }),
  operatorSuspendOrg: route({
    method: "POST",
    path: "/operator/orgs/:id/suspend",
    tag: "operator",
    auth: "none",
    summary: "Suspend an org (operator token): every session of its users ends and nobody can sign in until it is restored; its data stays",
    params: OrgParams,
    body: z.object({ reason: z.string().trim().min(1).max(200) }),
    response: OperatorOrg,
    errors: ["unauthorized"],
  }),
  operatorRestoreOrg: route({
    method: "POST",
    path: "/operator/orgs/:id/restore",
    tag: "operator",
    auth: "none",
    summary: "Lift an org's suspension (operator token)",
    params: OrgParams,
    response: OperatorOrg,
    errors: ["unauthorized"],
  }),
} as const;
