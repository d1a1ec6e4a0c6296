/**
 * The org's edit policy (protocol/edit-routes.ts), kept in `orgs.settings.editPolicy`.
 * Enforced in the send batch (validate-send.ts) on the target's sender time; clients read
 * it to hide "Edit" where the server would refuse it.
 */
import { DEFAULT_EDIT_POLICY, EditPolicy as EditPolicySchema, type EditPolicy } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { validated } from "../../core/validate.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, setOrgSettings } from "../e2ee/store.ts";

/** The policy in an org's parsed settings (the default when unset or unreadable). */
export function editPolicyIn(settings: Record<string, unknown>): EditPolicy {
  const parsed = EditPolicySchema.safeParse(settings.editPolicy);
  return parsed.success ? parsed.data : DEFAULT_EDIT_POLICY;
}

/** Every member may read it: their client hides "Edit" past the window. */
export async function getEditPolicy(deps: Deps, p: Actor): Promise<EditPolicy> {
  return editPolicyIn(await orgSettings(deps.db, p.orgId));
}

/** Change the policy (owners and admins); the audit entry commits with it. */
export async function setEditPolicy(deps: Deps, p: Actor, raw: EditPolicy): Promise<EditPolicy> {
  const next = validated(EditPolicySchema, raw);
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  return runCommand(deps, p, "messages.setEditPolicy", async (tx, fx) => {
    const settings = await orgSettings(tx, p.orgId);
    const before = editPolicyIn(settings);
    await setOrgSettings(tx, p.orgId, { ...settings, editPolicy: next });
    fx.audit({ action: "org.edit_policy.changed", target: { kind: "org", id: p.orgId }, result: "success", details: { from: before, to: next } });
    return next;
  });
}
