/**
 * Password sign-in with throttling. Failed attempts count against the account
 * (org + username) and the client address; both are checked before any hash
 * is verified, so a throttled attacker gets no password oracle.
 */
import type { AuthTokens } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { LimitExceeded } from "../../platform/limits/index.ts";
import { findOrgBySlug, findUserByUsername, getUserDevice } from "./store.ts";
import { verifyDummyPassword, verifyPassword } from "./passwords.ts";
import { addDevice, authTokens, startSession } from "./sessions.ts";
import { mails, queueMail } from "./mail.ts";
import { CHALLENGE_ATTEMPTS, createMfaChallenge, hasSecondFactor, mfaRestriction, throttled, useRecoveryCode, useTotpCode } from "./mfa-factors.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { checkIpAllowed } from "./session-policy.ts";
import { authenticationOptions, verifyPasskeyAssertion } from "./passkeys.ts";
import { hashSecret } from "../../platform/ids.ts";
import { authenticateExternal } from "../ldap/sign-in.ts";
import { checkPasswordSignIn } from "../sso/enforce.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";

export interface LoginInput {
  org: string;
  username: string;
  password: string;
  deviceName?: string | undefined;
  deviceId?: string | undefined;
}

export async function login(deps: Deps, ip: string, input: LoginInput): Promise<AuthTokens> {
  const accountKey = `${input.org}:${input.username}`;
  // Take the attempt's point BEFORE verifying: checking first and consuming only on
  // failure let every parallel attempt in flight past the limit (argon2 is slow).
  // consume() throws login_throttled once the account or address is exhausted.
  try {
    await deps.limits.loginAccount.consume(accountKey);
  } catch (err) {
    await auditLock(deps, err, "account", ip, input);
    throw err;
  }
  try {
    await deps.limits.loginIp.consume(ip);
  } catch (err) {
    await deps.limits.loginAccount.refund(accountKey);
    await auditLock(deps, err, "address", ip, input);
    throw err;
  }
  const org = await findOrgBySlug(deps.db, input.org);
  // An org with a directory (LDAP) signs its users in there (modules/ldap/sign-in.ts, audited
  // there); local accounts, and orgs without one, get no user from it and go on to the password.
  const external = org ? await authenticateExternal(deps, ip, org, input) : undefined;
  const user = external ?? (org ? await findUserByUsername(deps.db, org.id, input.username) : undefined);
  const ok = external ? true : user ? await verifyPassword(user.password_hash, input.password) : await verifyDummyPassword(input.password);
  // A deactivated account fails exactly like a wrong password — same answer, same
  // argon2 work, and the attempt stays counted — so a right guess reveals nothing
  // about the password or the account's state.
  if (!ok || !org || !user || user.deactivated_at !== null) {
    // Recorded in the org the attempt named (an unknown org has no log to record it in);
    // the username and address are PII, sealed under the user's key (or "-" if unknown).
    if (org) {
      await runCommand(deps, null, "accounts.loginFailed", async (_tx, fx) =>
        fx.audit({
          orgId: org.id,
          actor: { kind: "device", id: user?.id ?? null, deviceId: input.deviceId ?? null },
          action: "auth.login.failed",
          target: user ? { kind: "user", id: user.id } : null,
          result: "failure",
          details: { reason: user ? (user.deactivated_at !== null ? "deactivated" : "wrong_password") : "unknown_user" },
          pii: { subject: user?.id ?? "-", data: { username: input.username, ip } },
        }),
      );
    }
    throw new AppError("invalid_credentials", "wrong organisation, username or password");
  }
  // Success: the account's failures are forgiven and this attempt's address point is
  // given back. The address counter is not reset: that would let one valid account
  // launder an address's failed guesses against other accounts.
  await deps.limits.loginAccount.reset(accountKey);
  await deps.limits.loginIp.refund(ip);

  // An org that signs in through single sign-on only refuses the password (modules/sso/enforce.ts).
  await checkPasswordSignIn(deps, ip, org, user);

  // With an authenticator, the password alone opens nothing: the answer is a challenge for the code.
  if (await hasSecondFactor(deps.db, user.id)) {
    const challenge = await createMfaChallenge(deps, { orgId: org.id, userId: user.id, deviceId: input.deviceId, deviceName: input.deviceName });
    throw new AppError("mfa_required", "enter the code from your authenticator app (or a recovery code)", challenge);
  }
  return completeSignIn(deps, ip, { org, user, deviceId: input.deviceId, deviceName: input.deviceName, secondFactor: null });
}

