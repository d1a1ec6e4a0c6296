/**
 * The org's MFA policy: required or not, for which roles, with a grace period. A user
 * the policy covers must have an authenticator by their deadline — the later of when the
 * policy began to cover them and when their account was made, plus the grace days. Past
 * it their sessions are restricted to enrolling (login.ts, http/register.ts).
 */
import { MfaPolicy as MfaPolicySchema, type MfaPolicy } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { badRequest } from "../../core/errors.ts";
import { validated } from "../../core/validate.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, setOrgSettings } from "../e2ee/store.ts";

const DEFAULT: MfaPolicy = { required: false, roles: ["owner", "admin", "member", "guest"], graceDays: 7 };
const DAY = 86_400_000;

/** The policy as stored: with when each role came under it. */
interface StoredMfaPolicy extends MfaPolicy {
  /** Role -> when the policy began to require MFA of it (ms). */
  since?: Partial<Record<string, number>>;
}

async function stored(q: Db | Tx, orgId: string): Promise<StoredMfaPolicy> {
  const raw = (await orgSettings(q, orgId)).mfaPolicy as StoredMfaPolicy | undefined;
  const parsed = MfaPolicySchema.safeParse(raw);
  return parsed.success ? { ...parsed.data, ...(raw?.since ? { since: raw.since } : {}) } : DEFAULT;
}

export async function mfaPolicyOf(q: Db | Tx, orgId: string): Promise<StoredMfaPolicy> {
  return stored(q, orgId);
}

/** When `user` must have MFA by (ms), or null when the policy does not require it of them. */
export function mfaDeadline(policy: StoredMfaPolicy, user: Pick<UsersTable, "role" | "created_at">): number | null {
  if (!policy.required || !policy.roles.includes(user.role)) return null;
  const since = policy.since?.[user.role] ?? 0;
  return Math.max(since, Number(user.created_at)) + policy.graceDays * DAY;
}

const publicView = (p: StoredMfaPolicy): MfaPolicy => ({ required: p.required, roles: p.roles, graceDays: p.graceDays });

export async function getMfaPolicy(deps: Deps, p: Actor): Promise<MfaPolicy> {
  return publicView(await stored(deps.db, p.orgId));
}

/**
 * Change the policy (admins). Refused when it would require MFA of the acting admin and they
 * have none yet: whoever turns it on must be able to live with it.
 */
export async function setMfaPolicy(deps: Deps, p: Actor, raw: MfaPolicy, actorHasMfa: boolean): Promise<MfaPolicy> {
  const next = validated(MfaPolicySchema, raw);
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  if (next.required && next.roles.includes(p.role) && p.kind === "device" && !actorHasMfa) {
    throw badRequest("set up an authenticator app for yourself first: this policy would require it of you");
  }
  return runCommand(deps, p, "accounts.setMfaPolicy", async (tx, fx) => {
    const settings = await orgSettings(tx, p.orgId);
    const before = await stored(tx, p.orgId);
    const now = deps.now();
    // Each role's clock starts when the policy first requires MFA of it; it keeps running through edits.
    const since: Record<string, number> = {};
    if (next.required) for (const role of next.roles) since[role] = before.required && before.roles.includes(role) ? (before.since?.[role] ?? now) : now;
    await setOrgSettings(tx, p.orgId, { ...settings, mfaPolicy: { ...next, since } });
    fx.audit({ action: "org.mfa_policy.changed", target: { kind: "org", id: p.orgId }, result: "success", details: { from: publicView(before), to: next } });
    return next;
  });
}
