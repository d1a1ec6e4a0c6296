/**
 * Minimal raw-HTTP client for system tests: speaks the wire protocol
 * directly (no SDK), so a test sees exactly what a client would.
 */
import { API_PREFIX, type AuthTokens } from "@parley/protocol";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
  /** The raw body text (to scan for leaked ids). */
  text: string;
}

export async function api<T = unknown>(
  base: string,
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; signal?: AbortSignal } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${API_PREFIX}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T, headers: res.headers, text };
}

/** First-run setup over HTTP: the org and its owner, signed in. */
export async function bootstrapOrg(base: string, setupToken: string, slug = "acme"): Promise<AuthTokens> {
  const r = await api<AuthTokens>(base, "POST", "/setup", {
    body: { setupToken, orgSlug: slug, orgName: `Org ${slug}`, username: "owner", displayName: "Owner", password: "correct horse battery", deviceName: "test" },
  });
  if (r.status !== 201) throw new Error(`setup failed: ${r.status} ${r.text}`);
  return r.body;
}

/** Content bytes for test event `i` (opaque to the server). */
export function content(label: string): string {
  return Buffer.from(label, "utf8").toString("base64");
}
