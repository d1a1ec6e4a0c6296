/**
 * API keys and service accounts (issue 10). An API key is a long-lived, scoped, expiring
 * credential for scripts, bots and integrations: shown once, stored hashed, exchanged with
 * `signInWithApiKey` for a session on a device (the SDK and the CLI do it for you with
 * PARLEY_API_KEY), every exchange audited. A session from a key is limited to its scopes:
 * `read` (GET routes, the WebSocket's stream), `write` (everything else a member may do,
 * sending messages included), `admin` (administration routes, as far as the key owner's
 * role allows). Service accounts are non-human users of the org that admins create; their
 * only credentials are API keys.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { AuthTokens, DeviceName, DisplayName, Id, OrgRole, Timestamp, User, Username } from "./models.ts";

export const ApiKeyScope = z.enum(["read", "write", "admin"]);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const ApiKey = z.object({
  id: Id,
  userId: Id,
  name: z.string(),
  /** The key's first characters, to recognise it (`pk_AbCd…`). */
  prefix: z.string(),
  scopes: z.array(ApiKeyScope),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revoked: z.boolean(),
});
export type ApiKey = z.infer<typeof ApiKey>;

const NewApiKey = z.object({
  name: z.string().trim().min(1).max(80),
  scopes: z.array(ApiKeyScope).min(1).max(3),
  expiresInDays: z.number().int().min(1).max(365).default(90),
});
const Created = z.object({ key: z.string(), apiKey: ApiKey });
const KeyParams = z.object({ id: Id });

export const apiKeyRoutes = {
  signInWithApiKey: route({
    method: "POST",
    path: "/auth/api-key",
    tag: "auth",
    auth: "none",
    summary: "Exchange an API key for a session on a device (limited to the key's scopes, ending no later than the key)",
    body: z.object({ key: z.string().min(10).max(128), deviceName: DeviceName.optional(), deviceId: Id.optional() }),
    response: AuthTokens,
    errors: ["invalid_credentials", "login_throttled", "ip_not_allowed"],
    noStore: true,
  }),
  createApiKey: route({
    method: "POST",
    path: "/me/api-keys",
    tag: "api-keys",
    auth: "user",
    status: 201,
    summary: "Create an API key for yourself (shown once); `admin` scope only for admins",
    body: NewApiKey,
    response: Created,
    errors: ["forbidden"],
    noStore: true,
  }),
  listMyApiKeys: route({
    method: "GET",
    path: "/me/api-keys",
    tag: "api-keys",
    auth: "user",
    summary: "Own API keys",
    response: z.object({ apiKeys: z.array(ApiKey) }),
  }),
  revokeMyApiKey: route({
    method: "DELETE",
    path: "/me/api-keys/:id",
    tag: "api-keys",
    auth: "user",
    summary: "Revoke one of own API keys: its sessions end",
    params: KeyParams,
    response: null,
  }),
  listApiKeys: route({
    method: "GET",
    path: "/api-keys",
    tag: "api-keys",
    auth: "user",
    summary: "Every API key of the org (admins)",
    response: z.object({ apiKeys: z.array(ApiKey) }),
    errors: ["forbidden"],
  }),
  revokeApiKey: route({
    method: "DELETE",
    path: "/api-keys/:id",
    tag: "api-keys",
    auth: "user",
    summary: "Revoke any API key of the org (admins; an owner's or admin's only by owners): its sessions end",
    params: KeyParams,
    response: null,
    errors: ["forbidden"],
  }),
  createServiceAccount: route({
    method: "POST",
    path: "/service-accounts",
    tag: "api-keys",
    auth: "user",
    status: 201,
    summary: "Create a service account (admins): a non-human user whose only credentials are API keys",
    body: z.object({ username: Username, displayName: DisplayName, role: OrgRole.exclude(["owner"]).default("member") }),
    response: User,
    errors: ["forbidden", "already_exists"],
  }),
  listServiceAccounts: route({
    method: "GET",
    path: "/service-accounts",
    tag: "api-keys",
    auth: "user",
    summary: "The org's service accounts (admins)",
    response: z.object({ serviceAccounts: z.array(User) }),
    errors: ["forbidden"],
  }),
  createServiceAccountKey: route({
    method: "POST",
    path: "/service-accounts/:id/api-keys",
    tag: "api-keys",
    auth: "user",
    status: 201,
    summary: "Create an API key for a service account (admins; shown once)",
    params: KeyParams,
    body: NewApiKey,
    response: Created,
    errors: ["forbidden"],
    noStore: true,
  }),
} as const;
