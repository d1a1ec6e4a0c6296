/**
 * After the IdP vouched for a subject: find the Parley account it signs in as — the linked
 * one, else (when the provider allows it) the account with the same verified email, else a
 * new one (just-in-time provisioning) — bring its role and mapped channels in line with the
 * groups claim, and hand out the one-time code the web app exchanges for a session. All of
 * it in one command, acted by the provider (`idp` actor "oidc"): every change or none.
 *
 * The rules of the other admin paths hold: the last owner is never demoted (the change is
 * skipped and audited), the channel mapping removes only memberships it granted, and does
 * not add a user again who left a channel it had put them in.
 */
import type { OrgRole, SsoAccessSettings } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import { idpActor, type IdpActor } from "../../core/actor.ts";
import { AppError } from "../../core/errors.ts";
import { isUniqueViolation } from "../../platform/db/index.ts";
import { hashSecret, newSecret } from "../../platform/ids.ts";
import { insertUser } from "../orgs/create-org.ts";
import { setUserRoleIn } from "../orgs/users.ts";
import { addChannelMembersIn, removeChannelMembersIn } from "../channels/membership.ts";
import { findChannel, findMembership } from "../channels/store.ts";
import { findUserByUsername, getUserInOrg } from "../accounts/store.ts";
import { desiredAccess, profileOf, usernameCandidates, usernameFrom, type ClaimedProfile } from "./mapping.ts";
import type { SignInClaims } from "./oidc.ts";
import { claimNamesOf, type Provider } from "./settings.ts";
import { activeOwnerCount, addGrant, deleteGrant, findIdentity, findIdentityOfUser, grantedChannelIds } from "./store.ts";

/** The password hash of accounts made by single sign-on: not an argon2 hash, so no password ever verifies against it. */
const SSO_PASSWORD_HASH = "!sso";

/** How long the web app has to exchange the one-time code. */
const CODE_TTL_MS = 2 * 60 * 1000;

const refused = (reason: string, message: string) => new AppError("sso_failed", message, { reason });

/** What the callback hands on. */
export interface Provisioned {
  user: UsersTable;
  /** The one-time code for `/sso#code=`. */
  code: string;
  created: boolean;
}

async function emailFree(tx: Tx, orgId: string, email: string): Promise<boolean> {
  const other = await tx.selectFrom("users").select("id").where("org_id", "=", orgId).where("email", "=", email).executeTakeFirst();
  return !other;
}

function skip(fx: CommandEffects, p: Provider, userId: string, change: string, reason: string): void {
  fx.audit({ action: "sso.change.skipped", target: { kind: "user", id: userId }, result: "denied", details: { providerId: p.id, change, reason } });
}

/** The linked account, an account found by verified email, or a new one. */
async function resolveAccount(
  tx: Tx,
  deps: Deps,
  fx: CommandEffects,
  p: Provider,
  sub: string,
  profile: ClaimedProfile,
  role: OrgRole,
): Promise<{ user: UsersTable; created: boolean }> {
  const now = deps.now();
  const s = p.settings;
  const link = await findIdentity(tx, p.id, sub);
  if (link) {
    const user = await getUserInOrg(tx, p.orgId, link.user_id);
    if (!user) throw new Error(`sso_identities ${link.user_id} has no user`);
    await tx.updateTable("sso_identities").set({ last_sign_in_at: now }).where("provider_id", "=", p.id).where("subject", "=", sub).execute();
    return { user, created: false };
  }
  const linkTo = async (user: UsersTable, how: "email" | "jit") => {
    await tx
      .insertInto("sso_identities")
      .values({ provider_id: p.id, subject: sub, org_id: p.orgId, user_id: user.id, created_at: now, last_sign_in_at: now })
      .execute();
    fx.audit({ action: "sso.identity.linked", target: { kind: "user", id: user.id }, result: "success", details: { providerId: p.id, by: how } });
  };
  if (s.linkByVerifiedEmail && profile.verifiedEmail) {
    const byEmail = await tx.selectFrom("users").selectAll().where("org_id", "=", p.orgId).where("email", "=", profile.verifiedEmail).executeTakeFirst();
    if (byEmail) {
      // One account, one subject per provider: an account already linked to another subject is not taken over.
      if (await findIdentityOfUser(tx, p.id, byEmail.id)) {
        throw refused("account_conflict", "the account with your email address is linked to another identity at this provider; ask an admin");
      }
      await linkTo(byEmail, "email");
      return { user: byEmail, created: false };
    }
  }
  if (!s.jit) throw refused("not_provisioned", "you have no Parley account in this organisation yet; ask an admin to create one");
  const base = usernameFrom(profile.username) ?? usernameFrom(profile.verifiedEmail);
  if (!base) throw refused("username_unusable", `the IdP's ${claimNamesOf(p).username} claim cannot be made into a Parley username; ask an admin`);
  let username: string | undefined;
  for (const candidate of usernameCandidates(base)) {
    if (!(await findUserByUsername(tx, p.orgId, candidate))) {
      username = candidate;
      break;
    }
  }
  if (!username) throw refused("username_unusable", "every variant of your username is taken; ask an admin");
  const email = profile.verifiedEmail && (await emailFree(tx, p.orgId, profile.verifiedEmail)) ? profile.verifiedEmail : null;
  const created = await insertUser(tx, deps, {
    orgId: p.orgId,
    username,
    displayName: profile.displayName ?? username,
    passwordHash: SSO_PASSWORD_HASH,
    role,
    ...(email ? { email } : {}),
  });
  fx.audit({
    action: "user.created",
    target: { kind: "user", id: created.id },
    result: "success",
    details: { via: p.kind, providerId: p.id, role, emailSkipped: profile.verifiedEmail !== null && email === null },
    pii: { subject: created.id, data: { username: created.username, displayName: created.displayName } },
  });
  const user = await getUserInOrg(tx, p.orgId, created.id);
  if (!user) throw new Error("the new user vanished");
  await linkTo(user, "jit");
  return { user, created: true };
}

