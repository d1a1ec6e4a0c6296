/**
 * Admin console → Compliance (owners, and compliance officers holding org.manage_compliance
 * through a custom role; admins do not have it by default): retention — the org's policy,
 * channel overrides, the latest run — legal holds, the compliance archive (read-only: its scope
 * is signed with a secret that never enters a browser), the log of eDiscovery exports, and the
 * register of GDPR requests. Each section loads on its own; the exports log names channels
 * from the archive's list.
 */
import { ArchiveSection, useArchive } from "./archive-section.tsx";
import { ExportsLogSection } from "./exports-log-section.tsx";
import { GdprRequestsSection } from "./gdpr-requests-section.tsx";
import { LegalHoldsSection } from "./legal-holds-section.tsx";
import { RetentionSection } from "./retention-section.tsx";
import "./identity-admin.css";
import "./roles-policies.css";
import "./compliance.css";

export function ComplianceTab() {
  const archive = useArchive();
  return (
    <div className="settings-form identity-admin roles-policies compliance">
      <RetentionSection />
      <LegalHoldsSection />
      <ArchiveSection archive={archive} />
      <ExportsLogSection channels={archive.data?.channels} />
      <GdprRequestsSection />
    </div>
  );
}
