/**
 * Invite links: a random token (only its hash is stored) with a role, an
 * expiry and a use limit. Accepting one creates the user, a device and a
 * session; the use is counted in the same transaction so a link can never
 * be used more often than allowed, even by concurrent accepts.
 */
import { routes, type RouteBodyInput, type AuthTokens, type Invite, type Org, type OrgRole } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { actorRef } from "../../core/actor.ts";
import type { InvitesTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, badRequest, notFound } from "../../core/errors.ts";
import { hashSecret, newId, newSecret } from "../../platform/ids.ts";
import { authorize } from "../access/authorize.ts";
import { hashPassword } from "../accounts/passwords.ts";
import { addDevice, authTokens, startSession } from "../accounts/sessions.ts";
import { toOrg } from "../accounts/views.ts";
import { getOrg, getUserInOrg } from "../accounts/store.ts";
import { mails, queueMail, requireMail } from "../accounts/mail.ts";
import { assertEmailFree } from "../accounts/email-address.ts";
import { checkPassword, passwordPolicyOf } from "../accounts/password-policy.ts";
import { insertUser, mapUniqueViolation } from "./create-org.ts";
import { validated } from "../../core/validate.ts";

function toInvite(r: InvitesTable): Invite {
  return {
    id: r.id,
    role: r.role,
    maxUses: Number(r.max_uses),
    uses: Number(r.uses),
    expiresAt: Number(r.expires_at),
    revoked: r.revoked_at !== null,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    email: r.email ?? null,
  };
}

/** Role (default member), maxUses (default 1), expiresInSeconds (default 7 days): the createInvite route's body. */
export type NewInvite = RouteBodyInput<typeof routes.createInvite>;
// The route table types `body` as optional; createInvite always has one.
const NewInviteSchema = routes.createInvite.body as NonNullable<typeof routes.createInvite.body>;

/** Create an invite. Validates its input itself because the CLI calls it directly. */
export async function createInvite(deps: Deps, p: Actor, raw: NewInvite = {}): Promise<Invite & { token: string; emailed: boolean }> {
  const input = validated(NewInviteSchema, raw);
  authorize(p, "org.invite", { type: "org", orgId: p.orgId });
  // Inviting an admin is granting admin: owners only.
  if (input.role === "admin") authorize(p, "org.manage_admins", { type: "org", orgId: p.orgId });
  // An emailed link is for one person: one use.
  if (input.email) {
    requireMail(deps, "an invite cannot be emailed (share the link yourself)");
    if (input.maxUses !== 1) throw badRequest("an emailed invite is for one person: leave maxUses at 1");
  }
  const token = newSecret();
  const now = deps.now();
  const row: InvitesTable = {
    id: newId("inv"),
    org_id: p.orgId,
    token_hash: hashSecret(token),
    role: input.role,
    max_uses: input.maxUses,
    uses: 0,
    expires_at: now + input.expiresInSeconds * 1000,
    revoked_at: null,
    created_by: actorRef(p),
    created_at: now,
    email: input.email ?? null,
  };
  await runCommand(deps, p, "orgs.createInvite", async (tx, fx) => {
    await tx.insertInto("invites").values(row).execute();
    // The token is a secret: only the invite's id, role and limits are recorded.
    fx.audit({
      action: "org.invite.created",
      target: { kind: "invite", id: row.id },
      result: "success",
      details: { role: row.role, maxUses: row.max_uses, expiresAt: row.expires_at, emailed: Boolean(input.email) },
      ...(input.email ? { pii: { subject: row.id, data: { email: input.email } } } : {}),
    });
    if (input.email) {
      await assertEmailFree(tx, p.orgId, input.email);
      const org = await getOrg(tx, p.orgId);
      const inviter = p.kind === "device" ? ((await getUserInOrg(tx, p.orgId, p.userId))?.display_name ?? "An admin") : "An admin";
      const url = `${deps.publicUrl.get()}/invite/${token}`;
      await queueMail(deps, fx, mails.invite(input.email, { orgName: org.name, inviter, role: row.role, url, expiresAt: row.expires_at }));
    }
  });
  return { ...toInvite(row), token, emailed: Boolean(input.email) };
}

