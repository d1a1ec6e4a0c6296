/** Integration routes (protocol integration-routes.ts): thin — validate (the table does), call one command. */
import type { ModuleHandlers } from "../../core/handlers.ts";
import { principalOf } from "../accounts/principal-of.ts";
import { createIntegration, deleteIntegration, listDeadLetters, listIntegrations, reportDeadLetter, setIntegrationEnabled } from "./commands.ts";

export const integrationHandlers: ModuleHandlers<
  "createIntegration" | "listIntegrations" | "updateIntegration" | "deleteIntegration" | "reportIntegrationDeadLetter" | "listIntegrationDeadLetters"
> = {
  createIntegration: ({ body }, ctx) => createIntegration(ctx.deps, principalOf(ctx), body),
  listIntegrations: (_input, ctx) => listIntegrations(ctx.deps, principalOf(ctx)),
  updateIntegration: ({ params, body }, ctx) => setIntegrationEnabled(ctx.deps, principalOf(ctx), params.id, body.enabled),
  deleteIntegration: ({ params }, ctx) => deleteIntegration(ctx.deps, principalOf(ctx), params.id),
  reportIntegrationDeadLetter: ({ params, body }, ctx) => reportDeadLetter(ctx.deps, principalOf(ctx), params.id, body),
  listIntegrationDeadLetters: ({ params, query }, ctx) => listDeadLetters(ctx.deps, principalOf(ctx), params.id, query.limit),
};
