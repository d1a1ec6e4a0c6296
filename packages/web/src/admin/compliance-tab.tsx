/**
 * Admin console → Compliance (owners, and compliance officers holding org.manage_compliance
 * through a custom role; admins do not have it by default): retention — the org's policy,
 * channel overrides, the latest run — and legal holds. Each half loads on its own.
 */
import { LegalHoldsSection } from "./legal-holds-section.tsx";
import { RetentionSection } from "./retention-section.tsx";
import "./identity-admin.css";
import "./roles-policies.css";
import "./compliance.css";

export function ComplianceTab() {
  return (
    <div className="settings-form identity-admin roles-policies compliance">
      <RetentionSection />
      <LegalHoldsSection />
    </div>
  );
}
