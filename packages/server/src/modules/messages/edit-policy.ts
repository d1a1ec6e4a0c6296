/**
 * The org's edit policy (protocol/edit-routes.ts), kept in `orgs.settings.editPolicy`.
 * Enforced in the send batch (validate-send.ts) on the target's sender time; clients read
 * it to hide "Edit" where the server would refuse it.
 */
import { DEFAULT_EDIT_POLICY, EditPolicy } from "@parley/protocol";
import { settingsPolicy } from "../orgs/settings-policy.ts";

const policy = settingsPolicy({
  key: "editPolicy",
  schema: EditPolicy,
  fallback: DEFAULT_EDIT_POLICY,
  command: "messages.setEditPolicy",
  action: "org.edit_policy.changed",
});

/** The policy in an org's parsed settings (the default when unset or unreadable). */
export const editPolicyIn = policy.of;

/** Every member may read it: their client hides "Edit" past the window. */
export const getEditPolicy = policy.get;

/** Change the policy (owners and admins); the audit entry commits with it. */
export const setEditPolicy = policy.set;
