/**
 * Admin console → Roles & policies: custom roles (for holders of org.manage_roles) and the
 * org's Cedar policies with their editor and dry run (org.manage_security). Each half loads
 * on its own, so a user allowed one sees it even when refused the other.
 */
import { useCallback, useEffect, useState } from "react";
import type { CustomRole, OrgPolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { CustomRolesSection } from "./custom-roles-section.tsx";
import type { Catalogue } from "./custom-role-form.tsx";
import { PoliciesSection } from "./policies-section.tsx";
import "./identity-admin.css";
import "./roles-policies.css";

export function RolesPoliciesTab() {
  const api = useChat().client.api;
  const [roles, setRoles] = useState<{ roles: CustomRole[]; catalogue: Catalogue }>();
  const [policies, setPolicies] = useState<{ policies: OrgPolicy[]; schema: string }>();
  const [rolesError, setRolesError] = useState<string>();
  const [policiesError, setPoliciesError] = useState<string>();
  const loadRoles = useCallback(
    () =>
      api.call("listCustomRoles").then(
        (r) => (setRoles(r), setRolesError(undefined)),
        (err: unknown) => setRolesError(describeAccessError(err)),
      ),
    [api],
  );
  const loadPolicies = useCallback(
    () =>
      api.call("listPolicies").then(
        (r) => (setPolicies(r), setPoliciesError(undefined)),
        (err: unknown) => setPoliciesError(describeAccessError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void loadRoles();
    void loadPolicies();
  }, [loadRoles, loadPolicies]);

  return (
    <div className="settings-form identity-admin roles-policies">
      {rolesError ? (
        <FormError error={rolesError} />
      ) : (
        <CustomRolesSection roles={roles?.roles} catalogue={roles?.catalogue ?? []} onChange={() => void loadRoles()} />
      )}
      {policiesError ? (
        <FormError error={policiesError} />
      ) : (
        <PoliciesSection policies={policies?.policies} schema={policies?.schema ?? ""} onChange={() => void loadPolicies()} />
      )}
    </div>
  );
}
