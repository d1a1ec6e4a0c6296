/**
 * Session controls (issue 10): the org's session policy (idle and absolute timeouts, an
 * IP allow-list), "sign out everywhere", and admins' view and revocation of any user's
 * sessions.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, Session } from "./models.ts";

/** An IPv4/IPv6 address or CIDR block, e.g. `10.0.0.0/8`, `2001:db8::/32`, `203.0.113.7`. */
export const IpRange = z
  .string()
  .trim()
  .max(64)
  .regex(/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/, "an IP address or CIDR block");

/** The org's session policy. */
export const SessionPolicy = z.object({
  /** A session unused this long ends (minutes; null: the server's PARLEY_REFRESH_TOKEN_TTL). Never longer than the server's. */
  idleTimeoutMinutes: z.number().int().min(5).max(525_600).nullable(),
  /** A session ends this long after sign-in however active it is (hours; null: no limit). */
  absoluteTimeoutHours: z.number().int().min(1).max(8_760).nullable(),
  /** Sign-in and every request only from these addresses (empty: any). */
  ipAllowList: z.array(IpRange).max(100),
});
export type SessionPolicy = z.infer<typeof SessionPolicy>;

const UserParams = z.object({ id: Id });

export const sessionRoutes = {
  getSessionPolicy: route({
    method: "GET",
    path: "/org/session-policy",
    tag: "org",
    auth: "user",
    summary: "The org's session policy",
    response: SessionPolicy,
  }),
  setSessionPolicy: route({
    method: "PUT",
    path: "/org/session-policy",
    tag: "org",
    auth: "user",
    summary: "Change the org's session policy (admins); refused when the allow-list would exclude the address you call from",
    body: SessionPolicy,
    response: SessionPolicy,
    errors: ["forbidden", "bad_request"],
  }),
  signOutEverywhere: route({
    method: "POST",
    path: "/sessions/revoke-all",
    tag: "me",
    auth: "user",
    summary: "End every own session (keepCurrent: all but this one); devices stay registered",
    body: z.object({ keepCurrent: z.boolean().default(false) }),
    response: z.object({ ended: z.number().int().nonnegative() }),
  }),
  adminListUserSessions: route({
    method: "GET",
    path: "/users/:id/sessions",
    tag: "users",
    auth: "user",
    summary: "A user's active sessions (admins)",
    params: UserParams,
    response: z.object({ sessions: z.array(Session) }),
    errors: ["forbidden"],
  }),
  adminRevokeUserSession: route({
    method: "DELETE",
    path: "/users/:id/sessions/:sessionId",
    tag: "users",
    auth: "user",
    summary: "End one of a user's sessions (admins; an owner's or admin's only by owners)",
    params: z.object({ id: Id, sessionId: Id }),
    response: null,
    errors: ["forbidden"],
  }),
  adminRevokeUserSessions: route({
    method: "DELETE",
    path: "/users/:id/sessions",
    tag: "users",
    auth: "user",
    summary: "End every session of a user (admins; an owner's or admin's only by owners)",
    params: UserParams,
    response: z.object({ ended: z.number().int().nonnegative() }),
    errors: ["forbidden"],
  }),
} as const;
