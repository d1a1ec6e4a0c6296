/** HTTP handlers of the SCIM admin API (the protocol route table); the SCIM service itself: http/scim.ts. */
import type { scimRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { createScimToken, listScimTokens, revokeScimToken } from "./tokens.ts";
import { listScimGroups, setScimGroupMapping } from "./mapping.ts";

export const scimHandlers: ModuleHandlers<keyof typeof scimRoutes> = {
  createScimToken: ({ body }, ctx) => createScimToken(ctx.deps, principalOf(ctx), body),
  listScimTokens: async (_input, ctx) => ({ tokens: await listScimTokens(ctx.deps, principalOf(ctx)) }),
  revokeScimToken: ({ params }, ctx) => revokeScimToken(ctx.deps, principalOf(ctx), params.id),
  listScimGroups: async (_input, ctx) => ({ groups: await listScimGroups(ctx.deps, principalOf(ctx)) }),
  setScimGroupMapping: ({ params, body }, ctx) => setScimGroupMapping(ctx.deps, principalOf(ctx), params.id, body),
};