/** What a sign-in that passed every factor needs to start a session. */
export interface SignInOf {
  org: { id: string; name: string };
  user: UsersTable;
  /** Reuse this device; undefined registers a new one named `deviceName`. */
  deviceId: string | undefined;
  deviceName: string | undefined;
  /** The API key signing in (the session is limited to its scopes and ends no later than it). */
  apiKey?: { id: string; scopes: string[]; expiresAt: number };
  /** The second factor used, if any. */
  secondFactor: "totp" | "recovery_code" | "passkey" | null;
  /**
   * A single sign-on (modules/sso): the IdP authenticated, with its own MFA (its `amr` is
   * recorded), so no enrolment restriction applies; the session remembers the provider and
   * the IdP's session id for back-channel logout.
   */
  sso?: { providerId: string; via: "oidc" | "saml"; sid: string | null; amr: string[] | null; nameId: string | null; nameIdFormat: string | null };
  /** Runs first in the sign-in's transaction (SSO claims its one-time code there: all or nothing). */
  claim?: (tx: Tx) => Promise<void>;
}

/** Register or reuse the device, start the session (restricted when the org requires MFA the user lacks), record it. */
export async function completeSignIn(deps: Deps, ip: string, a: SignInOf): Promise<AuthTokens> {
  const { org, user } = a;
  const suspended = await deps.db.selectFrom("orgs").select("suspended_at").where("id", "=", org.id).executeTakeFirst();
  if (suspended?.suspended_at != null) throw new AppError("org_suspended", "this organisation is suspended by the server's operator; contact them");
  await checkIpAllowed(deps, org.id, ip);
  const issued = await runCommand(deps, null, "accounts.login", async (tx, fx) => {
    if (a.claim) await a.claim(tx);
    let deviceId: string;
    if (a.deviceId) {
      const dev = await getUserDevice(tx, org.id, user.id, a.deviceId);
      if (!dev || dev.revoked_at !== null) {
        throw new AppError("bad_request", "that device is revoked or not yours; sign in without deviceId to register a new device");
      }
      deviceId = dev.id;
      await tx.updateTable("devices").set({ last_seen_at: deps.now() }).where("id", "=", deviceId).execute();
    } else {
      deviceId = await addDevice(tx, fx, deps, { orgId: org.id, userId: user.id, name: a.deviceName ?? "unnamed device" });
    }
    // API keys and service accounts are credentials of their own: no second-factor enrolment.
    const restriction = a.apiKey || a.sso || user.kind === "service" ? null : await mfaRestriction(tx, deps, user);
    const session = await startSession(tx, deps, { orgId: org.id, userId: user.id, deviceId, restriction, ...(a.apiKey ? { apiKey: a.apiKey } : {}) });
    // Org policies can require a second factor (principal.mfa): ours, or the IdP's when it reports one.
    if (a.secondFactor !== null || a.sso?.amr?.some((m) => m === "mfa" || m === "otp" || m === "hwk" || m === "swk")) {
      await tx.updateTable("sessions").set({ mfa: 1 }).where("id", "=", session.sessionId).execute();
    }
    if (a.sso) {
      await tx
        .updateTable("sessions")
        .set({ sso_provider_id: a.sso.providerId, sso_sid: a.sso.sid, sso_name_id: a.sso.nameId, sso_name_id_format: a.sso.nameIdFormat })
        .where("id", "=", session.sessionId)
        .execute();
    }
    if (a.apiKey) {
      await tx.updateTable("api_keys").set({ last_used_at: deps.now() }).where("id", "=", a.apiKey.id).execute();
      fx.audit({
        orgId: org.id,
        actor: { kind: "service_token", id: a.apiKey.id },
        action: "api_key.used",
        target: { kind: "api_key", id: a.apiKey.id },
        result: "success",
        details: { userId: user.id, session: session.sessionId, scopes: a.apiKey.scopes },
        pii: { subject: user.id, data: { ip } },
      });
    }
    // A sign-in on a new device is worth knowing about when it was not you.
    if (!a.deviceId && user.email) {
      const name = a.deviceName ?? "unnamed device";
      await queueMail(deps, fx, mails.newDevice(user.email, { orgName: org.name, username: user.username, deviceName: name, ip, at: deps.now() }));
    }
    fx.audit({
      orgId: org.id,
      actor: { kind: "device", id: user.id, deviceId },
      action: "auth.login.succeeded",
      target: { kind: "session", id: session.sessionId },
      result: "success",
      details: {
        newDevice: !a.deviceId,
        secondFactor: a.secondFactor,
        restricted: restriction,
        ...(a.sso ? { via: a.sso.via, providerId: a.sso.providerId, amr: a.sso.amr } : {}),
      },
      pii: { subject: user.id, data: { ip } },
    });
    return session;
  });
  return authTokens(deps, issued);
}

