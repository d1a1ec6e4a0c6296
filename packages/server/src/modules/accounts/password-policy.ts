/**
 * The org's password policy (NIST SP 800-63B): a minimum length and a check against a
 * bundled list of common breached passwords (the ~49,000 of @zxcvbn-ts/language-common)
 * and the account's own names. No composition rules, no forced expiry; every printable
 * character and space is allowed and nothing is truncated. Stored in the org's settings.
 */
import { PasswordPolicy as PasswordPolicySchema, type PasswordPolicy } from "@parley/protocol";
import { dictionary } from "@zxcvbn-ts/language-common";
import type { Actor, Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, setOrgSettings } from "../e2ee/store.ts";
import { validated } from "../../core/validate.ts";

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 10, blockCommon: true };

let common: Set<string> | undefined;
/** The bundled list, lowercased, loaded on first use. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()));
  return common;
}

export async function passwordPolicyOf(q: Db | Tx, orgId: string): Promise<PasswordPolicy> {
  const stored = PasswordPolicySchema.safeParse((await orgSettings(q, orgId)).passwordPolicy);
  return stored.success ? stored.data : DEFAULT_PASSWORD_POLICY;
}

/** Who the password is for: names it must not contain. */
export interface PasswordContext {
  username: string;
  orgSlug: string;
  orgName?: string;
}

/** Throws password_rejected unless `password` meets `policy`. */
export function checkPassword(policy: PasswordPolicy, password: string, who: PasswordContext): void {
  // Length in code points, so an emoji counts once.
  const length = [...password].length;
  if (length < policy.minLength) {
    throw new AppError("password_rejected", `choose a password of at least ${policy.minLength} characters`, {
      reason: "too_short",
      minLength: policy.minLength,
    });
  }
  if (!policy.blockCommon) return;
  const folded = password.toLowerCase();
  const squeezed = folded.replace(/\s+/g, "");
  if (commonPasswords().has(folded) || commonPasswords().has(squeezed)) {
    throw new AppError("password_rejected", "that password is on a list of common breached passwords; choose another (a few unrelated words work well)", {
      reason: "common",
    });
  }
  const names = [who.username, who.orgSlug, who.orgName ?? ""].map((n) => n.toLowerCase()).filter((n) => n.length >= 4);
  if (names.some((n) => squeezed.includes(n.replace(/\s+/g, "")))) {
    throw new AppError("password_rejected", "the password contains your username or the organisation's name; choose another", { reason: "contains_name" });
  }
}

/** The policy of the caller's org (any member: clients show it beside password fields). */
export async function getPasswordPolicy(deps: Deps, p: Actor): Promise<PasswordPolicy> {
  return passwordPolicyOf(deps.db, p.orgId);
}

export async function setPasswordPolicy(deps: Deps, p: Actor, raw: PasswordPolicy): Promise<PasswordPolicy> {
  const policy = validated(PasswordPolicySchema, raw);
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "accounts.setPasswordPolicy", async (tx, fx) => {
    const settings = await orgSettings(tx, p.orgId);
    const before = await passwordPolicyOf(tx, p.orgId);
    await setOrgSettings(tx, p.orgId, { ...settings, passwordPolicy: policy });
    fx.audit({ action: "org.password_policy.changed", target: { kind: "org", id: p.orgId }, result: "success", details: { from: before, to: policy } });
    return policy;
  });
}
