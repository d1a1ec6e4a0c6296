/**
 * Multi-factor authentication (issue 10): TOTP authenticator apps with one-time recovery
 * codes, and the org's "MFA required" policy.
 *
 * Sign-in with MFA: `login` answers 401 `mfa_required` with `details: MfaChallenge`
 * instead of tokens once the password is right; the client asks for a code and calls
 * `verifyMfa` with the challenge token, which answers with the tokens. A challenge lives
 * five minutes and allows five attempts.
 *
 * An org that requires MFA (for some roles, after a grace period) lets a user without it
 * sign in, but past the grace period their session is restricted to enrolling: every
 * other route answers 403 `mfa_enrollment_required` until they have confirmed an
 * authenticator.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { AuthTokens, Id, OrgRole, Timestamp } from "./models.ts";

/** A six-digit authenticator code. */
export const TotpCode = z.string().regex(/^\d{6}$/, "six digits");
/** A recovery code as printed (`xxxxx-xxxxx`), case and dashes ignored. */
export const RecoveryCode = z
  .string()
  .trim()
  .min(10)
  .max(24)
  .regex(/^[A-Za-z0-9-\s]+$/, "letters, digits and dashes");

/** What `login` answers in `details` with error `mfa_required`. */
export const MfaChallenge = z.object({
  mfaToken: z.string(),
  /** Second factors the account can use. */
  methods: z.array(z.enum(["totp", "recovery_code", "passkey"])),
  expiresAt: Timestamp,
});
export type MfaChallenge = z.infer<typeof MfaChallenge>;

/** The org's MFA policy. */
export const MfaPolicy = z.object({
  /** Whether MFA is required of the roles in `roles`. */
  required: z.boolean(),
  roles: z.array(OrgRole).min(1),
  /** Days a user without MFA may still use their account fully after the policy applies to them (0: at once). */
  graceDays: z.number().int().min(0).max(90),
});
export type MfaPolicy = z.infer<typeof MfaPolicy>;

/** A user's second factors, as they see them. */
export const MfaStatus = z.object({
  totp: z.object({ enabled: z.boolean(), enabledAt: Timestamp.nullable() }),
  recoveryCodesLeft: z.number().int().nonnegative(),
  /** The org requires MFA of this user. */
  required: z.boolean(),
  /** Until when a user who must enrol may go without (null: not required, or enrolled). */
  enrollBy: Timestamp.nullable(),
});
export type MfaStatus = z.infer<typeof MfaStatus>;

const RecoveryCodes = z.object({ recoveryCodes: z.array(z.string()).length(10) });

export const mfaRoutes = {
  verifyMfa: route({
    method: "POST",
    path: "/auth/mfa",
    tag: "auth",
    auth: "none",
    summary: "Second step of sign-in: the challenge from `mfa_required` and an authenticator code (or a recovery code, which then stops working)",
    body: z.union([
      z.object({ mfaToken: z.string().min(16).max(128), code: TotpCode }),
      z.object({ mfaToken: z.string().min(16).max(128), recoveryCode: RecoveryCode }),
      /** A passkey's WebAuthn authentication response to the options of mfaPasskeyOptions. */
      z.object({ mfaToken: z.string().min(16).max(128), passkey: z.record(z.string(), z.unknown()) }),
    ]),
    response: AuthTokens,
    errors: ["mfa_invalid", "mfa_challenge_invalid", "passkey_invalid", "login_throttled"],
    noStore: true,
  }),
  getMfa: route({
    method: "GET",
    path: "/me/mfa",
    tag: "mfa",
    auth: "user",
    summary: "Own second factors and whether the org requires them",
    response: MfaStatus,
  }),
  startTotp: route({
    method: "POST",
    path: "/me/mfa/totp",
    tag: "mfa",
    auth: "user",
    summary:
      "Start enrolling an authenticator app (the current password is required): a new secret as an otpauth URI and a QR code; it is used once confirmTotp proves the app holds it",
    body: z.object({ currentPassword: z.string().min(1).max(256) }),
    response: z.object({ secret: z.string(), otpauthUri: z.string(), qrSvg: z.string() }),
    errors: ["invalid_credentials", "login_throttled", "bad_request"],
    noStore: true,
  }),
  confirmTotp: route({
    method: "POST",
    path: "/me/mfa/totp/confirm",
    tag: "mfa",
    auth: "user",
    summary: "Finish enrolling: a code from the app turns MFA on and returns 10 recovery codes, shown this once",
    body: z.object({ code: TotpCode }),
    response: RecoveryCodes,
    errors: ["mfa_invalid", "bad_request", "login_throttled"],
    noStore: true,
  }),
  disableTotp: route({
    method: "DELETE",
    path: "/me/mfa/totp",
    tag: "mfa",
    auth: "user",
    summary: "Turn off the authenticator app (current password and a code required; refused while the org requires MFA of you)",
    body: z.object({ currentPassword: z.string().min(1).max(256), code: TotpCode }),
    response: null,
    errors: ["invalid_credentials", "mfa_invalid", "forbidden", "login_throttled"],
  }),
  regenerateRecoveryCodes: route({
    method: "POST",
    path: "/me/mfa/recovery-codes",
    tag: "mfa",
    auth: "user",
    summary: "Replace the recovery codes (a code from the app required); the old ones stop working",
    body: z.object({ code: TotpCode }),
    response: RecoveryCodes,
    errors: ["mfa_invalid", "bad_request", "login_throttled"],
    noStore: true,
  }),
  adminResetMfa: route({
    method: "DELETE",
    path: "/users/:id/mfa",
    tag: "users",
    auth: "user",
    summary: "Remove a user's second factors (admins; an owner's or admin's only by owners), e.g. after a lost phone; every session of the user ends",
    params: z.object({ id: Id }),
    response: null,
    errors: ["forbidden"],
  }),
  getMfaPolicy: route({
    method: "GET",
    path: "/org/mfa-policy",
    tag: "org",
    auth: "user",
    summary: "The org's MFA policy",
    response: MfaPolicy,
  }),
  setMfaPolicy: route({
    method: "PUT",
    path: "/org/mfa-policy",
    tag: "org",
    auth: "user",
    summary: "Change the org's MFA policy (admins). Refused when it would require MFA of you and you have none: enrol first.",
    body: MfaPolicy,
    response: MfaPolicy,
    errors: ["forbidden", "bad_request"],
  }),
} as const;
