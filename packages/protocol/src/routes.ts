/**
 * Every REST route of API v1. The server registers a handler for each entry
 * (the compiler checks none is missing), the OpenAPI document is generated
 * from this table, and the SDK calls routes by name.
 */
import { z } from "zod";
import { route } from "./route.ts";
import {
  AuthTokens,
  Device,
  DeviceName,
  DisplayName,
  Email,
  Id,
  Invite,
  Org,
  OrgRole,
  Password,
  Session,
  Slug,
  StatusText,
  Timestamp,
  User,
  Username,
} from "./models.ts";
import { accountRoutes } from "./account-routes.ts";
import { mfaRoutes } from "./mfa-routes.ts";
import { editRoutes } from "./edit-routes.ts";
import { passkeyRoutes } from "./passkey-routes.ts";
import { sessionRoutes } from "./session-routes.ts";
import { apiKeyRoutes } from "./api-key-routes.ts";
import { operatorRoutes } from "./operator-routes.ts";
import { e2eeRoutes } from "./e2ee-routes.ts";
import { fileRoutes } from "./file-routes.ts";
import { mlsRoutes } from "./mls-routes.ts";
import { auditRoutes } from "./audit-routes.ts";
import { complianceRoutes } from "./compliance-routes.ts";
import { archiveRoutes } from "./archive-routes.ts";
import { gdprRoutes } from "./gdpr-routes.ts";
import { lockerRoutes } from "./locker-routes.ts";
import { approvalRoutes } from "./approval-routes.ts";
import { channelRoutes } from "./channel-routes.ts";
import { pinRoutes } from "./pin-routes.ts";
import { commandRoutes } from "./command-routes.ts";
import { scimRoutes } from "./scim-routes.ts";
import { ldapRoutes } from "./ldap-routes.ts";
import { ssoRoutes } from "./sso-routes.ts";
import { accessRoutes, OrgPermission } from "./access-routes.ts";
import { notificationRoutes } from "./notification-routes.ts";
import { profileRoutes } from "./profile-routes.ts";
import { KnownTimeZone, StatusEmoji, Title } from "./profile-models.ts";
import { inboxRoutes } from "./inbox-routes.ts";
import { personalRoutes } from "./personal-routes.ts";
import { reminderRoutes } from "./reminder-routes.ts";
import { emojiRoutes } from "./emoji-routes.ts";
import { callRoutes } from "./call-routes.ts";
import { integrationRoutes } from "./integration-routes.ts";
import { oauthRoutes } from "./oauth-routes.ts";
import { iceRoutes } from "./ice-routes.ts";

const IdParams = z.object({ id: Id });

