/**
 * Roles and policies (issue 10): channel labels, the org's Cedar policies (validate, dry-run)
 * and custom org roles built from the permission catalogue. Semantics: docs/identity.md,
 * "Roles and policies". The built-in role matrix, widened by the user's custom roles, decides
 * first; enabled org policies can only take away (`forbid`), never grant.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Channel, Id, OrgRole, Timestamp } from "./models.ts";

/** A channel label: lower-case letters, digits, `-` and `_`, starting with a letter or digit, at most 32. */
export const ChannelLabel = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "a label is 1-32 lower-case letters, digits, '-' or '_', starting with a letter or digit");
/** At most this many labels per channel. */
export const MAX_CHANNEL_LABELS = 8;

/** The permission catalogue: what a built-in or custom org role may grant. */
export const OrgPermission = z.enum([
  "org.invite",
  "org.manage_users",
  "org.manage_roles",
  "org.manage_admins",
  "org.list_users",
  "channel.create_public",
  "channel.create_private",
  "channel.open_dm",
  "channel.browse",
  "channel.manage_any",
  "org.read_audit",
  "org.manage_emoji",
  "org.manage_security",
  "org.manage_compliance",
  "e2ee.configure",
  "e2ee.directory",
]);
export type OrgPermission = z.infer<typeof OrgPermission>;

/** Channel-scoped actions (membership and channel role decide them, then policies); `channel.moderate`: delete others' messages. */
export const ChannelActionName = z.enum(["channel.read", "channel.post", "channel.manage", "channel.invite", "channel.kick", "channel.moderate"]);
/** Every action a Cedar policy can name (`Action::"channel.read"`). */
export const PolicyAction = z.union([OrgPermission, ChannelActionName]);
export type PolicyAction = z.infer<typeof PolicyAction>;

const PolicyName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[\p{L}\p{N} .,:()_-]+$/u, "letters, digits, spaces and . , : ( ) _ -");
/** One Cedar policy statement (a `forbid`), at most 10,000 characters. */
const PolicyText = z.string().min(1).max(10_000);

/** An org policy: one Cedar `forbid` statement, enforced while enabled. */
export const OrgPolicy = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  text: z.string(),
  enabled: z.boolean(),
  /** SHA-256 of the text (hex), as the audit entries record it. */
  textHash: z.string(),
  createdBy: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type OrgPolicy = z.infer<typeof OrgPolicy>;

/** One problem found in a policy text. */
export const PolicyProblem = z.object({
  message: z.string(),
  help: z.string().nullable(),
  /** Where it starts in the text (1-based line and column, counted in characters), when Cedar locates it. */
  at: z.object({ line: z.number().int().positive(), column: z.number().int().positive() }).nullable().optional(),
});

