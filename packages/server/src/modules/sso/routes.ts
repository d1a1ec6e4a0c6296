/** HTTP handlers of the SSO module's JSON routes (the browser redirects: http/sso.ts). */
import type { ssoRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { browserCookie, browserSecretOf } from "./browser-cookie.ts";
import { completeSso, ssoLogoutUrl, ssoProviderButtons } from "./complete.ts";
import { createSsoProvider, deleteSsoProvider, listSsoProviders, testSsoProvider, updateSsoProvider } from "./providers.ts";

export const ssoHandlers: ModuleHandlers<keyof typeof ssoRoutes> = {
  listSsoProviders: (_input, ctx) => listSsoProviders(ctx.deps, principalOf(ctx)),
  createSsoProvider: ({ body }, ctx) => createSsoProvider(ctx.deps, principalOf(ctx), body),
  updateSsoProvider: ({ params, body }, ctx) => updateSsoProvider(ctx.deps, principalOf(ctx), params.id, body),
  deleteSsoProvider: ({ params }, ctx) => deleteSsoProvider(ctx.deps, principalOf(ctx), params.id),
  testSsoProvider: ({ params }, ctx) => testSsoProvider(ctx.deps, principalOf(ctx), params.id),
  ssoProviders: ({ query }, { deps }) => ssoProviderButtons(deps, query.org),
  completeSso: async ({ body }, { deps, ip, req, reply }) => {
    const tokens = await completeSso(deps, ip, browserSecretOf(req.headers.cookie), body);
    void reply.header("Set-Cookie", browserCookie(null, deps.publicUrl.get()));
    return tokens;
  },
  ssoLogoutUrl: (_input, ctx) => ssoLogoutUrl(ctx.deps, principalOf(ctx)),
};
