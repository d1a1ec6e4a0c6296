import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { setChannelLabels } from "../channels/labels.ts";
import { createCustomRole, deleteCustomRole, listCustomRoles, setUserCustomRoles, updateCustomRole } from "./custom-roles.ts";
import { dryRunPolicy } from "./dry-run.ts";
import { createPolicy, deletePolicy, listPolicies, updatePolicy, validatePolicy } from "./policies.ts";

/** Roles and policies routes (protocol access-routes.ts). */
export const accessHandlers: ModuleHandlers<
  | "setChannelLabels"
  | "listPolicies"
  | "createPolicy"
  | "updatePolicy"
  | "deletePolicy"
  | "validatePolicy"
  | "dryRunPolicy"
  | "listCustomRoles"
  | "createCustomRole"
  | "updateCustomRole"
  | "deleteCustomRole"
  | "setUserCustomRoles"
> = {
  setChannelLabels: ({ params, body }, ctx) => setChannelLabels(ctx.deps, principalOf(ctx), params.channelId, body.labels),
  listPolicies: (_input, ctx) => listPolicies(ctx.deps, principalOf(ctx)),
  createPolicy: ({ body }, ctx) => createPolicy(ctx.deps, principalOf(ctx), ctx.ip, body),
  updatePolicy: ({ params, body }, ctx) => updatePolicy(ctx.deps, principalOf(ctx), ctx.ip, params.id, body),
  deletePolicy: ({ params }, ctx) => deletePolicy(ctx.deps, principalOf(ctx), params.id),
  validatePolicy: async ({ body }, ctx) => validatePolicy(principalOf(ctx), body.text),
  dryRunPolicy: ({ body }, ctx) => dryRunPolicy(ctx.deps, principalOf(ctx), body),
  listCustomRoles: (_input, ctx) => listCustomRoles(ctx.deps, principalOf(ctx)),
  createCustomRole: ({ body }, ctx) => createCustomRole(ctx.deps, principalOf(ctx), body),
  updateCustomRole: ({ params, body }, ctx) => updateCustomRole(ctx.deps, principalOf(ctx), params.id, body),
  deleteCustomRole: ({ params }, ctx) => deleteCustomRole(ctx.deps, principalOf(ctx), params.id),
  setUserCustomRoles: ({ params, body }, ctx) => setUserCustomRoles(ctx.deps, principalOf(ctx), params.id, body.roleIds),
};