/** A custom org role: a named subset of the catalogue, held in addition to the built-in role. */
export const CustomRole = z.object({
  id: Id,
  name: z.string(),
  description: z.string(),
  permissions: z.array(OrgPermission),
  memberIds: z.array(Id),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type CustomRole = z.infer<typeof CustomRole>;

const RoleName = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "lower-case letters, digits, '-' and '_'")
  .refine((n) => !["owner", "admin", "member", "guest"].includes(n), "that is a built-in role's name");

/** One user's decision in a dry-run. */
export const DryRunUser = z.object({
  userId: Id,
  username: z.string(),
  displayName: z.string(),
  role: OrgRole,
  customRoles: z.array(z.string()),
  /** Allowed under the enabled policies. */
  allowed: z.boolean(),
  /** Allowed with the draft applied (equals `allowed` without a draft). */
  allowedWithDraft: z.boolean(),
  /** The names of the policies that deny (with the draft applied), empty when the role matrix denies or nothing does. */
  deniedBy: z.array(z.string()),
  /** Why the decision is a denial, in words (the role matrix's or a policy's message), or null. */
  reason: z.string().nullable(),
});
export type DryRunUser = z.infer<typeof DryRunUser>;

const PolicyParams = z.object({ id: Id });
const Draft = z.object({
  text: PolicyText,
  /** The draft replaces this policy (an edit); otherwise it is added. */
  replaces: Id.optional(),
});

export const accessRoutes = {
  setChannelLabels: route({
    method: "PUT",
    path: "/channels/:channelId/labels",
    tag: "policies",
    auth: "user",
    summary: "Set a channel's labels (channel admins, org admins); org policies can name them (resource.labels)",
    params: z.object({ channelId: Id }),
    body: z.object({ labels: z.array(ChannelLabel).max(MAX_CHANNEL_LABELS) }),
    response: Channel,
  }),
  listPolicies: route({
    method: "GET",
    path: "/org/policies",
    tag: "policies",
    auth: "user",
    summary: "The org's Cedar policies and the schema they are checked against (admins with org.manage_security)",
    response: z.object({ policies: z.array(OrgPolicy), schema: z.string() }),
  }),
  createPolicy: route({
    method: "POST",
    path: "/org/policies",
    tag: "policies",
    auth: "user",
    status: 201,
    summary: "Add a policy (one Cedar forbid statement); refused if it does not validate or would lock every admin out",
    body: z.object({ name: PolicyName, description: z.string().max(500).default(""), text: PolicyText, enabled: z.boolean().default(true) }),
    response: OrgPolicy,
    errors: ["forbidden", "policy_invalid", "policy_lockout", "already_exists"],
  }),
  updatePolicy: route({
    method: "PATCH",
    path: "/org/policies/:id",
    tag: "policies",
    auth: "user",
    summary: "Change a policy's name, description or text, or enable/disable it (same checks as creating)",
    params: PolicyParams,
    body: z.object({ name: PolicyName.optional(), description: z.string().max(500).optional(), text: PolicyText.optional(), enabled: z.boolean().optional() }),
    response: OrgPolicy,
    errors: ["forbidden", "policy_invalid", "policy_lockout", "already_exists"],
  }),
  deletePolicy: route({
    method: "DELETE",
    path: "/org/policies/:id",
    tag: "policies",
    auth: "user",
    summary: "Delete a policy",
    params: PolicyParams,
    response: null,
  }),
  validatePolicy: route({
    method: "POST",
    path: "/org/policies/validate",
    tag: "policies",
    auth: "user",
    summary: "Check a policy text: parses, is one forbid statement, validates against the schema (nothing is stored)",
    body: z.object({ text: PolicyText }),
    response: z.object({ valid: z.boolean(), problems: z.array(PolicyProblem) }),
  }),
  dryRunPolicy: route({
    method: "POST",
    path: "/org/policies/dry-run",
    tag: "policies",
    auth: "user",
    summary: "Who could do an action on a channel (or the org) now, and with a draft policy: every active user's decision",
    body: z.object({
      action: PolicyAction,
      /** The channel for channel actions; omitted for org actions. */
      channelId: Id.optional(),
      draft: Draft.optional(),
      /** Context to evaluate with (defaults: now, 0.0.0.0, mfa = the user has a second factor, device approved). */
      context: z
        .object({
          ip: z.string().max(64).optional(),
          hour: z.number().int().min(0).max(23).optional(),
          weekday: z.number().int().min(0).max(6).optional(),
          mfa: z.boolean().optional(),
          deviceApproved: z.boolean().optional(),
        })
        .optional(),
    }),
    response: z.object({
      action: PolicyAction,
      channelId: Id.nullable(),
      users: z.array(DryRunUser),
      /** The users whose decision the draft changes (all denied users when there is no draft). */
      affected: z.array(Id),
    }),
    errors: ["policy_invalid"],
  }),
  listCustomRoles: route({
    method: "GET",
    path: "/org/roles",
    tag: "policies",
    auth: "user",
    summary: "The org's custom roles and the permission catalogue they are built from (admins with org.manage_roles)",
    response: z.object({
      roles: z.array(CustomRole),
      catalogue: z.array(z.object({ permission: OrgPermission, builtIn: z.array(OrgRole), grantable: z.boolean() })),
    }),
  }),
  createCustomRole: route({
    method: "POST",
    path: "/org/roles",
    tag: "policies",
    auth: "user",
    status: 201,
    summary: "Define a custom role from catalogue permissions (owner-only ones such as org.manage_admins cannot be granted)",
    body: z.object({ name: RoleName, description: z.string().max(500).default(""), permissions: z.array(OrgPermission).max(20) }),
    response: CustomRole,
    errors: ["forbidden", "already_exists"],
  }),
  updateCustomRole: route({
    method: "PATCH",
    path: "/org/roles/:id",
    tag: "policies",
    auth: "user",
    summary: "Rename a custom role or change its permissions",
    params: PolicyParams,
    body: z.object({ name: RoleName.optional(), description: z.string().max(500).optional(), permissions: z.array(OrgPermission).max(20).optional() }),
    response: CustomRole,
    errors: ["forbidden", "already_exists"],
  }),
  deleteCustomRole: route({
    method: "DELETE",
    path: "/org/roles/:id",
    tag: "policies",
    auth: "user",
    summary: "Delete a custom role (its holders lose it)",
    params: PolicyParams,
    response: null,
  }),
  setUserCustomRoles: route({
    method: "PUT",
    path: "/users/:id/custom-roles",
    tag: "policies",
    auth: "user",
    summary: "Set which custom roles a user holds (in addition to their built-in role)",
    params: z.object({ id: Id }),
    body: z.object({ roleIds: z.array(Id).max(20) }),
    response: z.object({ roleIds: z.array(Id) }),
  }),
} as const;
