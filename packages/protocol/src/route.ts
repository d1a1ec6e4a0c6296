/* eslint-disable @typescript-eslint/no-explicit-any -- `any` in conditional-type positions lets infer pick one slot of RouteDef */
import type { z } from "zod";

/** Who may call a route: anyone, or a signed-in device. */
export type RouteAuth = "none" | "user";

/** One REST route of the API: the single source for validation, OpenAPI and the SDK. */
export interface RouteDef<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType | null = z.ZodType | null,
  A extends RouteAuth = RouteAuth,
> {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path below {@link API_PREFIX}, Fastify style (`/channels/:channelId`). */
  path: string;
  summary: string;
  tag: string;
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  /** Success body schema; null for 204 No Content. */
  response: R;
  /** Success status (default 200, or 204 when response is null). */
  status?: number;
  /** Error codes this route may return besides the generic ones. */
  errors?: readonly string[];
  /**
   * Binary bodies instead of JSON: `request` — the body is raw bytes
   * (Content-Type: application/octet-stream) streamed to the handler, and
   * `body` must be unset; `response` — the success body is raw bytes (the
   * handler returns a stream) and `response` describes nothing (null).
   */
  raw?: { request?: "octet-stream"; response?: "octet-stream" };
  /**
   * A larger JSON body limit than the server-wide one: `mlsBundle` — MLS commit
   * bundles, whose GroupInfo carries the whole ratchet tree (several MB at 1,000
   * members with X-Wing); the server's `mlsBundleLimit` setting applies.
   */
  bodyLimit?: "mlsBundle";
  /**
   * The response (or the URL) carries a token or another secret: the server
   * answers with `Cache-Control: no-store` so no browser or proxy cache keeps
   * it. A protocol test fails when a route whose response schema or path names
   * a token, secret or password lacks it.
   */
  noStore?: true;
}

/** Identity function that keeps a route's literal types. */
export function route<
  R extends z.ZodType | null,
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  const A extends RouteAuth = RouteAuth,
>(def: RouteDef<P, Q, B, R, A>): RouteDef<P, Q, B, R, A> {
  return def;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;
type In<T> = T extends z.ZodType ? z.input<T> : undefined;

/** Parsed path params of a route. */
export type RouteParams<D> = D extends RouteDef<infer P, any, any, any, any> ? Out<P> : never;
/** Parsed query of a route. */
export type RouteQuery<D> = D extends RouteDef<any, infer Q, any, any, any> ? Out<Q> : never;
/** Parsed body of a route. */
export type RouteBody<D> = D extends RouteDef<any, any, infer B, any, any> ? Out<B> : never;
/** Body a client sends (schema input type). */
export type RouteBodyInput<D> = D extends RouteDef<any, any, infer B, any, any> ? In<B> : never;
/** Query a client sends (schema input type). */
export type RouteQueryInput<D> = D extends RouteDef<any, infer Q, any, any, any> ? In<Q> : never;
/** Success response body of a route (void for 204). */
export type RouteResponse<D> = D extends RouteDef<any, any, any, infer R, any> ? (R extends z.ZodType ? z.output<R> : void) : never;
