/**
 * Org policies: Cedar `forbid` statements an org's security admins write (docs/identity.md,
 * "Roles and policies"). Every write is checked before anything is stored: the text must be
 * one forbid that validates against the schema (policy_invalid), and afterwards at least one
 * current owner or admin must still be allowed org.manage_security (policy_lockout). Each
 * change bumps the org's access version and is audited with the policy's id, name and the
 * SHA-256 of its text.
 */
import type { OrgPolicy } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { OrgPoliciesTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { newId } from "../../platform/ids.ts";
import { mapUniqueViolation } from "../orgs/create-org.ts";
import { authorize, policyDenials } from "./authorize.ts";
import { CEDAR_SCHEMA, checkPolicyText, compilePolicySet, policyTextHash, type PolicyProblem } from "./cedar.ts";
import { auditRefusals } from "./refusals.ts";
import { bumpAccessVersion, loadOrgAccess } from "./org-access.ts";
import type { CompiledPolicy, OrgAccessState, PrincipalAttrs } from "./access-state.ts";

const org = (p: Actor) => ({ type: "org" as const, orgId: p.orgId });

function toPolicy(r: OrgPoliciesTable): OrgPolicy {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    text: r.text,
    enabled: Number(r.enabled) === 1,
    textHash: policyTextHash(r.text),
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Refuse a text that is not one valid forbid (policy_invalid, with the problems). */
export function requireValidText(text: string): void {
  const problems = checkPolicyText(text);
  if (problems.length > 0) throw new AppError("policy_invalid", `the policy is refused: ${problems[0]!.message}`, { problems });
}

export async function listPolicies(deps: Deps, p: Actor): Promise<{ policies: OrgPolicy[]; schema: string }> {
  authorize(p, "org.manage_security", org(p));
  const rows = await deps.db.selectFrom("org_policies").selectAll().where("org_id", "=", p.orgId).orderBy("created_at").orderBy("id").execute();
  return { policies: rows.map(toPolicy), schema: CEDAR_SCHEMA };
}

export function validatePolicy(p: Actor, text: string): { valid: boolean; problems: PolicyProblem[] } {
  authorize(p, "org.manage_security", org(p));
  const problems = checkPolicyText(text);
  return { valid: problems.length === 0, problems };
}

/** The org's state with `policies` as its enabled set (compiled under a scratch key: nothing cached changes). */
export function withPolicies(base: OrgAccessState, policies: readonly CompiledPolicy[], key: string): OrgAccessState {
  return { ...base, policies, policySetId: compilePolicySet(key, policies) };
}

/** A user's attributes as the lock-out check and dry-runs assume them when no session is at hand. */
export async function assumedAttrs(
  q: Tx | Deps["db"],
  orgId: string,
  userIds: readonly string[],
  ctx: { ip: string; mfa?: boolean | undefined; deviceApproved?: boolean | undefined },
): Promise<Map<string, PrincipalAttrs>> {
  const out = new Map<string, PrincipalAttrs>();
  if (userIds.length === 0) return out;
  const [totp, passkeys, groups] = await Promise.all([
    q.selectFrom("user_mfa").select("user_id").where("user_id", "in", userIds).where("totp_enabled_at", "is not", null).execute(),
    q.selectFrom("passkeys").select("user_id").where("user_id", "in", userIds).execute(),
    q
      .selectFrom("scim_group_members as m")
      .innerJoin("scim_groups as g", "g.id", "m.group_id")
      .select(["m.user_id", "g.display_name"])
      .where("m.org_id", "=", orgId)
      .where("m.user_id", "in", userIds)
      .execute(),
  ]);
  const hasFactor = new Set([...totp, ...passkeys].map((r) => r.user_id));
  for (const id of userIds) {
    out.set(id, {
      mfa: ctx.mfa ?? hasFactor.has(id),
      deviceApproved: ctx.deviceApproved ?? true,
      groups: groups
        .filter((g) => g.user_id === id)
        .map((g) => g.display_name)
        .sort(),
      ip: ctx.ip,
    });
  }
  return out;
}

/**
 * Refuse (policy_lockout) unless, with the org's enabled policies as they now stand in `tx`,
 * at least one active owner or admin may still manage security. Evaluated for each of them
 * with the request's address and time, MFA as they have it enrolled, and an approved device.
 */
async function checkLockOut(tx: Tx, deps: Deps, orgId: string, ip: string): Promise<void> {
  const state = await loadOrgAccess(tx, deps, orgId, -1, `lockout:${orgId}`);
  if (state.policySetId === null) return;
  const admins = await tx
    .selectFrom("users")
    .select(["id", "role"])
    .where("org_id", "=", orgId)
    .where("role", "in", ["owner", "admin"])
    .where("deactivated_at", "is", null)
    .execute();
  const attrs = await assumedAttrs(
    tx,
    orgId,
    admins.map((a) => a.id),
    { ip },
  );
  let denials: string[] = [];
  for (const a of admins) {
    const d = policyDenials(state, { userId: a.id, role: a.role, attrs: attrs.get(a.id)! }, "org.manage_security", { type: "org", orgId });
    if (d.length === 0) return;
    denials = [...new Set([...denials, ...d])];
  }
  throw new AppError("policy_lockout", "refused: after this change no owner or admin could still manage the organisation's security", { policies: denials });
}

async function findPolicy(tx: Tx, orgId: string, id: string): Promise<OrgPoliciesTable> {
  const row = await tx.selectFrom("org_policies").selectAll().where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("policy");
  return row;
}

async function requireFreeName(tx: Tx, orgId: string, name: string, exceptId?: string): Promise<void> {
  let q = tx.selectFrom("org_policies").select("id").where("org_id", "=", orgId).where("name", "=", name);
  if (exceptId) q = q.where("id", "!=", exceptId);
  if (await q.executeTakeFirst()) throw new AppError("already_exists", `a policy named "${name}" already exists`);
}

export async function createPolicy(
  deps: Deps,
  p: Actor,
  ip: string,
  input: { name: string; description: string; text: string; enabled: boolean },
): Promise<OrgPolicy> {
  authorize(p, "org.manage_security", org(p));
  return auditRefusals(deps, p, "policy.refused", null, { name: input.name, textHash: policyTextHash(input.text), enabled: input.enabled }, async () => {
    requireValidText(input.text);
    try {
      return await runCommand(deps, p, "access.createPolicy", async (tx, fx) => {
        await requireFreeName(tx, p.orgId, input.name);
        const now = deps.now();
        const row: OrgPoliciesTable = {
          id: newId("pol"),
          org_id: p.orgId,
          name: input.name,
          description: input.description,
          text: input.text,
          enabled: input.enabled ? 1 : 0,
          created_by: actorRef(p),
          created_at: now,
          updated_at: now,
        };
        await tx.insertInto("org_policies").values(row).execute();
        if (input.enabled) await checkLockOut(tx, deps, p.orgId, ip);
        await bumpAccessVersion(tx, fx, p.orgId);
        fx.audit({
          action: "policy.created",
          target: { kind: "policy", id: row.id },
          result: "success",
          details: { policyId: row.id, name: row.name, textHash: policyTextHash(row.text), enabled: input.enabled },
        });
        return toPolicy(row);
      });
    } catch (err) {
      throw mapUniqueViolation(err, `a policy named "${input.name}" already exists`);
    }
  });
}

export async function updatePolicy(
  deps: Deps,
  p: Actor,
  ip: string,
  id: string,
  input: { name?: string | undefined; description?: string | undefined; text?: string | undefined; enabled?: boolean | undefined },
): Promise<OrgPolicy> {
  authorize(p, "org.manage_security", org(p));
  return auditRefusals(
    deps,
    p,
    "policy.refused",
    { kind: "policy", id },
    {
      policyId: id,
      ...(input.text !== undefined ? { textHash: policyTextHash(input.text) } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    },
    async () => {
      if (input.text !== undefined) requireValidText(input.text);
      try {
        return await runCommand(deps, p, "access.updatePolicy", async (tx, fx) => {
          const old = await findPolicy(tx, p.orgId, id);
          if (input.name !== undefined) await requireFreeName(tx, p.orgId, input.name, id);
          const row: OrgPoliciesTable = {
            ...old,
            name: input.name ?? old.name,
            description: input.description ?? old.description,
            text: input.text ?? old.text,
            enabled: input.enabled === undefined ? Number(old.enabled) : input.enabled ? 1 : 0,
            updated_at: deps.now(),
          };
          await tx
            .updateTable("org_policies")
            .set({ name: row.name, description: row.description, text: row.text, enabled: row.enabled, updated_at: row.updated_at })
            .where("id", "=", id)
            .execute();
          if (row.enabled === 1) await checkLockOut(tx, deps, p.orgId, ip);
          await bumpAccessVersion(tx, fx, p.orgId);
          const wasEnabled = Number(old.enabled) === 1;
          const action =
            wasEnabled !== (row.enabled === 1) && row.text === old.text && row.name === old.name
              ? wasEnabled
                ? "policy.disabled"
                : "policy.enabled"
              : "policy.updated";
          fx.audit({
            action,
            target: { kind: "policy", id },
            result: "success",
            details: {
              policyId: id,
              name: row.name,
              textHash: policyTextHash(row.text),
              previousTextHash: policyTextHash(old.text),
              enabled: row.enabled === 1,
            },
          });
          return toPolicy(row);
        });
      } catch (err) {
        throw mapUniqueViolation(err, `a policy named "${input.name}" already exists`);
      }
    },
  );
}

export async function deletePolicy(deps: Deps, p: Actor, id: string): Promise<void> {
  authorize(p, "org.manage_security", org(p));
  await runCommand(deps, p, "access.deletePolicy", async (tx, fx) => {
    const old = await findPolicy(tx, p.orgId, id);
    await tx.deleteFrom("org_policies").where("id", "=", id).execute();
    // Removing a forbid never takes anything away, so there is no lock-out to check.
    await bumpAccessVersion(tx, fx, p.orgId);
    fx.audit({
      action: "policy.deleted",
      target: { kind: "policy", id },
      result: "success",
      details: { policyId: id, name: old.name, textHash: policyTextHash(old.text) },
    });
  });
}
