/**
 * The principal of an authenticated request. register.ts authenticates every
 * `auth: "user"` route before calling its handler, but the route table's
 * `auth` field is typed as the wide RouteAuth, so the handler context type
 * cannot say so; this narrows it (and fails loudly if that ever breaks).
 */
import type { DeviceActor } from "../../context.ts";
import type { RequestCtx } from "../../core/handlers.ts";
import { AppError } from "../../core/errors.ts";

export function principalOf(ctx: RequestCtx): DeviceActor {
  const p = (ctx as RequestCtx & { principal?: DeviceActor }).principal;
  if (!p) throw new AppError("unauthorized", "sign in first");
  return p;
}
