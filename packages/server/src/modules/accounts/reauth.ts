/**
 * Re-authentication for sensitive changes to one's own account (password, email):
 * the current password, checked under the same per-account and per-address
 * throttles as sign-in, so these routes are no side door for guessing it.
 */
import type { Deps, DeviceActor } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { getOrg, getUserInOrg } from "./store.ts";
import { checkCurrentPassword } from "../ldap/sign-in.ts";

/** The caller's user and org rows, once `password` proved to be their current password. */
export async function reauthenticate(
  deps: Deps,
  p: DeviceActor,
  ip: string,
  password: string,
  action: string,
): Promise<{ user: UsersTable; org: Awaited<ReturnType<typeof getOrg>> }> {
  const [user, org] = await Promise.all([getUserInOrg(deps.db, p.orgId, p.userId), getOrg(deps.db, p.orgId)]);
  if (!user) throw notFound("user");
  const accountKey = `${org.slug}:${user.username}`;
  await deps.limits.loginAccount.consume(accountKey);
  try {
    await deps.limits.loginIp.consume(ip);
  } catch (err) {
    await deps.limits.loginAccount.refund(accountKey);
    throw err;
  }
  // A directory (LDAP) account's password is the directory's.
  if (!(await checkCurrentPassword(deps, user, password))) {
    await runCommand(deps, p, "accounts.reauthFailed", async (_tx, fx) =>
      fx.audit({
        action: "auth.reauth.failed",
        target: { kind: "user", id: p.userId },
        result: "failure",
        details: { for: action },
        pii: { subject: p.userId, data: { ip } },
      }),
    );
    throw new AppError("invalid_credentials", "the current password is wrong");
  }
  await deps.limits.loginAccount.reset(accountKey);
  await deps.limits.loginIp.refund(ip);
  return { user, org };
}
