/**
 * Admin console (owners and admins): users, roles, deactivation, devices, invites, channels, single sign-on, the directory (SCIM, LDAP),
 * sessions (policy, anyone's sessions), API keys and service accounts, integrations (webhooks and their dead letters), OAuth apps, roles and policies, org settings, the audit log,
 * compliance (retention and legal holds: owners and compliance officers only).
 * A member whose custom role grants one of these permissions sees the pages it opens (console-tabs.ts).
 */
import { useState } from "react";
import { useChat } from "../../client/use-chat.ts";
import { UsersTab } from "./users-tab.tsx";
import { InvitesTab } from "./invites-tab.tsx";
import { ChannelsTab } from "../../admin/channels-tab.tsx";
import { SettingsTab } from "../../admin/settings-tab.tsx";
import { AuditTab } from "../../admin/audit-tab.tsx";
import { SsoAdminTab } from "../../sso/sso-admin-tab.tsx";
import { DirectoryTab } from "../../admin/directory-tab.tsx";
import { SessionsTab } from "../../admin/sessions-tab.tsx";
import { ApiKeysTab } from "../../admin/api-keys-tab.tsx";
import { IntegrationsTab } from "../../admin/integrations-tab.tsx";
import { OAuthAppsTab } from "../../oauth/oauth-apps-tab.tsx";
import { RolesPoliciesTab } from "../../admin/roles-policies-tab.tsx";
import { ComplianceTab } from "../../admin/compliance-tab.tsx";
import { EmojiTab } from "../../admin/emoji-tab.tsx";
import { consoleTabs, type Tab } from "./console-tabs.ts";

const LABELS: Record<Tab, string> = {
  users: "Users",
  invites: "Invites",
  channels: "Channels",
  emoji: "Emoji",
  settings: "Org settings",
  sso: "Single sign-on",
  directory: "Directory",
  sessions: "Sessions",
  "api-keys": "API keys",
  integrations: "Integrations",
  "oauth-apps": "OAuth apps",
  roles: "Roles & policies",
  audit: "Audit",
  compliance: "Compliance",
};

export function AdminConsole() {
  const chat = useChat();
  const tabs = consoleTabs(chat);
  const [chosen, setTab] = useState<Tab>();
  // Owners and admins start on Users; someone a custom role lets in starts on the first page it opens.
  const tab = chosen && tabs.includes(chosen) ? chosen : tabs[0];
  if (!tab)
    return (
      <div className="empty">
        <h2>Admins only</h2>
        <p>Ask an owner or admin of {chat.org.name} for access.</p>
      </div>
    );
  return (
    <section className="admin" aria-labelledby="admin-title">
      <header className="channel-head">
        <h1 id="admin-title">Admin · {chat.org.name}</h1>
      </header>
      <div className="tabs" role="tablist" aria-label="Admin sections">
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} onClick={() => setTab(t)}>
            {LABELS[t]}
          </button>
        ))}
      </div>
      {/* The audit log scrolls inside its own list (below its filters), so its panel does not scroll. */}
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className={tab === "audit" ? "admin-panel fill" : "admin-panel"}>
        {tab === "users" ? (
          <UsersTab />
        ) : tab === "invites" ? (
          <InvitesTab />
        ) : tab === "channels" ? (
          <ChannelsTab />
        ) : tab === "emoji" ? (
          <EmojiTab />
        ) : tab === "audit" ? (
          <AuditTab />
        ) : tab === "sso" ? (
          <SsoAdminTab />
        ) : tab === "directory" ? (
          <DirectoryTab />
        ) : tab === "sessions" ? (
          <SessionsTab />
        ) : tab === "api-keys" ? (
          <ApiKeysTab />
        ) : tab === "integrations" ? (
          <IntegrationsTab />
        ) : tab === "oauth-apps" ? (
          <OAuthAppsTab />
        ) : tab === "roles" ? (
          <RolesPoliciesTab />
        ) : tab === "compliance" ? (
          <ComplianceTab />
        ) : (
          <SettingsTab />
        )}
      </div>
    </section>
  );
}
