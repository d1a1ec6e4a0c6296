/**
 * Bringing one Parley account in line with its directory entry, in one transaction (all of
 * it or none): create it on first sign-in (or take over a local account of the same name
 * when the org allows no local accounts), update name and email, bring it back if the sync
 * had deactivated it, set the mapped role, join and leave mapped channels. The directory
 * acts (`idp` actor), through the same commands an admin uses, and the rules that protect
 * the last owner hold: a change they refuse is skipped and audited as such.
 *
 * Channel mapping: a membership the mapping added is recorded as a grant; the mapping
 * removes only memberships it granted (a user's own join stays), and it does not add a user
 * again who left a channel it had put them in.
 */
import { DisplayName, Email, Username, type LdapSettings, type OrgRole } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { LdapAccountsTable, UsersTable } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { idpActor, type IdpActor } from "../../core/actor.ts";
import { AppError } from "../../core/errors.ts";
import { insertUser } from "../orgs/create-org.ts";
import { deactivateUserIn, reactivateUserIn, setUserRoleIn } from "../orgs/users.ts";
import { addChannelMembersIn, removeChannelMembersIn } from "../channels/membership.ts";
import { findChannel, findMembership, type ChannelRow } from "../channels/store.ts";
import { authorize, channelResourceOf } from "../access/authorize.ts";
import { findUserByUsername, getUserInOrg } from "../accounts/store.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { toUser } from "../accounts/views.ts";
import type { DirectoryEntry } from "./directory.ts";
import type { DesiredAccess } from "./mapping.ts";
import { activeOwnerCount, addGrant, deleteGrant, findLinkByExternalId, findLinkOfUser, grantedChannelIds } from "./store.ts";

/** The password hash of directory accounts: no argon2 hash, so no password ever verifies against it. */
const DIRECTORY_PASSWORD_HASH = "!ldap";

const PRIVILEGED: ReadonlySet<OrgRole> = new Set(["owner", "admin"]);

/** What applying an entry did. */
export interface AccountOutcome {
  user: UsersTable;
  created: boolean;
  profileUpdated: boolean;
  roleChanged: boolean;
  reactivated: boolean;
  joined: number;
  left: number;
  /** Changes refused (each audited as `ldap.change.skipped`). */
  skipped: number;
}

/** Sign-in finds (or creates) the account from the entry; the sync names the linked account. */
export type ApplyMode = { kind: "sign_in" } | { kind: "sync"; userId: string };

const refused = (message: string, reason: string) => new AppError("forbidden", message, { reason });

/** The entry's names as Parley can store them. */
function profileOf(entry: DirectoryEntry, username: string): { displayName: string; email: string | null } {
  const name = DisplayName.safeParse((entry.displayName ?? username).slice(0, 80));
  const email = entry.email ? Email.safeParse(entry.email) : undefined;
  return { displayName: name.success ? name.data : username, email: email?.success ? email.data : null };
}

async function emailFree(tx: Tx, orgId: string, email: string, userId: string | null): Promise<boolean> {
  const other = await tx.selectFrom("users").select("id").where("org_id", "=", orgId).where("email", "=", email).executeTakeFirst();
  return !other || other.id === userId;
}

function skip(fx: CommandEffects, userId: string, change: string, reason: string): void {
  fx.audit({ action: "ldap.change.skipped", target: { kind: "user", id: userId }, result: "denied", details: { change, reason } });
}

