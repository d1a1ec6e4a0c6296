/**
 * Password sign-in with throttling. Failed attempts count against the account
 * (org + username) and the client address; both are checked before any hash
 * is verified, so a throttled attacker gets no password oracle.
 */
import type { AuthTokens } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import { inTransaction } from "../../transaction.ts";
import { AppError } from "../../http/errors.ts";
import { findOrgBySlug, findUserByUsername, getUserDevice } from "./store.ts";
import { verifyDummyPassword, verifyPassword } from "./passwords.ts";
import { addDevice, authTokens, startSession } from "./sessions.ts";

export interface LoginInput { org: string; username: string; password: string; deviceName?: string | undefined; deviceId?: string | undefined }

export async function login(deps: Deps, ip: string, input: LoginInput): Promise<AuthTokens> {
  const accountKey = `${input.org}:${input.username}`;
  const wait = Math.max(await deps.limits.loginAccount.blocked(accountKey), await deps.limits.loginIp.blocked(ip));
  if (wait > 0) {
    throw new AppError("login_throttled", `too many failed sign-ins; retry in ${wait}s`, { retryAfterSeconds: wait }, wait);
  }
  const org = await findOrgBySlug(deps.db, input.org);
  const user = org ? await findUserByUsername(deps.db, org.id, input.username) : undefined;
  const ok = user ? await verifyPassword(user.password_hash, input.password) : await verifyDummyPassword(input.password);
  if (!ok || !org || !user) {
    // The failure answer stays invalid_credentials; the *next* attempt sees the block.
    await Promise.allSettled([deps.limits.loginAccount.consume(accountKey), deps.limits.loginIp.consume(ip)]);
    throw new AppError("invalid_credentials", "wrong organisation, username or password");
  }
  // Only the account counter is reset: resetting the address counter would let one
  // valid account launder an address's failed guesses against other accounts.
  await deps.limits.loginAccount.reset(accountKey);
  if (user.deactivated_at !== null) throw new AppError("user_deactivated", "this account has been deactivated by an admin");

  const issued = await inTransaction(deps, async (tx, after) => {
    let deviceId: string;
    if (input.deviceId) {
      const dev = await getUserDevice(tx, org.id, user.id, input.deviceId);
      if (!dev || dev.revoked_at !== null) {
        throw new AppError("bad_request", "that device is revoked or not yours; sign in without deviceId to register a new device");
      }
      deviceId = dev.id;
      await tx.updateTable("devices").set({ last_seen_at: deps.now() }).where("id", "=", deviceId).execute();
    } else {
      deviceId = await addDevice(tx, after, deps, { orgId: org.id, userId: user.id, name: input.deviceName ?? "unnamed device" });
    }
    return startSession(tx, deps, { orgId: org.id, userId: user.id, deviceId });
  });
  return authTokens(deps, issued);
}
