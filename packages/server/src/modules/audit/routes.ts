/** HTTP handlers of the audit module. */
import type { auditRoutes } from "@parley/protocol";
import type { ModuleHandlers } from "../../core/handlers.ts";
import { listAuditEntries } from "./read.ts";

/** Handlers of the audit log routes. */
export const auditHandlers: ModuleHandlers<keyof typeof auditRoutes> = {
  listAudit: ({ query }, { deps, principal }) => listAuditEntries(deps, principal, query),
};