export async function listInvites(deps: Deps, p: Actor): Promise<Invite[]> {
  authorize(p, "org.invite", { type: "org", orgId: p.orgId });
  const rows = await deps.db.selectFrom("invites").selectAll().where("org_id", "=", p.orgId).orderBy("created_at", "desc").orderBy("id").execute();
  return rows.map(toInvite);
}

export async function revokeInvite(deps: Deps, p: Actor, inviteId: string): Promise<void> {
  authorize(p, "org.invite", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "orgs.revokeInvite", async (tx, fx) => {
    const r = await tx
      .updateTable("invites")
      .set({ revoked_at: deps.now() })
      .where("org_id", "=", p.orgId)
      .where("id", "=", inviteId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) {
      const exists = await tx.selectFrom("invites").select("id").where("org_id", "=", p.orgId).where("id", "=", inviteId).executeTakeFirst();
      if (!exists) throw notFound("invite");
      return; // already revoked
    }
    fx.audit({ action: "org.invite.revoked", target: { kind: "invite", id: inviteId }, result: "success" });
  });
}

const invalid = () => new AppError("invite_invalid", "this invite link has expired, been used up or been revoked");

function usable(r: InvitesTable, now: number): boolean {
  return r.revoked_at === null && Number(r.expires_at) > now && Number(r.uses) < Number(r.max_uses);
}

async function findUsableInvite(deps: Deps, token: string): Promise<InvitesTable> {
  const row = await deps.db.selectFrom("invites").selectAll().where("token_hash", "=", hashSecret(token)).executeTakeFirst();
  if (!row || !usable(row, deps.now())) throw invalid();
  return row;
}

export async function peekInvite(deps: Deps, token: string): Promise<{ org: Org; role: OrgRole; expiresAt: number }> {
  const row = await findUsableInvite(deps, token);
  const org = await deps.db.selectFrom("orgs").select(["id", "slug", "name", "created_at"]).where("id", "=", row.org_id).executeTakeFirstOrThrow();
  return { org: toOrg(org), role: row.role, expiresAt: Number(row.expires_at) };
}

export interface AcceptInput {
  token: string;
  username: string;
  displayName: string;
  password: string;
  deviceName: string;
}

export async function acceptInvite(deps: Deps, input: AcceptInput): Promise<AuthTokens> {
  // Cheap check first so a dead link does not cost an argon2 hash.
  const invite = await findUsableInvite(deps, input.token);
  const org = await getOrg(deps.db, invite.org_id);
  checkPassword(await passwordPolicyOf(deps.db, invite.org_id), input.password, { username: input.username, orgSlug: org.slug, orgName: org.name });
  const passwordHash = await hashPassword(input.password);
  let issued;
  try {
    issued = await runCommand(deps, null, "orgs.acceptInvite", async (tx, after) => {
      const now = deps.now();
      // Count the use only while the invite is still usable: the row update is the arbiter between racing accepts.
      const r = await tx
        .updateTable("invites")
        .set((eb) => ({ uses: eb("uses", "+", 1) }))
        .where("id", "=", invite.id)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", now)
        .where((eb) => eb("uses", "<", eb.ref("max_uses")))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw invalid();
      const taken = await tx.selectFrom("users").select("id").where("org_id", "=", invite.org_id).where("username", "=", input.username).executeTakeFirst();
      if (taken) throw new AppError("already_exists", `username "${input.username}" is taken`);
      // An emailed invite proves the address: the account gets it (unless someone took it since).
      const email = invite.email ?? undefined;
      if (email) await assertEmailFree(tx, invite.org_id, email);
      const user = await insertUser(tx, deps, {
        orgId: invite.org_id,
        username: input.username,
        displayName: input.displayName,
        passwordHash,
        role: invite.role,
        ...(email ? { email } : {}),
      });
      const deviceId = await addDevice(tx, after, deps, { orgId: invite.org_id, userId: user.id, name: input.deviceName });
      after.audit({
        orgId: invite.org_id,
        actor: { kind: "device", id: user.id, deviceId },
        action: "org.invite.accepted",
        target: { kind: "invite", id: invite.id },
        result: "success",
        details: { userId: user.id, role: invite.role },
        pii: { subject: user.id, data: { username: input.username } },
      });
      return startSession(tx, deps, { orgId: invite.org_id, userId: user.id, deviceId });
    });
  } catch (err) {
    throw mapUniqueViolation(err, `username "${input.username}" is taken`);
  }
  return authTokens(deps, issued);
}
