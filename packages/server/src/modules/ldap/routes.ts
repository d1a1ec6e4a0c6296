/** HTTP handlers of the LDAP module: the org's directory settings, a connection test, a sync now. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { getLdapConfig, setLdapConfig, testLdapConfig } from "./config.ts";
import { requestLdapSync } from "./sync.ts";

export const ldapHandlers: ModuleHandlers<"getLdap" | "setLdap" | "testLdap" | "syncLdap"> = {
  getLdap: (_input, ctx) => getLdapConfig(ctx.deps, principalOf(ctx)),
  setLdap: ({ body }, ctx) => setLdapConfig(ctx.deps, principalOf(ctx), body),
  testLdap: ({ body }, ctx) => testLdapConfig(ctx.deps, principalOf(ctx), body),
  syncLdap: (_input, ctx) => requestLdapSync(ctx.deps, principalOf(ctx)),
};