/** Find or create the account an entry signs in as (sign-in only). */
async function resolveForSignIn(tx: Tx, deps: Deps, s: LdapSettings, orgId: string, entry: DirectoryEntry, access: DesiredAccess, fx: CommandEffects) {
  const link = await findLinkByExternalId(tx, orgId, entry.externalId);
  if (link) {
    const user = await getUserInOrg(tx, orgId, link.user_id);
    if (!user) throw new Error(`ldap_accounts ${link.user_id} has no user`);
    return { user, link, created: false };
  }
  const username = Username.safeParse(entry.username ?? "");
  if (!username.success) {
    throw refused(
      "your directory entry's username cannot be a Parley username (2-40 lowercase letters, digits, dot, dash, underscore); ask an admin",
      "username_unusable",
    );
  }
  const now = deps.now();
  const existing = await findUserByUsername(tx, orgId, username.data);
  if (existing) {
    // A local account of the same name: taken over only when the org allows no local accounts, and never an owner's or admin's.
    const linked = await findLinkOfUser(tx, orgId, existing.id);
    if (linked || s.allowLocalAccounts || PRIVILEGED.has(existing.role)) {
      throw refused("a Parley account with this username already exists and does not belong to your directory entry; ask an admin", "username_taken");
    }
    const newLink: LdapAccountsTable = {
      user_id: existing.id,
      org_id: orgId,
      external_id: entry.externalId,
      dn: entry.dn,
      deactivated_by_sync: 0,
      created_at: now,
      synced_at: now,
    };
    await tx.insertInto("ldap_accounts").values(newLink).execute();
    await tx.updateTable("users").set({ password_hash: DIRECTORY_PASSWORD_HASH }).where("id", "=", existing.id).execute();
    fx.audit({ action: "ldap.account.linked", target: { kind: "user", id: existing.id }, result: "success", details: { adopted: true } });
    return { user: { ...existing, password_hash: DIRECTORY_PASSWORD_HASH }, link: newLink, created: false };
  }
  const profile = profileOf(entry, username.data);
  const email = profile.email && (await emailFree(tx, orgId, profile.email, null)) ? profile.email : null;
  const role = access.role ?? s.defaultRole;
  const created = await insertUser(tx, deps, {
    orgId,
    username: username.data,
    displayName: profile.displayName,
    passwordHash: DIRECTORY_PASSWORD_HASH,
    role,
    ...(email ? { email } : {}),
  });
  const newLink: LdapAccountsTable = {
    user_id: created.id,
    org_id: orgId,
    external_id: entry.externalId,
    dn: entry.dn,
    deactivated_by_sync: 0,
    created_at: now,
    synced_at: now,
  };
  await tx.insertInto("ldap_accounts").values(newLink).execute();
  fx.audit({
    action: "user.created",
    target: { kind: "user", id: created.id },
    result: "success",
    details: { via: "ldap", role, emailSkipped: profile.email !== null && email === null },
    pii: { subject: created.id, data: { username: created.username, displayName: created.displayName } },
  });
  const user = await getUserInOrg(tx, orgId, created.id);
  if (!user) throw new Error("the new user vanished");
  return { user, link: newLink, created: true };
}

/** Apply the entry and the access it gives to its account, in one command. */
export async function applyDirectoryAccount(
  deps: Deps,
  s: LdapSettings,
  orgId: string,
  entry: DirectoryEntry,
  access: DesiredAccess,
  mode: ApplyMode,
): Promise<AccountOutcome> {
  const actor = idpActor(orgId, "ldap");
  return runCommand(deps, actor, "ldap.applyAccount", async (tx, fx) => {
    let user: UsersTable;
    let link: LdapAccountsTable;
    let created = false;
    if (mode.kind === "sign_in") {
      ({ user, link, created } = await resolveForSignIn(tx, deps, s, orgId, entry, access, fx));
    } else {
      const found = await getUserInOrg(tx, orgId, mode.userId);
      const l = await findLinkOfUser(tx, orgId, mode.userId);
      if (!found || !l) throw new Error(`no directory account ${mode.userId}`);
      user = found;
      link = l;
    }
    const out: AccountOutcome = { user, created, profileUpdated: false, roleChanged: false, reactivated: false, joined: 0, left: 0, skipped: 0 };
    await tx.updateTable("ldap_accounts").set({ dn: entry.dn, synced_at: deps.now() }).where("user_id", "=", user.id).execute();
    if (!created) await updateProfile(tx, deps, fx, user, entry, out);
    if (user.deactivated_at !== null && link.deactivated_by_sync === 1) {
      await reactivateUserIn(tx, fx, deps, actor, user.id);
      await tx.updateTable("ldap_accounts").set({ deactivated_by_sync: 0 }).where("user_id", "=", user.id).execute();
      out.user = { ...out.user, deactivated_at: null };
      out.reactivated = true;
    }
    if (!created && access.role !== null && out.user.role !== access.role) await applyRole(tx, deps, fx, actor, out, access.role);
    if (out.user.deactivated_at === null) await applyChannels(tx, deps, fx, actor, out, access.channelIds);
    return out;
  });
}