/**
 * A sign-in refused by a throttle is recorded once per lock, in the org the attempt named: the
 * refusal that locked the account or address, not each one after it (an attacker cannot flood the
 * log; every refusal is counted in /metrics as a 429 of the route). An unknown org has no log.
 */
async function auditLock(deps: Deps, err: unknown, limit: "account" | "address", ip: string, input: LoginInput): Promise<void> {
  if (!(err instanceof LimitExceeded) || !err.first) return;
  const org = await findOrgBySlug(deps.db, input.org);
  if (!org) return;
  const user = await findUserByUsername(deps.db, org.id, input.username);
  await runCommand(deps, null, "accounts.loginThrottled", async (_tx, fx) =>
    fx.audit({
      orgId: org.id,
      actor: { kind: "device", id: user?.id ?? null, deviceId: input.deviceId ?? null },
      action: "auth.login.throttled",
      target: user ? { kind: "user", id: user.id } : null,
      result: "failure",
      details: { limit, retryAfterSeconds: err.retryAfter ?? 0 },
      pii: { subject: user?.id ?? "-", data: { username: input.username, ip } },
    }),
  );
}

/** The second step of sign-in. */
export async function verifyMfa(
  deps: Deps,
  ip: string,
  input: { mfaToken: string; code?: string; recoveryCode?: string; passkey?: Record<string, unknown> },
): Promise<AuthTokens> {
  const { ch, org, user } = await liveMfaChallenge(deps, ip, input.mfaToken);
  const method = input.code ? ("totp" as const) : input.passkey ? ("passkey" as const) : ("recovery_code" as const);
  let recoveryLeft: number | undefined;
  try {
    await throttled(deps, user.id, () =>
      runCommand(deps, null, "accounts.verifyMfa", async (tx, fx) => {
        // Claim the challenge first: a second request with it finds it used.
        const claimed = await tx
          .updateTable("mfa_challenges")
          .set({ used_at: deps.now() })
          .where("id", "=", ch.id)
          .where("used_at", "is", null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) throw challengeInvalid();
        if (input.code) await useTotpCode(tx, deps, user.id, input.code);
        else if (input.passkey) await verifyPasskeyAssertion(tx, deps, { purpose: "mfa", response: input.passkey, userId: user.id });
        else recoveryLeft = await useRecoveryCode(tx, deps, user.id, input.recoveryCode ?? "");
        if (method === "recovery_code") {
          fx.audit({
            orgId: org.id,
            actor: { kind: "device", id: user.id, deviceId: ch.device_id },
            action: "mfa.recovery_code.used",
            target: { kind: "user", id: user.id },
            result: "success",
            details: { left: recoveryLeft ?? 0 },
          });
          if (user.email) await queueMail(deps, fx, mails.mfaChanged(user.email, { orgName: org.name, username: user.username, change: "recovery_code_used" }));
        }
      }),
    );
  } catch (err) {
    if (err instanceof AppError && (err.code === "mfa_invalid" || err.code === "passkey_invalid")) {
      await runCommand(deps, null, "accounts.mfaFailed", async (tx, fx) => {
        await tx
          .updateTable("mfa_challenges")
          .set((eb) => ({ attempts: eb("attempts", "+", 1) }))
          .where("id", "=", ch.id)
          .execute();
        fx.audit({
          orgId: org.id,
          actor: { kind: "device", id: user.id, deviceId: ch.device_id },
          action: "auth.mfa.failed",
          target: { kind: "user", id: user.id },
          result: "failure",
          details: { method },
          pii: { subject: user.id, data: { ip } },
        });
      });
    }
    throw err;
  }
  return completeSignIn(deps, ip, { org, user, deviceId: ch.device_id ?? undefined, deviceName: ch.device_name ?? undefined, secondFactor: method });
}

