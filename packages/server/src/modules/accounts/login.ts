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
  const user = org ? await findUserByUsername(deps.db, org.id, input.username) : undefined;
  const ok = user ? await verifyPassword(user.password_hash, input.password) : await verifyDummyPassword(input.password);
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

  const issued = await runCommand(deps, null, "accounts.login", async (tx, fx) => {
    let deviceId: string;
    if (input.deviceId) {
      const dev = await getUserDevice(tx, org.id, user.id, input.deviceId);
      if (!dev || dev.revoked_at !== null) {
        throw new AppError("bad_request", "that device is revoked or not yours; sign in without deviceId to register a new device");
      }
      deviceId = dev.id;
      await tx.updateTable("devices").set({ last_seen_at: deps.now() }).where("id", "=", deviceId).execute();
    } else {
      deviceId = await addDevice(tx, fx, deps, { orgId: org.id, userId: user.id, name: input.deviceName ?? "unnamed device" });
    }
    const session = await startSession(tx, deps, { orgId: org.id, userId: user.id, deviceId });
    // A sign-in on a new device is worth knowing about when it was not you.
    if (!input.deviceId && user.email) {
      const name = input.deviceName ?? "unnamed device";
      await queueMail(deps, fx, mails.newDevice(user.email, { orgName: org.name, username: user.username, deviceName: name, ip, at: deps.now() }));
    }
    fx.audit({
      orgId: org.id,
      actor: { kind: "device", id: user.id, deviceId },
      action: "auth.login.succeeded",
      target: { kind: "session", id: session.sessionId },
      result: "success",
      details: { newDevice: !input.deviceId },
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
