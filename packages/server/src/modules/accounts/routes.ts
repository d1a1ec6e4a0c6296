/** HTTP handlers of the accounts module: sign-in, tokens, own profile, sessions and devices. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "./principal-of.ts";
import { login } from "./login.ts";
import { refreshSession } from "./sessions.ts";
import { getMe, listMyDevices, listMySessions, logout, renameMyDevice, revokeMyDevice, revokeMySession, updateMe } from "./me.ts";

export const accountsHandlers: ModuleHandlers<
  "login" | "refresh" | "logout" | "jwks" | "me" | "updateMe" | "listSessions" | "revokeSession" | "listDevices" | "renameDevice" | "revokeDevice"
> = {
  login: ({ body }, { deps, ip }) => login(deps, ip, body),
  refresh: ({ body }, { deps }) => refreshSession(deps, body.refreshToken),
  logout: (_input, ctx) => logout(ctx.deps, principalOf(ctx)),
  jwks: async (_input, { deps }) => ({ keys: deps.keys.jwks as Array<Record<string, unknown>> }),
  me: (_input, ctx) => getMe(ctx.deps, principalOf(ctx)),
  updateMe: ({ body }, ctx) => updateMe(ctx.deps, principalOf(ctx), body),
  listSessions: async (_input, ctx) => ({ sessions: await listMySessions(ctx.deps, principalOf(ctx)) }),
  revokeSession: ({ params }, ctx) => revokeMySession(ctx.deps, principalOf(ctx), params.id),
  listDevices: async (_input, ctx) => ({ devices: await listMyDevices(ctx.deps, principalOf(ctx)) }),
  renameDevice: ({ params, body }, ctx) => renameMyDevice(ctx.deps, principalOf(ctx), params.id, body.name),
  revokeDevice: ({ params }, ctx) => revokeMyDevice(ctx.deps, principalOf(ctx), params.id),
};
