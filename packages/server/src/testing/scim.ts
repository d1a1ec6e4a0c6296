/**
 * Test-only SCIM client: a SCIM token made through the admin API, and requests to the
 * real server's /scim/v2 with application/scim+json, as an identity provider sends them.
 */
import assert from "node:assert/strict";
import { SCIM_PREFIX } from "@parley/protocol";
import type { ParleyServer } from "../server.ts";
import type { AnyBody, ApiResponse, TestUser } from "./factories.ts";

export const SCIM_CONTENT_TYPE = "application/scim+json";

export interface ScimClient {
  token: string;
  tokenId: string;
  /** Call `${server.url}/scim/v2${path}` with the token (or the given headers instead). */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<AnyBody>>;
}

/** Call /scim/v2 with explicit headers (no token unless given). */
export async function scimCall(
  server: Pick<ParleyServer, "url">,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<AnyBody>> {
  const res = await fetch(`${server.url}${SCIM_PREFIX}${path}`, {
    method,
    headers: { accept: SCIM_CONTENT_TYPE, ...(body !== undefined ? { "content-type": SCIM_CONTENT_TYPE } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A SCIM token of `admin`'s org (POST /api/v1/scim/tokens) and a client using it. */
export async function scimClient(
  server: Pick<ParleyServer, "url">,
  admin: TestUser,
  opts: { name?: string; expiresInDays?: number } = {},
): Promise<ScimClient> {
  const r = await admin.api("POST", "/scim/tokens", { name: opts.name ?? "test IdP", ...(opts.expiresInDays ? { expiresInDays: opts.expiresInDays } : {}) });
  assert.equal(r.status, 201, `create SCIM token: ${JSON.stringify(r.body)}`);
  const token: string = r.body.token;
  return {
    token,
    tokenId: r.body.id,
    req: (method, path, body, headers) => scimCall(server, method, path, body, headers ?? { authorization: `Bearer ${token}` }),
  };
}

/** The RFC 7644 §3.12 error body, checked. */
export function assertScimError(r: ApiResponse<AnyBody>, status: number, scimType?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.match(r.headers.get("content-type") ?? "", /^application\/scim\+json/);
  assert.deepEqual(r.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);
  assert.equal(r.body.status, String(status));
  assert.equal(typeof r.body.detail, "string");
  if (scimType !== undefined) assert.equal(r.body.scimType, scimType, JSON.stringify(r.body));
}

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

/** A PatchOp body. */
export const patchOp = (...Operations: Array<Record<string, unknown>>) => ({ schemas: [PATCH_OP], Operations });
