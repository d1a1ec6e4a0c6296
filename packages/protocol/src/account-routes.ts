/**
 * Account routes (issue 10, first slice): passwords and account recovery, the org's
 * password policy, email addresses, and profile pictures.
 *
 * Reset and verification links carry their token in the URL fragment
 * (`/reset-password#token=…`, `/verify-email#token=…`), which browsers never send to a
 * server, and the token travels to the API in a POST body only. Tokens are single use,
 * stored hashed, and expire (reset: 1 hour; email verification: 24 hours).
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Email, Id, Org, Password, Slug, Timestamp, User, Username } from "./models.ts";

/** A password-reset or email-verification token as it appears in a link. */
const LinkToken = z.string().min(16).max(128);

/** Image types a profile picture may have. */
export const AvatarType = z.enum(["image/png", "image/jpeg", "image/webp"]);
export type AvatarType = z.infer<typeof AvatarType>;
/** Largest profile picture, bytes (clients resize before uploading). */
export const AVATAR_MAX_BYTES = 262_144;

/**
 * The org's password policy (NIST 800-63B): a minimum length, and a check against a
 * bundled list of common breached passwords and the account's own names. No composition
 * rules, no forced periodic changes.
 */
export const PasswordPolicy = z.object({
  /** Fewest characters a new password may have (8–64; default 10). */
  minLength: z.number().int().min(8).max(64),
  /** Refuse passwords on the bundled list of ~49,000 common breached passwords, and ones containing the username or org name. */
  blockCommon: z.boolean(),
});
export type PasswordPolicy = z.infer<typeof PasswordPolicy>;

export const accountRoutes = {
  // ---- own password, email, profile picture --------------------------
  changePassword: route({
    method: "POST",
    path: "/me/password",
    tag: "me",
    auth: "user",
    summary:
      "Change own password: the current one is required (failures count against sign-in throttling); optionally end every other session. The user is emailed a notice.",
    body: z.object({
      currentPassword: z.string().min(1).max(256),
      newPassword: Password,
      /** End every session except this one (their devices stay registered and sign in again). */
      signOutOtherSessions: z.boolean().default(false),
    }),
    response: null,
    errors: ["invalid_credentials", "password_rejected", "login_throttled"],
  }),
  changeEmail: route({
    method: "POST",
    path: "/me/email",
    tag: "me",
    auth: "user",
    status: 202,
    summary:
      "Ask to change own email address: the current password is required; a link is sent to the new address and the change takes effect when it is followed (verifyEmail); the old address is told",
    body: z.object({ currentPassword: z.string().min(1).max(256), email: Email }),
    response: z.object({ pendingEmail: Email, expiresAt: Timestamp }),
    errors: ["invalid_credentials", "email_taken", "email_unavailable", "login_throttled"],
  }),
  verifyEmail: route({
    method: "POST",
    path: "/auth/email/verify",
    tag: "auth",
    auth: "none",
    summary: "Follow an email-verification link: the address it was sent to becomes the account's",
    body: z.object({ token: LinkToken }),
    response: z.object({ email: Email }),
    errors: ["token_invalid", "email_taken"],
    noStore: true,
  }),
  setAvatar: route({
    method: "PUT",
    path: "/me/avatar",
    tag: "me",
    auth: "user",
    summary: `Set own profile picture: PNG, JPEG or WebP, at most ${AVATAR_MAX_BYTES} bytes (resize it first), base64`,
    body: z.object({
      contentType: AvatarType,
      data: z
        .string()
        .min(4)
        .max(Math.ceil(AVATAR_MAX_BYTES / 3) * 4),
    }),
    response: User,
    errors: ["payload_too_large"],
  }),
  deleteAvatar: route({
    method: "DELETE",
    path: "/me/avatar",
    tag: "me",
    auth: "user",
    summary: "Remove own profile picture",
    response: User,
  }),
  getAvatar: route({
    method: "GET",
    path: "/users/:id/avatar",
    tag: "users",
    auth: "user",
    summary: "A user's profile picture (image bytes; 404 when they have none)",
    params: z.object({ id: Id }),
    response: null,
    raw: { response: "octet-stream" },
  }),

  // ---- forgotten passwords --------------------------------------------
  requestPasswordReset: route({
    method: "POST",
    path: "/auth/password-reset",
    tag: "auth",
    auth: "none",
    status: 202,
    summary:
      "Forgotten password: email a reset link to the account named by username or email, if it exists and has an address. The answer is the same either way.",
    body: z.object({ org: Slug, login: z.union([Username, Email]) }),
    response: z.object({ accepted: z.literal(true) }),
    errors: ["email_unavailable", "rate_limited"],
  }),
  checkPasswordReset: route({
    method: "POST",
    path: "/auth/password-reset/check",
    tag: "auth",
    auth: "none",
    summary: "What a reset link leads to (org, username, expiry, the password policy) before a new password is chosen",
    body: z.object({ token: LinkToken }),
    response: z.object({ org: Org, username: Username, expiresAt: Timestamp, policy: PasswordPolicy }),
    errors: ["token_invalid", "rate_limited"],
    noStore: true,
  }),
  completePasswordReset: route({
    method: "POST",
    path: "/auth/password-reset/complete",
    tag: "auth",
    auth: "none",
    summary: "Set a new password with a reset link: every session of the account ends, the link and any other open reset links stop working",
    body: z.object({ token: LinkToken, newPassword: Password }),
    response: null,
    errors: ["token_invalid", "password_rejected", "rate_limited"],
    noStore: true,
  }),

  // ---- admins -----------------------------------------------------------
  adminResetPassword: route({
    method: "POST",
    path: "/users/:id/password-reset",
    tag: "users",
    auth: "user",
    summary:
      "Reset a user's password (admins): the old password stops working and every session ends; a reset link is emailed to the user, or returned once here when they have no address or the server sends no email",
    params: z.object({ id: Id }),
    response: z.object({ emailed: z.boolean(), resetUrl: z.string().url().optional(), expiresAt: Timestamp }),
    errors: ["forbidden"],
    noStore: true,
  }),
  adminSetEmail: route({
    method: "PUT",
    path: "/users/:id/email",
    tag: "users",
    auth: "user",
    summary: "Set or clear a user's email address (admins); the user's old address, if any, is told",
    params: z.object({ id: Id }),
    body: z.object({ email: Email.nullable() }),
    response: User,
    errors: ["email_taken", "forbidden"],
  }),
  getPasswordPolicy: route({
    method: "GET",
    path: "/org/password-policy",
    tag: "org",
    auth: "user",
    summary: "The org's password policy",
    response: PasswordPolicy,
  }),
  setPasswordPolicy: route({
    method: "PUT",
    path: "/org/password-policy",
    tag: "org",
    auth: "user",
    summary: "Change the org's password policy (admins); applies to passwords chosen from now on",
    body: PasswordPolicy,
    response: PasswordPolicy,
    errors: ["forbidden"],
  }),
} as const;
