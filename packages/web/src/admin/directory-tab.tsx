/** Admin console → Directory: where people come from besides invites — SCIM provisioning and LDAP / Active Directory. */
import { ScimSection } from "./scim-section.tsx";
import { LdapSection } from "./ldap-section.tsx";
import "./identity-admin.css";

export function DirectoryTab() {
  return (
    <div className="settings-form identity-admin">
      <ScimSection />
      <LdapSection />
    </div>
  );
}
