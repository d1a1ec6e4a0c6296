/**
 * Which admin console pages a user sees: owners and admins all of them but Compliance, which
 * owners and compliance officers see (org.manage_compliance: admins lack it, separation of
 * duties); anyone else the pages their custom roles open (e.g. an "auditor" role with
 * org.read_audit sees Audit).
 */
import type { OrgPermission } from "@parley/protocol";

export type Tab =
  | "users"
  | "invites"
  | "channels"
  | "emoji"
  | "sso"
  | "directory"
  | "sessions"
  | "api-keys"
  | "integrations"
  | "oauth-apps"
  | "roles"
  | "settings"
  | "audit"
  | "compliance";

/** The permission each page needs; null: owners and admins only (the page mixes several). */
const NEEDS: Record<Tab, OrgPermission | readonly OrgPermission[] | null> = {
  users: "org.manage_users",
  invites: "org.invite",
  channels: "channel.manage_any",
  emoji: "org.manage_emoji",
  sso: null,
  directory: null,
  sessions: null,
  "api-keys": null,
  integrations: null,
  "oauth-apps": null,
  roles: ["org.manage_roles", "org.manage_security"],
  settings: null,
  audit: "org.read_audit",
  compliance: "org.manage_compliance",
};

const ORDER: Tab[] = [
  "users",
  "invites",
  "channels",
  "emoji",
  "sso",
  "directory",
  "sessions",
  "api-keys",
  "integrations",
  "oauth-apps",
  "roles",
  "settings",
  "audit",
  "compliance",
];

/** The pages, in order, that `user` may open. */
export function consoleTabs(user: { isAdmin: boolean; can: (p: OrgPermission) => boolean }): Tab[] {
  if (user.isAdmin) return ORDER.filter((t) => t !== "compliance" || user.can("org.manage_compliance"));
  return ORDER.filter((t) => {
    const need = NEEDS[t];
    return need !== null && (typeof need === "string" ? user.can(need) : need.some((p) => user.can(p)));
  });
}
