/** HTTP handlers of the orgs module: first-run setup, invites and user administration. */
import { API_VERSION } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { needsSetup, runSetup } from "./setup.ts";
import { operatorCreateOrg, operatorListOrgs, operatorOf, operatorRestoreOrg, operatorSuspendOrg } from "./operator.ts";
import { acceptInvite, createInvite, listInvites, peekInvite, revokeInvite } from "./invites.ts";
import { adminRevokeDevice, deactivateUser, getUser, listDevicesOfUser, listUsers, reactivateUser, setUserRole } from "./users.ts";

export const orgsHandlers: ModuleHandlers<
  | "setupStatus"
  | "setup"
  | "createInvite"
  | "listInvites"
  | "revokeInvite"
  | "peekInvite"
  | "acceptInvite"
  | "listUsers"
  | "getUser"
  | "setUserRole"
  | "deactivateUser"
  | "reactivateUser"
  | "listUserDevices"
  | "adminRevokeDevice"
  | "operatorListOrgs"
  | "operatorCreateOrg"
  | "operatorSuspendOrg"
  | "operatorRestoreOrg"
> = {
  setupStatus: async (_input, { deps }) => ({ needsSetup: await needsSetup(deps.db), apiVersion: API_VERSION }),
  setup: ({ body }, { deps }) => runSetup(deps, body),
  createInvite: ({ body }, ctx) => createInvite(ctx.deps, principalOf(ctx), body),
  listInvites: async (_input, ctx) => ({ invites: await listInvites(ctx.deps, principalOf(ctx)) }),
  revokeInvite: ({ params }, ctx) => revokeInvite(ctx.deps, principalOf(ctx), params.id),
  peekInvite: ({ params }, { deps }) => peekInvite(deps, params.token),
  acceptInvite: ({ body }, { deps }) => acceptInvite(deps, body),
  listUsers: async ({ query }, ctx) => ({
    users: await listUsers(ctx.deps, principalOf(ctx), { q: query.q, includeDeactivated: query.includeDeactivated === "true" }),
  }),
  getUser: ({ params }, ctx) => getUser(ctx.deps, principalOf(ctx), params.id),
  setUserRole: ({ params, body }, ctx) => setUserRole(ctx.deps, principalOf(ctx), params.id, body.role),
  deactivateUser: ({ params }, ctx) => deactivateUser(ctx.deps, principalOf(ctx), params.id),
  reactivateUser: ({ params }, ctx) => reactivateUser(ctx.deps, principalOf(ctx), params.id),
  listUserDevices: async ({ params }, ctx) => ({ devices: await listDevicesOfUser(ctx.deps, principalOf(ctx), params.id) }),
  adminRevokeDevice: ({ params }, ctx) => adminRevokeDevice(ctx.deps, principalOf(ctx), params.id, params.deviceId),
  operatorListOrgs: async (_input, ctx) => {
    await operatorOf(ctx);
    return { orgs: await operatorListOrgs(ctx.deps) };
  },
  operatorCreateOrg: async ({ body }, ctx) => operatorCreateOrg(ctx.deps, await operatorOf(ctx), body),
  operatorSuspendOrg: async ({ params, body }, ctx) => operatorSuspendOrg(ctx.deps, await operatorOf(ctx), params.id, body.reason),
  operatorRestoreOrg: async ({ params }, ctx) => operatorRestoreOrg(ctx.deps, await operatorOf(ctx), params.id),
};
