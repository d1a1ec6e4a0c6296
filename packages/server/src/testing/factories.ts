/**
 * Test factories: orgs and users built through the real HTTP API (first-run
 * setup, invites, login), so tests exercise the same paths clients use.
 * Only a *second* org on one server goes through the server-side command
 * createOrgWithOwner (setup works once per server), then signs in over HTTP.
 */
import crypto from "node:crypto";
import type { AuthTokens, Org, OrgRole, User } from "@parley/protocol";
import type { ParleyServer } from "../server.ts";
import { TEST_SETUP_TOKEN } from "./harness.ts";
import { createOrgWithOwner } from "../modules/orgs/create-org.ts";

/** What a test reads from a response body: arbitrary JSON, inspected field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests inspect arbitrary bodies
export type AnyBody = any;

export interface ApiResponse<T = AnyBody> {
  status: number;
  body: T;
  headers: Headers;
}

export interface TestUser {
  user: User;
  org: Org;
  tokens: AuthTokens;
  accessToken: string;
  /** Authorization + content-type headers for this user. */
  headers: Record<string, string>;
  password: string;
  /** Call `${server.url}/api/v1${path}` as this user. */
  api<T = AnyBody>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

type ServerLike = Pick<ParleyServer, "url"> & Partial<Pick<ParleyServer, "deps">>;

/** Call the API without (or with explicit) credentials. */
export async function call<T = AnyBody>(
  server: ServerLike,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
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
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** Wrap tokens into a TestUser. */
export function asTestUser(server: ServerLike, tokens: AuthTokens, password: string): TestUser {
  const headers = { authorization: `Bearer ${tokens.accessToken}`, "content-type": "application/json" };
  return {
    user: tokens.user,
    org: tokens.org,
    tokens,
    accessToken: tokens.accessToken,
    headers,
    password,
    api: (method, path, body) => call(server, method, path, body, { authorization: headers.authorization }),
  };
}

const rnd = () => crypto.randomBytes(4).toString("hex");
export const TEST_PASSWORD = "correct horse battery staple";

function expectStatus(r: ApiResponse, status: number, what: string): void {
  if (r.status !== status) throw new Error(`${what} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
}

/** First-run setup over HTTP: the first org on this server and its owner. */
export async function bootstrapOrg(
  server: ServerLike,
  opts: { orgSlug?: string; orgName?: string; username?: string; displayName?: string; password?: string; setupToken?: string } = {},
): Promise<TestUser & { org: Org }> {
  const password = opts.password ?? TEST_PASSWORD;
  const r = await call<AuthTokens>(server, "POST", "/setup", {
    setupToken: opts.setupToken ?? TEST_SETUP_TOKEN,
    orgSlug: opts.orgSlug ?? `org-${rnd()}`,
    orgName: opts.orgName ?? "Test Org",
    username: opts.username ?? "owner",
    displayName: opts.displayName ?? "Owner",
    password,
    deviceName: "test device",
  });
  expectStatus(r, 201, "setup");
  return asTestUser(server, r.body, password);
}

/** Sign in over HTTP. */
export async function loginUser(
  server: ServerLike,
  org: string,
  username: string,
  password: string,
  extra: { deviceName?: string; deviceId?: string } = {},
): Promise<AuthTokens> {
  const r = await call<AuthTokens>(server, "POST", "/auth/login", { org, username, password, deviceName: extra.deviceName ?? "test device", ...extra });
  expectStatus(r, 200, `login ${org}/${username}`);
  return r.body;
}

/**
 * Another org (with its owner) on the same server: created with the
 * server-side command (the one `parley admin bootstrap` uses), then signed in over HTTP.
 */
export async function makeOrg(server: ServerLike, slug = `org-${rnd()}`): Promise<TestUser & { org: Org }> {
  if (!server.deps) throw new Error("makeOrg needs an in-process server (server.deps)");
  await createOrgWithOwner(server.deps, { orgSlug: slug, orgName: `Org ${slug}`, username: "owner", displayName: "Owner", password: TEST_PASSWORD });
  return asTestUser(server, await loginUser(server, slug, "owner", TEST_PASSWORD), TEST_PASSWORD);
}

/** A new user in `owner`'s org: the owner creates an invite, the user accepts it (both over HTTP). */
export async function makeUser(
  server: ServerLike,
  owner: TestUser,
  opts: { role?: Exclude<OrgRole, "owner"> | "owner"; username?: string; displayName?: string; password?: string } = {},
): Promise<TestUser> {
  const role = opts.role ?? "member";
  const password = opts.password ?? TEST_PASSWORD;
  const inv = await owner.api("POST", "/invites", { role: role === "owner" ? "admin" : role });
  expectStatus(inv, 201, "create invite");
  const username = opts.username ?? `user-${rnd()}`;
  const acc = await call<AuthTokens>(server, "POST", "/invites/accept", {
    token: inv.body.token,
    username,
    displayName: opts.displayName ?? username,
    password,
    deviceName: "test device",
  });
  expectStatus(acc, 201, "accept invite");
  if (role !== "owner") return asTestUser(server, acc.body, password);
  const promoted = await owner.api("PUT", `/users/${acc.body.user.id}/role`, { role: "owner" });
  expectStatus(promoted, 200, "promote to owner");
  return asTestUser(server, { ...acc.body, user: promoted.body }, password);
}

/** Row count of a table (to prove a rejected request wrote nothing). */
export async function countRows(server: Pick<ParleyServer, "deps">, table: keyof import("../platform/db/tables.ts").Database): Promise<number> {
  const r = await server.deps.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Row counts of the identity tables, for before/after comparisons. */
export async function identityCounts(server: Pick<ParleyServer, "deps">): Promise<Record<string, number>> {
  const tables = ["orgs", "users", "devices", "sessions", "refresh_tokens", "invites", "user_stream"] as const;
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = await countRows(server, t);
  return out;
}
