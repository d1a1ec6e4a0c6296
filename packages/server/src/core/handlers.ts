/**
 * What a route handler is: its typed input (params, query, body from the
 * protocol table) and its per-request context. Modules declare their handlers
 * with these types; `http/register.ts` wires them into Fastify.
 */
import type { Readable } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { RouteBody, RouteName, RouteParams, RouteQuery, RouteResponse, Routes } from "@parley/protocol";
import type { Deps, DeviceActor } from "../context.ts";

/** Per-request context handed to handlers. */
export interface RequestCtx {
  deps: Deps;
  ip: string;
  requestId: string;
  req: FastifyRequest;
  reply: FastifyReply;
  /**
   * Routes with `raw.request`: the request body as an unbuffered stream when it
   * was sent as application/octet-stream, else undefined (the handler decides,
   * after its lookups, whether that is an error). Routes with `raw.response`
   * send their body through `reply` themselves.
   */
  rawBody?: Readable | undefined;
}
export interface AuthedCtx extends RequestCtx {
  principal: DeviceActor;
}

export type Handler<N extends RouteName> = (
  input: { params: RouteParams<Routes[N]>; query: RouteQuery<Routes[N]>; body: RouteBody<Routes[N]> },
  ctx: Routes[N]["auth"] extends "user" ? AuthedCtx : RequestCtx,
) => Promise<RouteResponse<Routes[N]>>;

export type Handlers = { [N in RouteName]: Handler<N> };
/** Handlers of one module (a subset of all routes). */
export type ModuleHandlers<N extends RouteName> = { [K in N]: Handler<K> };