async function updateProfile(tx: Tx, deps: Deps, fx: CommandEffects, user: UsersTable, entry: DirectoryEntry, out: AccountOutcome): Promise<void> {
  const profile = profileOf(entry, user.username);
  const fields: string[] = [];
  const next = { ...user };
  if (profile.displayName !== user.display_name) {
    fields.push("displayName");
    next.display_name = profile.displayName;
  }
  if (profile.email !== null && profile.email !== user.email) {
    if (await emailFree(tx, user.org_id, profile.email, user.id)) {
      fields.push("email");
      next.email = profile.email;
    } else {
      skip(fx, user.id, "email", "email_taken");
      out.skipped++;
    }
  }
  if (!fields.length) return;
  await tx.updateTable("users").set({ display_name: next.display_name, email: next.email }).where("id", "=", user.id).execute();
  fx.audit({
    action: "user.profile.updated",
    target: { kind: "user", id: user.id },
    result: "success",
    details: { fields, via: "ldap" },
    pii: {
      subject: user.id,
      data: {
        ...(fields.includes("displayName") ? { from: user.display_name, to: next.display_name } : {}),
        ...(fields.includes("email") ? { email: next.email ?? "" } : {}),
      },
    },
  });
  await appendUserStream(tx, fx, { orgId: user.org_id, userId: user.id, kind: "user.updated", data: { user: toUser(next) }, now: deps.now() });
  out.user = next;
  out.profileUpdated = true;
}

async function applyRole(tx: Tx, deps: Deps, fx: CommandEffects, actor: IdpActor, out: AccountOutcome, role: OrgRole): Promise<void> {
  // Checked here, not left to setUserRoleIn to refuse: its refusal would abort the whole account's update.
  if (out.user.role === "owner" && out.user.deactivated_at === null && (await activeOwnerCount(tx, out.user.org_id)) <= 1) {
    skip(fx, out.user.id, "role", "last_owner");
    out.skipped++;
    return;
  }
  await setUserRoleIn(tx, fx, deps, actor, out.user.id, role);
  out.user = { ...out.user, role };
  out.roleChanged = true;
}

/** The channel as authorize() sees it for the directory, which is no member of it. */
const asResource = (ch: ChannelRow) => ({
  type: "channel" as const,
  channel: channelResourceOf(ch, null),
});

async function applyChannels(tx: Tx, deps: Deps, fx: CommandEffects, actor: IdpActor, out: AccountOutcome, channelIds: string[]): Promise<void> {
  const userId = out.user.id;
  const orgId = out.user.org_id;
  const granted = new Set(await grantedChannelIds(tx, userId));
  for (const channelId of channelIds) {
    if (granted.has(channelId)) continue; // granted before: a user who left stays out
    const ch = await findChannel(tx, orgId, channelId);
    // Archived channels and DMs are left alone (settings refuse them; a channel may be archived since).
    if (!ch || ch.archived_at !== null || ch.kind === "dm" || ch.kind === "group_dm") continue;
    authorize(actor, "channel.invite", asResource(ch));
    const added = await addChannelMembersIn(tx, fx, deps, { orgId: actor.orgId, channel: ch, userIds: [userId], by: null });
    if (added.length) {
      await addGrant(tx, { orgId, channelId, userId, now: deps.now() });
      out.joined++;
    }
  }
  const wanted = new Set(channelIds);
  for (const channelId of granted) {
    if (wanted.has(channelId)) continue;
    const ch = await findChannel(tx, orgId, channelId);
    if (ch && ch.archived_at !== null) continue; // left alone while archived; the grant stays for later
    await deleteGrant(tx, channelId, userId);
    if (!ch || !(await findMembership(tx, channelId, userId))) continue;
    authorize(actor, "channel.kick", asResource(ch));
    await removeChannelMembersIn(tx, fx, deps, { orgId, channelId, userIds: [userId], by: null, reason: "kicked" });
    out.left++;
  }
}

/** The sync found no entry for a directory account: deactivate it (sessions end, MLS removals are proposed). */
export async function deactivateDirectoryAccount(deps: Deps, orgId: string, userId: string): Promise<"deactivated" | "skipped" | "unchanged"> {
  const actor = idpActor(orgId, "ldap");
  return runCommand(deps, actor, "ldap.deactivateAccount", async (tx, fx) => {
    const user = await getUserInOrg(tx, orgId, userId);
    if (!user || user.deactivated_at !== null) return "unchanged";
    if (user.role === "owner" && (await activeOwnerCount(tx, orgId)) <= 1) {
      skip(fx, userId, "deactivate", "last_owner");
      return "skipped";
    }
    await deactivateUserIn(tx, fx, deps, actor, userId);
    await tx.updateTable("ldap_accounts").set({ deactivated_by_sync: 1, synced_at: deps.now() }).where("user_id", "=", userId).execute();
    return "deactivated";
  });
}
