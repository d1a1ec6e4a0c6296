/**
 * The server operator: whoever runs the installation, not an org role. With an operator
 * token (made on the server with `parley admin operator-token create`, shown once, stored
 * hashed) they list, create, suspend and restore orgs over the API. A suspended org's
 * sessions end at once and nobody in it can sign in or use a token until it is restored;
 * its data stays. Every operator action is recorded in the org's audit log (actor
 * "system", via "operator", with the token's id).
 */
import crypto from "node:crypto";
import type { OperatorOrg } from "@parley/protocol";
import type { Deps } from "../../context.ts";
import type { RequestCtx } from "../../core/handlers.ts";
import type { OrgsTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { hashSecret, newId } from "../../platform/ids.ts";
import { systemActor } from "../../core/actor.ts";
import { bearerToken } from "../accounts/principal.ts";
import { revokeAllOrgSessions } from "../accounts/sessions.ts";
import { issueAccountToken } from "../accounts/account-tokens.ts";
import { mails, queueMail } from "../accounts/mail.ts";
import { insertOrgWithOwner, mapUniqueViolation } from "./create-org.ts";

const PREFIX = "op_";
/** No password verifies against it: the owner chooses one through the emailed link. */
const NO_PASSWORD = "!reset";

/** Make an operator token (offline, on the server); returns it once. */
export async function createOperatorToken(deps: Deps, name: string): Promise<{ id: string; token: string }> {
  const token = PREFIX + crypto.randomBytes(32).toString("base64url");
  const id = newId("opt");
  await runCommand(deps, null, "orgs.createOperatorToken", async (tx) => {
    await tx
      .insertInto("operator_tokens")
      .values({ id, name, token_hash: hashSecret(token), created_at: deps.now(), last_used_at: null, revoked_at: null })
      .execute();
  });
  return { id, token };
}

/** The operator token of a request, or 401. */
export async function operatorOf(ctx: RequestCtx): Promise<{ tokenId: string }> {
  const token = bearerToken(ctx.req.headers.authorization);
  const unauthorized = new AppError("unauthorized", "operator routes need an operator token (Authorization: Bearer op_…; parley admin operator-token create)");
  if (!token?.startsWith(PREFIX)) throw unauthorized;
  const row = await ctx.deps.db.selectFrom("operator_tokens").selectAll().where("token_hash", "=", hashSecret(token)).executeTakeFirst();
  if (!row || row.revoked_at !== null) {
    await ctx.deps.limits.loginIp.consume(ctx.ip);
    throw unauthorized;
  }
  await ctx.deps.db.updateTable("operator_tokens").set({ last_used_at: ctx.deps.now() }).where("id", "=", row.id).execute();
  return { tokenId: row.id };
}

async function view(deps: Deps, org: OrgsTable): Promise<OperatorOrg> {
  const n = await deps.db
    .selectFrom("users")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("org_id", "=", org.id)
    .where("deactivated_at", "is", null)
    .executeTakeFirstOrThrow();
  return {
    id: org.id,
    slug: org.slug,
    name: org.name,
    createdAt: Number(org.created_at),
    users: Number(n.n),
    suspended: org.suspended_at !== null,
    suspendedAt: org.suspended_at === null ? null : Number(org.suspended_at),
    suspendedReason: org.suspended_reason,
  };
}

export async function operatorListOrgs(deps: Deps): Promise<OperatorOrg[]> {
  const rows = await deps.db.selectFrom("orgs").selectAll().orderBy("slug").execute();
  return Promise.all(rows.map((r) => view(deps, r)));
}

async function loadOrg(deps: Deps, id: string): Promise<OrgsTable> {
  const row = await deps.db.selectFrom("orgs").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("org");
  return row;
}

export async function operatorCreateOrg(
  deps: Deps,
  op: { tokenId: string },
  input: { slug: string; name: string; owner: { username: string; displayName: string; email?: string | undefined } },
): Promise<{ org: OperatorOrg; ownerId: string; emailed: boolean; setPasswordUrl?: string }> {
  let out;
  try {
    out = await runCommand(deps, null, "orgs.operatorCreateOrg", async (tx, fx) => {
      const { org, user } = await insertOrgWithOwner(tx, deps, {
        orgSlug: input.slug,
        orgName: input.name,
        username: input.owner.username,
        displayName: input.owner.displayName,
        passwordHash: NO_PASSWORD,
        ...(input.owner.email ? { email: input.owner.email } : {}),
      });
      const { token, expiresAt } = await issueAccountToken(tx, {
        purpose: "password_reset",
        orgId: org.id,
        userId: user.id,
        createdBy: `operator:${op.tokenId}`,
        now: deps.now(),
      });
      const url = `${deps.publicUrl.get()}/reset-password#token=${token}`;
      const emailed = Boolean(input.owner.email && deps.mail.configured);
      fx.audit({
        orgId: org.id,
        actor: { kind: "system", id: `operator:${op.tokenId}` },
        action: "org.created",
        target: { kind: "org", id: org.id },
        result: "success",
        details: { by: "operator", ownerId: user.id, emailed },
      });
      if (emailed && input.owner.email) {
        // The first password link is valid for an hour; an expired one is replaced by "Forgot password?".
        await queueMail(deps, fx, mails.passwordReset(input.owner.email, { orgName: org.name, username: user.username, url, expiresAt, byAdmin: true }));
      }
      return { orgId: org.id, ownerId: user.id, emailed, url };
    });
  } catch (err) {
    throw mapUniqueViolation(err, `an org with slug "${input.slug}" already exists`);
  }
  return {
    org: await view(deps, await loadOrg(deps, out.orgId)),
    ownerId: out.ownerId,
    emailed: out.emailed,
    ...(out.emailed ? {} : { setPasswordUrl: out.url }),
  };
}

export async function operatorSuspendOrg(deps: Deps, op: { tokenId: string }, orgId: string, reason: string): Promise<OperatorOrg> {
  const org = await loadOrg(deps, orgId);
  if (org.suspended_at === null) {
    await runCommand(deps, systemActor(orgId, "server"), "orgs.operatorSuspendOrg", async (tx, fx) => {
      await tx.updateTable("orgs").set({ suspended_at: deps.now(), suspended_reason: reason }).where("id", "=", orgId).execute();
      const ended = await revokeAllOrgSessions(tx, fx, deps, orgId, "org_suspended");
      fx.audit({
        actor: { kind: "system", id: `operator:${op.tokenId}` },
        action: "org.suspended",
        target: { kind: "org", id: orgId },
        result: "success",
        details: { reason, sessionsEnded: ended },
      });
    });
  }
  return view(deps, await loadOrg(deps, orgId));
}

export async function operatorRestoreOrg(deps: Deps, op: { tokenId: string }, orgId: string): Promise<OperatorOrg> {
  const org = await loadOrg(deps, orgId);
  if (org.suspended_at !== null) {
    await runCommand(deps, systemActor(orgId, "server"), "orgs.operatorRestoreOrg", async (tx, fx) => {
      await tx.updateTable("orgs").set({ suspended_at: null, suspended_reason: null }).where("id", "=", orgId).execute();
      fx.audit({ actor: { kind: "system", id: `operator:${op.tokenId}` }, action: "org.restored", target: { kind: "org", id: orgId }, result: "success" });
    });
  }
  return view(deps, await loadOrg(deps, orgId));
}