const challengeInvalid = () => new AppError("mfa_challenge_invalid", "this sign-in expired or had too many wrong codes; sign in again");

/** A sign-in's second-step challenge that is still usable, with its org and user. */
async function liveMfaChallenge(deps: Deps, ip: string, mfaToken: string) {
  const ch = await deps.db.selectFrom("mfa_challenges").selectAll().where("token_hash", "=", hashSecret(mfaToken)).executeTakeFirst();
  if (!ch || ch.used_at !== null || Number(ch.expires_at) <= deps.now() || ch.attempts >= CHALLENGE_ATTEMPTS) {
    await deps.limits.resetIp.consume(ip);
    throw challengeInvalid();
  }
  const [org, user] = await Promise.all([getOrg(deps.db, ch.org_id), getUserInOrg(deps.db, ch.org_id, ch.user_id)]);
  if (!user || user.deactivated_at !== null) throw challengeInvalid();
  return { ch, org, user };
}

/** WebAuthn request options for the second step with one of the account's passkeys. */
export async function mfaPasskeyOptions(deps: Deps, ip: string, mfaToken: string): Promise<{ challengeId: string; options: Record<string, unknown> }> {
  const { org, user } = await liveMfaChallenge(deps, ip, mfaToken);
  return authenticationOptions(deps, { orgId: org.id, userId: user.id });
}

/** WebAuthn request options for a passwordless sign-in (any passkey registered in the org). */
export async function passkeySignInOptions(deps: Deps, ip: string, orgSlug: string): Promise<{ challengeId: string; options: Record<string, unknown> }> {
  await deps.limits.ip.consume(ip);
  const org = await findOrgBySlug(deps.db, orgSlug);
  // An unknown org gets options too (no org enumeration); no credential will match them.
  return authenticationOptions(deps, { orgId: org?.id ?? "-", userId: null });
}

/** A passwordless sign-in: a passkey with user verification is multi-factor on its own. */
export async function passkeySignIn(
  deps: Deps,
  ip: string,
  input: { challengeId: string; response: Record<string, unknown>; deviceName?: string | undefined; deviceId?: string | undefined },
): Promise<AuthTokens> {
  await deps.limits.loginIp.consume(ip);
  let key;
  try {
    key = await runCommand(deps, null, "accounts.passkeySignIn", (tx) =>
      verifyPasskeyAssertion(tx, deps, { challengeId: input.challengeId, purpose: "sign_in", response: input.response }),
    );
  } catch (err) {
    if (err instanceof AppError && err.code === "passkey_invalid") {
      const known =
        typeof input.response.id === "string"
          ? await deps.db.selectFrom("passkeys").select(["org_id", "user_id"]).where("id", "=", input.response.id).executeTakeFirst()
          : undefined;
      if (known) {
        await runCommand(deps, null, "accounts.passkeyFailed", async (_tx, fx) =>
          fx.audit({
            orgId: known.org_id,
            actor: { kind: "device", id: known.user_id, deviceId: input.deviceId ?? null },
            action: "auth.login.failed",
            target: { kind: "user", id: known.user_id },
            result: "failure",
            details: { reason: "passkey", check: (err.details as { reason: string }).reason },
            pii: { subject: known.user_id, data: { ip } },
          }),
        );
      }
    }
    throw err;
  }
  await deps.limits.loginIp.refund(ip);
  const [org, user] = await Promise.all([getOrg(deps.db, key.org_id), getUserInOrg(deps.db, key.org_id, key.user_id)]);
  if (!user || user.deactivated_at !== null) throw new AppError("invalid_credentials", "wrong organisation, username or password");
  // The prompt's challenge is used up: a stale or foreign device id must not waste it — a new device is registered instead.
  const device = input.deviceId ? await getUserDevice(deps.db, org.id, user.id, input.deviceId) : undefined;
  const deviceId = device && device.revoked_at === null ? device.id : undefined;
  return completeSignIn(deps, ip, { org, user, deviceId, deviceName: input.deviceName, secondFactor: "passkey" });
}
