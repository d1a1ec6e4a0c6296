/**
 * HTTP transport: `api.call(routeName, { params, query, body })`, typed from
 * the protocol route table. Substitutes `:params`, encodes the query, sends
 * JSON, attaches the access token for `auth: "user"` routes, retries once
 * after a refresh when the token expired, and turns every failure into a
 * {@link ParleyError}.
 */
import {
  API_PREFIX,
  routes,
  type RouteBodyInput,
  type RouteName,
  type RouteParams,
  type RouteQuery,
  type RouteQueryInput,
  type RouteResponse,
  type Routes,
} from "@parley/protocol";
import { errorFromBody, networkError, ParleyError, parseRetryAfter } from "./errors.ts";

type Defined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] };

/**
 * Query a client passes: the keys and optionality of the schema's input, with
 * the parsed types (numbers stay numbers; they are stringified on the wire).
 */
export type QueryArg<D> = { [K in keyof RouteQueryInput<D>]: K extends keyof RouteQuery<D> ? Exclude<RouteQuery<D>[K], undefined> : never };

type RawSlots<N extends RouteName> = Defined<{
  params: RouteParams<Routes[N]>;
  query: RouteQueryInput<Routes[N]> extends undefined ? undefined : QueryArg<Routes[N]>;
  body: RouteBodyInput<Routes[N]>;
}>;
type Simplify<T> = { [K in keyof T]: T[K] };
/** Slots with no required field (e.g. a query of optional filters) may be left out. */
type Slots<S> = Simplify<{ [K in keyof S as object extends S[K] ? never : K]: S[K] } & { [K in keyof S as object extends S[K] ? K : never]?: S[K] }>;

/**
 * What `api.call(name, input)` takes for route `N`: `params`, `query` and
 * `body` as the route defines them (slots the route lacks are not allowed).
 */
export type CallInput<N extends RouteName> = [keyof RawSlots<N>] extends [never] ? { params?: never; query?: never; body?: never } : Slots<RawSlots<N>>;

/** Argument list of `api.call` for route `N`: the input may be omitted when nothing in it is required. */
export type CallArgs<N extends RouteName> = object extends CallInput<N> ? [input?: CallInput<N>] : [input: CallInput<N>];

/** The success result of route `N` (void for 204). */
export type CallResult<N extends RouteName> = RouteResponse<Routes[N]>;

/** Where the transport gets and renews the access token. */
export interface TokenSource {
  /** A valid access token (refreshing first if it is about to expire), or undefined when signed out. */
  accessToken(): Promise<string | undefined>;
  /** Called when the server said token_expired/unauthorized; resolves true if a new token is available. */
  onUnauthorized(failedToken: string): Promise<boolean>;
}

/** Options of {@link createApi}. */
export interface ApiOptions {
  /** Server origin, e.g. `https://chat.example.org` (no /api/v1). */
  baseUrl: string;
  /** Access tokens for `auth: "user"` routes. */
  tokens?: TokenSource;
  /** fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
  /** Per-request timeout, ms (default 30 000). */
  timeoutMs?: number;
}

/** A typed client of the REST API. */
export interface Api {
  /** Server origin this client talks to. */
  readonly baseUrl: string;
  /** Call route `name` with its params/query/body; resolves with the typed response or throws {@link ParleyError}. */
  call<N extends RouteName>(name: N, ...args: CallArgs<N>): Promise<CallResult<N>>;
  /**
   * An authenticated request outside the JSON route table (binary upload and
   * download of attachment ciphertext). `path` is relative to the API prefix
   * (e.g. `/files/abc`). Resolves with the response when it is 2xx, else
   * throws {@link ParleyError}; the caller consumes the body.
   */
  raw(method: string, path: string, init?: RawInit): Promise<Response>;
}

/** Options of {@link Api.raw}. */
export interface RawInit {
  query?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Request body (bytes or a stream of bytes). */
  body?: Uint8Array | ReadableStream<Uint8Array>;
  /** Per-request timeout, ms (default: the client's). */
  timeoutMs?: number;
}