async function applyRole(tx: Tx, deps: Deps, fx: CommandEffects, actor: IdpActor, p: Provider, user: UsersTable, role: OrgRole): Promise<UsersTable> {
  // Checked here, not left to setUserRoleIn: its refusal would abort the whole sign-in.
  if (user.role === "owner" && (await activeOwnerCount(tx, user.org_id)) <= 1) {
    skip(fx, p, user.id, "role", "last_owner");
    return user;
  }
  await setUserRoleIn(tx, fx, deps, actor, user.id, role);
  return { ...user, role };
}

async function applyChannels(tx: Tx, deps: Deps, fx: CommandEffects, actor: IdpActor, p: Provider, user: UsersTable, channelIds: string[]): Promise<void> {
  const granted = new Set(await grantedChannelIds(tx, p.id, user.id));
  for (const channelId of channelIds) {
    if (granted.has(channelId)) continue; // granted before: a user who left stays out
    const ch = await findChannel(tx, p.orgId, channelId);
    if (!ch || ch.archived_at !== null || ch.kind === "dm" || ch.kind === "group_dm") continue;
    const added = await addChannelMembersIn(tx, fx, deps, { orgId: actor.orgId, channel: ch, userIds: [user.id], by: null });
    if (added.length) await addGrant(tx, { orgId: p.orgId, providerId: p.id, channelId, userId: user.id, now: deps.now() });
  }
  const wanted = new Set(channelIds);
  for (const channelId of granted) {
    if (wanted.has(channelId)) continue;
    await deleteGrant(tx, channelId, user.id);
    if (!(await findChannel(tx, p.orgId, channelId)) || !(await findMembership(tx, channelId, user.id))) continue;
    await removeChannelMembersIn(tx, fx, deps, { orgId: p.orgId, channelId, userIds: [user.id], by: null, reason: "kicked" });
  }
}

/** Resolve (or create) the account, apply the mappings and issue the one-time code, in one command. */
export async function provisionSignIn(
  deps: Deps,
  p: Provider,
  signIn: SignInClaims,
  handoff: { browserHash: string; deviceName: string | null },
): Promise<Provisioned> {
  const actor = idpActor(p.orgId, p.kind);
  const s: SsoAccessSettings = p.settings;
  const profile = profileOf({ claims: claimNamesOf(p) }, signIn.claims);
  const access = desiredAccess(s, profile.groups);
  const once = () =>
    runCommand(deps, actor, "sso.signIn", async (tx, fx): Promise<Provisioned> => {
      const resolved = await resolveAccount(tx, deps, fx, p, signIn.sub, profile, access.role ?? s.defaultRole);
      let user = resolved.user;
      if (user.deactivated_at !== null) throw refused("deactivated", "this account has been deactivated by an admin");
      if (!resolved.created && access.role !== null && user.role !== access.role) user = await applyRole(tx, deps, fx, actor, p, user, access.role);
      await applyChannels(tx, deps, fx, actor, p, user, access.channelIds);
      const code = newSecret();
      const now = deps.now();
      await tx
        .insertInto("sso_codes")
        .values({
          code_hash: hashSecret(code),
          org_id: p.orgId,
          provider_id: p.id,
          user_id: user.id,
          browser_hash: handoff.browserHash,
          sid: signIn.sid,
          amr: signIn.amr ? JSON.stringify(signIn.amr) : null,
          name_id: signIn.nameId?.value ?? null,
          name_id_format: signIn.nameId?.format ?? null,
          device_name: handoff.deviceName,
          created_at: now,
          expires_at: now + CODE_TTL_MS,
          used_at: null,
        })
        .execute();
      return { user, code, created: resolved.created };
    });
  try {
    return await once();
  } catch (err) {
    // Two first sign-ins of one subject at once: the other made the account and link; this one uses them.
    if (isUniqueViolation(err)) return once();
    throw err;
  }
}
