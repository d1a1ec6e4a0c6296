/** Admin console (owners and admins): users, roles, deactivation, devices, invites, channels, org settings, single sign-on, the audit log. */
import { useState } from "react";
import { useChat } from "../../client/use-chat.ts";
import { UsersTab } from "./users-tab.tsx";
import { InvitesTab } from "./invites-tab.tsx";
import { ChannelsTab } from "../../admin/channels-tab.tsx";
import { SettingsTab } from "../../admin/settings-tab.tsx";
import { AuditTab } from "../../admin/audit-tab.tsx";
import { SsoAdminTab } from "../../sso/sso-admin-tab.tsx";

type Tab = "users" | "invites" | "channels" | "settings" | "sso" | "audit";
const LABELS: Record<Tab, string> = {
  users: "Users",
  invites: "Invites",
  channels: "Channels",
  settings: "Org settings",
  sso: "Single sign-on",
  audit: "Audit",
};

export function AdminConsole() {
  const chat = useChat();
  const [tab, setTab] = useState<Tab>("users");
  if (!chat.isAdmin)
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
        {(["users", "invites", "channels", "settings", "sso", "audit"] as const).map((t) => (
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
        ) : tab === "audit" ? (
          <AuditTab />
        ) : tab === "sso" ? (
          <SsoAdminTab />
        ) : (
          <SettingsTab />
        )}
      </div>
    </section>
  );
}