/** Build the path of a route with `:params` substituted and the query encoded. */
export function buildPath(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const filled = path.replace(/:([A-Za-z0-9_]+)/g, (_m, key: string) => {
    const v = params?.[key];
    if (v === undefined || v === null) throw new ParleyError({ code: "validation_failed", message: `missing path parameter ${key}` });
    return encodeURIComponent(String(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null) continue;
    qs.append(k, String(v));
  }
  const s = qs.toString();
  return API_PREFIX + filled + (s ? `?${s}` : "");
}

/** Create a typed REST client for `opts.baseUrl`. */
export function createApi(opts: ApiOptions): Api {
  const baseUrl = opts.baseUrl.replace(/\/+$/, "");
  const doFetch = opts.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a));
  const timeoutMs = opts.timeoutMs ?? 30_000;

  async function once(method: string, url: string, body: unknown, token: string | undefined): Promise<{ res: Response; data: unknown }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if ((err as Error)?.name === "TimeoutError") throw new ParleyError({ code: "timeout", message: `${method} ${url} timed out`, cause: err });
      throw networkError(err, `${method} ${url} failed`);
    }
    const text = await res.text().catch((err: unknown) => {
      throw networkError(err);
    });
    let data: unknown = undefined;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    return { res, data };
  }

  async function raw(method: string, path: string, init: RawInit = {}): Promise<Response> {
    const url = baseUrl + buildPath(path, undefined, init.query);
    const send = async (token: string | undefined): Promise<Response> => {
      const headers: Record<string, string> = { ...init.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      try {
        return await doFetch(url, {
          method,
          headers,
          body: (init.body ?? null) as BodyInit | null,
          signal: AbortSignal.timeout(init.timeoutMs ?? timeoutMs),
          // Node's fetch needs half duplex to stream a request body.
          ...(init.body instanceof ReadableStream ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (err) {
        if ((err as Error)?.name === "TimeoutError") throw new ParleyError({ code: "timeout", message: `${method} ${url} timed out`, cause: err });
        throw networkError(err, `${method} ${url} failed`);
      }
    };
    let token = await opts.tokens?.accessToken();
    let res = await send(token);
    // A stream body cannot be replayed, so only bodiless or byte requests get the refresh retry.
    if (res.status === 401 && token && opts.tokens && !(init.body instanceof ReadableStream)) {
      await res.body?.cancel();
      if (await opts.tokens.onUnauthorized(token)) {
        token = await opts.tokens.accessToken();
        res = await send(token);
      }
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => "");
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    throw errorFromBody(res.status, data, parseRetryAfter(res.headers.get("retry-after")));
  }

  return {
    baseUrl,
    raw,
    async call<N extends RouteName>(name: N, ...args: CallArgs<N>): Promise<CallResult<N>> {
      const def = routes[name];
      const input = (args[0] ?? {}) as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
      const url = baseUrl + buildPath(def.path, input.params, input.query);
      const body = def.body ? (input.body ?? {}) : undefined;
      const wantsAuth = def.auth === "user";
      let token = wantsAuth ? await opts.tokens?.accessToken() : undefined;
      let { res, data } = await once(def.method, url, body, token);
      // A token that expired in flight (or was revoked by a concurrent refresh) gets one retry.
      if (res.status === 401 && wantsAuth && token && opts.tokens) {
        const code = (data as { code?: string } | undefined)?.code;
        if ((code === "token_expired" || code === "unauthorized") && (await opts.tokens.onUnauthorized(token))) {
          token = await opts.tokens.accessToken();
          ({ res, data } = await once(def.method, url, body, token));
        }
      }
      if (!res.ok) throw errorFromBody(res.status, data, parseRetryAfter(res.headers.get("retry-after")));
      return (def.response === null ? undefined : data) as CallResult<N>;
    },
  };
}
