/**
 * Sign-in through the org's directory, the step login.ts runs before the local password
 * check (`authenticateExternal`). For an org with LDAP enabled:
 * - a local account (not from the directory) signs in with its Parley password when the
 *   org allows local accounts: the directory is not asked;
 * - everyone else is looked up with the service account (the name escaped into the user
 *   filter), bound as with the given password (an empty one is refused: an
 *   "unauthenticated bind" proves nothing), and their Parley account is created or brought
 *   in line with the entry and its groups (provision.ts) before the session starts;
 * - when the directory cannot be reached, the answer is `idp_unavailable` — except for a
 *   local owner or admin while `localAdminsWhenDown` is on, who goes on to the password check.
 * Every refusal is audited like a wrong password (`auth.login.failed`, with the reason).
 */
import type { Deps } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { findUserByUsername } from "../accounts/store.ts";
import { verifyPassword } from "../accounts/passwords.ts";
import { enabledDirectory } from "./config.ts";
import { DirectoryUnavailable, withDirectory, type DirectoryEntry, type DirectoryGroup, type DirectorySettings } from "./directory.ts";
import { desiredAccess } from "./mapping.ts";
import { applyDirectoryAccount } from "./provision.ts";
import { findLinkOfUser } from "./store.ts";

/** What login.ts knows of the attempt. */
export interface ExternalSignIn {
  username: string;
  password: string;
  deviceId?: string | undefined;
}

const wrongCredentials = () => new AppError("invalid_credentials", "wrong organisation, username or password");
const unavailable = () =>
  new AppError(
    "idp_unavailable",
    "your organisation's directory (LDAP) cannot be reached right now: try again in a few minutes; if it persists, ask an administrator to check the LDAP settings",
  );

async function auditFailure(
  deps: Deps,
  ip: string,
  orgId: string,
  user: UsersTable | undefined,
  input: ExternalSignIn,
  reason: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await runCommand(deps, null, "ldap.signInFailed", async (_tx, fx) =>
    fx.audit({
      orgId,
      actor: { kind: "device", id: user?.id ?? null, deviceId: input.deviceId ?? null },
      action: "auth.login.failed",
      target: user ? { kind: "user", id: user.id } : null,
      result: "failure",
      details: { reason, via: "ldap", ...extra },
      pii: { subject: user?.id ?? "-", data: { username: input.username, ip } },
    }),
  );
}

/**
 * The directory's answer for a sign-in: the user it signed in (created or updated), or
 * undefined when the attempt is for the local password check (no directory, or a local
 * account the org lets sign in locally). Throws `invalid_credentials` or `idp_unavailable`
 * (audited) otherwise.
 */
export async function authenticateExternal(deps: Deps, ip: string, org: { id: string }, input: ExternalSignIn): Promise<UsersTable | undefined> {
  const s = await enabledDirectory(deps, deps.db, org.id);
  if (!s) return undefined;
  const local = await findUserByUsername(deps.db, org.id, input.username);
  const isLocal = local !== undefined && !(await findLinkOfUser(deps.db, org.id, local.id));
  if (isLocal && s.allowLocalAccounts) return undefined;

  let found: { entry: DirectoryEntry; groups: DirectoryGroup[] } | null;
  try {
    found = await withDirectory(s, async (d) => {
      const entry = await d.findUser(input.username);
      // Bind as the entry with the password: the directory decides. A wrong one ends here.
      if (!entry || !(await d.verifyPassword(entry.dn, input.password))) return null;
      return { entry, groups: await d.groupsOf(entry) };
    });
  } catch (err) {
    if (!(err instanceof DirectoryUnavailable)) throw err;
    deps.metrics.ldap.inc({ operation: "sign_in", outcome: "unavailable" });
    deps.log.warn({ module: "ldap", orgId: org.id, stage: err.stage, reason: err.message }, "LDAP directory unavailable at sign-in");
    // Break glass: local owners and admins keep their Parley password while the directory is down.
    if (isLocal && local && (local.role === "owner" || local.role === "admin") && s.localAdminsWhenDown) return undefined;
    await auditFailure(deps, ip, org.id, local, input, "directory_unavailable", { stage: err.stage });
    throw unavailable();
  }
  if (!found) {
    deps.metrics.ldap.inc({ operation: "sign_in", outcome: "rejected" });
    await auditFailure(deps, ip, org.id, local, input, "directory_rejected");
    throw wrongCredentials();
  }
  const user = await provision(deps, s, org.id, found.entry, found.groups, ip, local, input);
  if (user.deactivated_at !== null) {
    deps.metrics.ldap.inc({ operation: "sign_in", outcome: "rejected" });
    await auditFailure(deps, ip, org.id, user, input, "deactivated");
    throw wrongCredentials();
  }
  deps.metrics.ldap.inc({ operation: "sign_in", outcome: "ok" });
  return user;
}

async function provision(
  deps: Deps,
  s: DirectorySettings,
  orgId: string,
  entry: DirectoryEntry,
  groups: DirectoryGroup[],
  ip: string,
  local: UsersTable | undefined,
  input: ExternalSignIn,
): Promise<UsersTable> {
  const access = desiredAccess(s, groups);
  for (let attempt = 0; ; attempt++) {
    try {
      return (await applyDirectoryAccount(deps, s, orgId, entry, access, { kind: "sign_in" })).user;
    } catch (err) {
      // Two first sign-ins of one user at once: the other created the account; apply again to it.
      if (isUniqueViolation(err) && attempt === 0) continue;
      if (err instanceof AppError && err.code === "forbidden") {
        deps.metrics.ldap.inc({ operation: "sign_in", outcome: "rejected" });
        await auditFailure(deps, ip, orgId, local, input, (err.details as { reason?: string } | undefined)?.reason ?? "refused");
      }
      throw err;
    }
  }
}

/**
 * Whether `password` is the user's current password (re-authentication before sensitive
 * changes): the directory's for a directory account of an org with LDAP on, else the local one.
 */
export async function checkCurrentPassword(deps: Deps, user: UsersTable, password: string): Promise<boolean> {
  const link = await findLinkOfUser(deps.db, user.org_id, user.id);
  if (!link) return verifyPassword(user.password_hash, password);
  const s = await enabledDirectory(deps, deps.db, user.org_id);
  if (!s) return false;
  try {
    const ok = await withDirectory(s, (d) => d.verifyPassword(link.dn, password));
    deps.metrics.ldap.inc({ operation: "reauth", outcome: ok ? "ok" : "rejected" });
    return ok;
  } catch (err) {
    if (!(err instanceof DirectoryUnavailable)) throw err;
    deps.metrics.ldap.inc({ operation: "reauth", outcome: "unavailable" });
    throw unavailable();
  }
}

/** Whether the user's account comes from the directory (its password is the directory's). */
export async function isDirectoryAccount(deps: Deps, user: Pick<UsersTable, "id" | "org_id">): Promise<boolean> {
  return (await findLinkOfUser(deps.db, user.org_id, user.id)) !== undefined;
}
