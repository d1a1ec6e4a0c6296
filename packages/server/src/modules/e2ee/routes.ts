import type { e2eeRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { getE2eeConfig, setE2eeConfig } from "./config.ts";
import { listBindings, putDeviceIdentity } from "./device-directory.ts";
import { claimKeyPackages, countKeyPackages, uploadKeyPackages } from "./key-packages.ts";

/** Handlers of the E2EE routes (thin: validate, authorize, call a command). */
export const e2eeHandlers: ModuleHandlers<keyof typeof e2eeRoutes> = {
  getE2eeConfig: async (_i, { deps, principal }) => getE2eeConfig(deps, principal),
  setE2eeConfig: async ({ body }, { deps, principal }) => setE2eeConfig(deps, principal, body.suite),
  putDeviceIdentity: async ({ body }, { deps, principal }) => putDeviceIdentity(deps, principal, body),
  listBindings: async ({ query }, { deps, principal }) => ({ bindings: await listBindings(deps, principal, query) }),
  uploadKeyPackages: async ({ body }, { deps, principal }) => uploadKeyPackages(deps, principal, body.keyPackages),
  claimKeyPackages: async ({ body }, { deps, principal }) => claimKeyPackages(deps, principal, body),
  countKeyPackages: async (_i, { deps, principal }) => countKeyPackages(deps, principal),
};
