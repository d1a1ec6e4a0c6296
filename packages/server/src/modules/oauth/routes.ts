/** HTTP handlers of the OAuth2 apps' JSON routes (the provider's endpoints and the consent calls: http/oauth.ts). */
import type { oauthRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { createOAuthApp, deleteOAuthApp, listOAuthApps } from "./apps.ts";
import { listOAuthGrants, revokeOAuthGrant } from "./grants.ts";
import { consentDetails, decideConsent } from "./consent.ts";

export const oauthHandlers: ModuleHandlers<keyof typeof oauthRoutes> = {
  // The provider reads its interaction cookie from the raw request (and may set cookies on the raw response).
  getOAuthConsent: ({ params }, ctx) => consentDetails(ctx.deps, principalOf(ctx), params.uid, ctx.req.raw, ctx.reply.raw),
  answerOAuthConsent: ({ params, body }, ctx) => decideConsent(ctx.deps, principalOf(ctx), params.uid, ctx.req.raw, ctx.reply.raw, body.allow),
  createOAuthApp: ({ body }, ctx) => createOAuthApp(ctx.deps, principalOf(ctx), body),
  listOAuthApps: async (_input, ctx) => ({ apps: await listOAuthApps(ctx.deps, principalOf(ctx)) }),
  deleteOAuthApp: ({ params }, ctx) => deleteOAuthApp(ctx.deps, principalOf(ctx), params.id),
  listOAuthGrants: async (_input, ctx) => ({ grants: await listOAuthGrants(ctx.deps, principalOf(ctx), false) }),
  revokeOAuthGrant: ({ params }, ctx) => revokeOAuthGrant(ctx.deps, principalOf(ctx), params.id, false),
  listMyOAuthGrants: async (_input, ctx) => ({ grants: await listOAuthGrants(ctx.deps, principalOf(ctx), true) }),
  revokeMyOAuthGrant: ({ params }, ctx) => revokeOAuthGrant(ctx.deps, principalOf(ctx), params.id, true),
};