/** Core routes (issue 2): setup, auth, me, invites, users (channels and events: channel-routes.ts). */
export const coreRoutes = {
  // ---- first run ------------------------------------------------------
  setupStatus: route({
    method: "GET",
    path: "/setup",
    tag: "setup",
    auth: "none",
    summary: "Whether first-run setup is still needed (no org exists yet)",
    response: z.object({ needsSetup: z.boolean(), apiVersion: z.number().int() }),
  }),
  setup: route({
    method: "POST",
    path: "/setup",
    tag: "setup",
    auth: "none",
    status: 201,
    summary: "First-run bootstrap: create the first org and its owner with the one-time setup token printed at first start",
    body: z.object({
      setupToken: z.string().min(16).max(128),
      orgSlug: Slug,
      orgName: DisplayName,
      username: Username,
      displayName: DisplayName,
      password: Password,
      deviceName: DeviceName,
      /** The owner's email address (password resets, security notices). */
      email: Email.optional(),
    }),
    response: AuthTokens,
    errors: ["setup_complete", "forbidden", "password_rejected"],
    noStore: true,
  }),

  // ---- auth -----------------------------------------------------------
  login: route({
    method: "POST",
    path: "/auth/login",
    tag: "auth",
    auth: "none",
    summary: "Sign in with org slug, username and password; registers or reuses a device",
    body: z.object({
      org: Slug,
      username: Username,
      password: z.string().min(1).max(256),
      deviceName: DeviceName.optional(),
      /** Reuse an existing, unrevoked device of this user instead of registering a new one. */
      deviceId: Id.optional(),
    }),
    response: AuthTokens,
    errors: ["invalid_credentials", "login_throttled", "mfa_required", "idp_unavailable", "sso_required"],
    noStore: true,
  }),
  refresh: route({
    method: "POST",
    path: "/auth/refresh",
    tag: "auth",
    auth: "none",
    summary: "Rotate a refresh token for a new access + refresh token pair",
    body: z.object({ refreshToken: z.string().min(16).max(256) }),
    response: AuthTokens,
    errors: ["refresh_token_invalid", "refresh_token_reused", "user_deactivated"],
    noStore: true,
  }),
  logout: route({
    method: "POST",
    path: "/auth/logout",
    tag: "auth",
    auth: "user",
    summary: "End the current session (the device stays registered)",
    response: null,
  }),
  jwks: route({
    method: "GET",
    path: "/auth/jwks",
    tag: "auth",
    auth: "none",
    summary: "Public keys (JWKS) that verify Parley access tokens",
    response: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
  }),

  // ---- me, sessions, devices -----------------------------------------
  me: route({
    method: "GET",
    path: "/me",
    tag: "me",
    auth: "user",
    summary: "The signed-in user, org and device, and the org permissions their built-in and custom roles give them",
    response: z.object({
      user: User,
      org: Org,
      deviceId: Id,
      sessionId: Id,
      /** The catalogue permissions the user's built-in role and custom roles grant (org policies may still forbid some). */
      permissions: z.array(OrgPermission),
    }),
  }),
  updateMe: route({
    method: "PATCH",
    path: "/me",
    tag: "me",
    auth: "user",
    summary:
      "Change own profile: display name, status, title, time zone (null clears a field). The status (statusText, statusEmoji, statusExpiresAt) is set as one: naming any of its fields replaces it, an omitted one is cleared.",
    body: z
      .object({
        displayName: DisplayName.optional(),
        statusText: StatusText.nullable().optional(),
        statusEmoji: StatusEmoji.nullable().optional(),
        /** When the status ends (ms since the epoch, in the future, at most a year ahead); null or omitted: never. */
        statusExpiresAt: Timestamp.nullable().optional(),
        title: Title.nullable().optional(),
        timeZone: KnownTimeZone.nullable().optional(),
      })
      .refine((b) => Object.values(b).some((v) => v !== undefined), "name a field to change"),
    response: User,
  }),
  listSessions: route({
    method: "GET",
    path: "/sessions",
    tag: "me",
    auth: "user",
    summary: "Own active sessions",
    response: z.object({ sessions: z.array(Session) }),
  }),
  revokeSession: route({
    method: "DELETE",
    path: "/sessions/:id",
    tag: "me",
    auth: "user",
    summary: "End one of own sessions",
    params: IdParams,
    response: null,
  }),
  listDevices: route({
    method: "GET",
    path: "/devices",
    tag: "me",
    auth: "user",
    summary: "Own devices",
    response: z.object({ devices: z.array(Device) }),
  }),
  renameDevice: route({
    method: "PATCH",
    path: "/devices/:id",
    tag: "me",
    auth: "user",
    summary: "Rename one of own devices",
    params: IdParams,
    body: z.object({ name: DeviceName }),
    response: Device,
  }),
  revokeDevice: route({
    method: "DELETE",
    path: "/devices/:id",
    tag: "me",
    auth: "user",
    summary: "Revoke one of own devices: ends its sessions and closes its connections",
    params: IdParams,
    response: null,
  }),

  // ---- invites --------------------------------------------------------
  createInvite: route({
    method: "POST",
    path: "/invites",
    tag: "invites",
    auth: "user",
    status: 201,
    summary: "Create an invite link (admins)",
    body: z.object({
      role: OrgRole.exclude(["owner"]).default("member"),
      maxUses: z.number().int().min(1).max(10_000).default(1),
      expiresInSeconds: z
        .number()
        .int()
        .min(60)
        .max(30 * 86_400)
        .default(7 * 86_400),
      /** Email the link to this address (one use); the account created from it gets the address. */
      email: Email.optional(),
    }),
    response: Invite.extend({ token: z.string(), emailed: z.boolean() }),
    errors: ["email_unavailable", "email_taken"],
    noStore: true,
  }),
  listInvites: route({
    method: "GET",
    path: "/invites",
    tag: "invites",
    auth: "user",
    summary: "Invites of the org (admins)",
    response: z.object({ invites: z.array(Invite) }),
  }),
  revokeInvite: route({
    method: "DELETE",
    path: "/invites/:id",
    tag: "invites",
    auth: "user",
    summary: "Revoke an invite (admins)",
    params: IdParams,
    response: null,
  }),
  peekInvite: route({
    method: "GET",
    path: "/invites/token/:token",
    tag: "invites",
    auth: "none",
    summary: "What an invite link leads to (org name, expiry) before accepting it",
    params: z.object({ token: z.string().min(16).max(128) }),
    response: z.object({ org: Org, role: OrgRole, expiresAt: z.number().int() }),
    errors: ["invite_invalid"],
    noStore: true,
  }),
  acceptInvite: route({
    method: "POST",
    path: "/invites/accept",
    tag: "invites",
    auth: "none",
    status: 201,
    summary: "Create an account from an invite link and sign in",
    body: z.object({
      token: z.string().min(16).max(128),
      username: Username,
      displayName: DisplayName,
      password: Password,
      deviceName: DeviceName,
    }),
    response: AuthTokens,
    errors: ["invite_invalid", "already_exists", "password_rejected", "email_taken"],
    noStore: true,
  }),

  // ---- users ----------------------------------------------------------
  listUsers: route({
    method: "GET",
    path: "/users",
    tag: "users",
    auth: "user",
    summary: "Users of the org",
    query: z.object({ q: z.string().max(80).optional(), includeDeactivated: z.enum(["true", "false"]).optional() }),
    response: z.object({ users: z.array(User) }),
  }),
  getUser: route({
    method: "GET",
    path: "/users/:id",
    tag: "users",
    auth: "user",
    summary: "One user of the org",
    params: IdParams,
    response: User,
  }),
  setUserRole: route({
    method: "PUT",
    path: "/users/:id/role",
    tag: "users",
    auth: "user",
    summary: "Change a user's org role (admins; only owners grant or revoke owner/admin)",
    params: IdParams,
    body: z.object({ role: OrgRole }),
    response: User,
  }),
  deactivateUser: route({
    method: "POST",
    path: "/users/:id/deactivate",
    tag: "users",
    auth: "user",
    summary: "Deactivate a user: ends all their sessions and connections (admins)",
    params: IdParams,
    response: User,
  }),
  reactivateUser: route({
    method: "POST",
    path: "/users/:id/reactivate",
    tag: "users",
    auth: "user",
    summary: "Reactivate a deactivated user (admins)",
    params: IdParams,
    response: User,
  }),
  listUserDevices: route({
    method: "GET",
    path: "/users/:id/devices",
    tag: "users",
    auth: "user",
    summary: "A user's devices (admins, or the user)",
    params: IdParams,
    response: z.object({ devices: z.array(Device) }),
  }),
  adminRevokeDevice: route({
    method: "DELETE",
    path: "/users/:id/devices/:deviceId",
    tag: "users",
    auth: "user",
    summary: "Revoke any device of a user (admins)",
    params: z.object({ id: Id, deviceId: Id }),
    response: null,
  }),
} as const;

/** Every route of the API: core, channels and events, E2EE directories, MLS groups, encrypted files, the audit log, key lockers and device approvals. */
export const routes = {
  ...coreRoutes,
  ...accountRoutes,
  ...mfaRoutes,
  ...passkeyRoutes,
  ...sessionRoutes,
  ...apiKeyRoutes,
  ...operatorRoutes,
  ...channelRoutes,
  ...pinRoutes,
  ...commandRoutes,
  ...e2eeRoutes,
  ...mlsRoutes,
  ...fileRoutes,
  ...auditRoutes,
  ...lockerRoutes,
  ...approvalRoutes,
  ...ldapRoutes,
  ...scimRoutes,
  ...ssoRoutes,
  ...accessRoutes,
  ...complianceRoutes,
  ...archiveRoutes,
  ...gdprRoutes,
  ...notificationRoutes,
  ...profileRoutes,
  ...inboxRoutes,
  ...editRoutes,
  ...personalRoutes,
  ...reminderRoutes,
  ...emojiRoutes,
  ...callRoutes,
  ...integrationRoutes,
  ...oauthRoutes,
  ...iceRoutes,
} as const;

/** The route table's type. */
export type Routes = typeof routes;
/** A route's name. */
export type RouteName = keyof Routes;
