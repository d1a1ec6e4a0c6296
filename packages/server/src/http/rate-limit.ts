/**
 * How HTTP requests count against the rate limiters: the one place that
 * decides. A route declares its {@link RouteLimit} in its Fastify route
 * config (`limit`; the default is {@link STANDARD_LIMIT}) and the hooks read
 * the declaration of the route the router MATCHED. So the count follows the
 * routed path whatever
 * spelling of the URL reached it — percent-encoded (`/%61pi/v1/...`),
 * absolute-form (`GET http://host/api/v1/...`) — and a request no route
 * matches (404s, scanners) counts at the standard rate.
 *
 * WebSocket upgrades bypass Fastify; the gateway counts them against the same
 * address allowance (gateway.ts).
 */
import type { FastifyRequest } from "fastify";
import type { Deps, DeviceActor } from "../context.ts";

/** What one request of a route costs. */
export interface RouteLimit {
  /** Points against the client address's allowance (PARLEY_RATE_LIMIT_IP per minute); 0 exempts the route. */
  ip: number;
  /** Points against the signed-in user's allowance (PARLEY_RATE_LIMIT_USER per minute); 0 exempts it. */
  user: number;
}

/** Every request unless its route says otherwise. */
export const STANDARD_LIMIT: RouteLimit = { ip: 1, user: 1 };

/**
 * Liveness and readiness probes are exempt: a load balancer probing often
 * from one address must never be throttled into marking a healthy node dead.
 * They read nothing a client could use to amplify load.
 */
export const PROBE_LIMIT: RouteLimit = { ip: 0, user: 0 };

function declared(req: FastifyRequest): RouteLimit {
  return (req.routeOptions.config as { limit?: RouteLimit } | undefined)?.limit ?? STANDARD_LIMIT;
}

/**
 * Count a request against its client address. Runs in onRequest — after
 * routing, before the body is parsed or a token checked — so floods of bad
 * tokens or bodies are throttled before they cost anything.
 */
export async function limitAddress(deps: Deps, req: FastifyRequest): Promise<void> {
  const { ip } = declared(req);
  if (ip > 0) await deps.limits.ip.consume(req.ip, ip);
}

/** Count a request against the signed-in user (after authentication). */
export async function limitUser(deps: Deps, req: FastifyRequest, principal: DeviceActor | undefined): Promise<void> {
  const { user } = declared(req);
  if (principal && user > 0) await deps.limits.user.consume(principal.userId, user);
}
