/**
 * The LDAP settings form's state: every field as the admin types it (numbers as text,
 * groups switched on or off, the write-only service password empty unless retyped), made
 * from the stored settings and turned back into what `PUT /ldap` takes — checked with the
 * protocol's own schema, so a problem is named by its field before the server is asked.
 */
import { LdapSettingsInput, type LdapSettings, type OrgRole } from "@parley/protocol";

export interface LdapForm {
  enabled: boolean;
  url: string;
  startTls: boolean;
  caPem: string;
  bindDn: string;
  /** Empty: keep the stored password. */
  bindPassword: string;
  userBase: string;
  userFilter: string;
  attrId: string;
  attrUsername: string;
  attrDisplayName: string;
  /** Empty: do not read email addresses. */
  attrEmail: string;
  groupsOn: boolean;
  groupBase: string;
  groupFilter: string;
  memberAttribute: string;
  memberValue: "dn" | "username";
  nameAttribute: string;
  roleMapping: Array<{ group: string; role: OrgRole }>;
  channelMapping: Array<{ group: string; channelId: string }>;
  defaultRole: "member" | "guest";
  allowLocalAccounts: boolean;
  localAdminsWhenDown: boolean;
  syncIntervalMinutes: string;
  timeoutSeconds: string;
}

/** The form for stored settings, or for a new directory (the protocol's defaults; OpenLDAP-style names). */
export function ldapFormOf(s: LdapSettings | null): LdapForm {
  return {
    enabled: s?.enabled ?? true,
    url: s?.url ?? "",
    startTls: s?.startTls ?? false,
    caPem: s?.caPem ?? "",
    bindDn: s?.bindDn ?? "",
    bindPassword: "",
    userBase: s?.userBase ?? "",
    userFilter: s?.userFilter ?? "(&(objectClass=inetOrgPerson)(uid={username}))",
    attrId: s?.attributes.id ?? "entryUUID",
    attrUsername: s?.attributes.username ?? "uid",
    attrDisplayName: s?.attributes.displayName ?? "cn",
    attrEmail: s ? (s.attributes.email ?? "") : "mail",
    groupsOn: !!s?.groups,
    groupBase: s?.groups?.base ?? "",
    groupFilter: s?.groups?.filter ?? "(objectClass=groupOfNames)",
    memberAttribute: s?.groups?.memberAttribute ?? "member",
    memberValue: s?.groups?.memberValue ?? "dn",
    nameAttribute: s?.groups?.nameAttribute ?? "cn",
    roleMapping: s?.roleMapping ?? [],
    channelMapping: s?.channelMapping ?? [],
    defaultRole: s?.defaultRole ?? "member",
    allowLocalAccounts: s?.allowLocalAccounts ?? true,
    localAdminsWhenDown: s?.localAdminsWhenDown ?? true,
    syncIntervalMinutes: String(s?.syncIntervalMinutes ?? 60),
    timeoutSeconds: String(s?.timeoutSeconds ?? 10),
  };
}

/** The form's labels by the schema's field paths, to name a problem the way the admin sees it. */
const LABELS: Record<string, string> = {
  url: "Server URL",
  startTls: "StartTLS",
  caPem: "CA certificates",
  bindDn: "Bind DN",
  bindPassword: "Bind password",
  userBase: "User base DN",
  userFilter: "User filter",
  "attributes.id": "Id attribute",
  "attributes.username": "Username attribute",
  "attributes.displayName": "Display name attribute",
  "attributes.email": "Email attribute",
  groups: "Groups",
  "groups.base": "Group base DN",
  "groups.filter": "Group filter",
  "groups.memberAttribute": "Member attribute",
  "groups.nameAttribute": "Group name attribute",
  roleMapping: "Group → role",
  channelMapping: "Group → channel",
  syncIntervalMinutes: "Sync interval",
  timeoutSeconds: "Timeout",
};

const num = (s: string) => (s.trim() === "" ? NaN : Number(s));

/** What to send, or the first problem, named by its field. */
export function ldapInputOf(f: LdapForm): { input: LdapSettingsInput } | { problem: string } {
  const raw = {
    enabled: f.enabled,
    url: f.url,
    startTls: f.startTls,
    caPem: f.caPem.trim() ? f.caPem : null,
    bindDn: f.bindDn,
    ...(f.bindPassword ? { bindPassword: f.bindPassword } : {}),
    userBase: f.userBase,
    userFilter: f.userFilter,
    attributes: { id: f.attrId, username: f.attrUsername, displayName: f.attrDisplayName, email: f.attrEmail.trim() ? f.attrEmail : null },
    groups: f.groupsOn
      ? { base: f.groupBase, filter: f.groupFilter, memberAttribute: f.memberAttribute, memberValue: f.memberValue, nameAttribute: f.nameAttribute }
      : null,
    roleMapping: f.roleMapping,
    channelMapping: f.channelMapping,
    defaultRole: f.defaultRole,
    allowLocalAccounts: f.allowLocalAccounts,
    localAdminsWhenDown: f.localAdminsWhenDown,
    syncIntervalMinutes: num(f.syncIntervalMinutes),
    timeoutSeconds: num(f.timeoutSeconds),
  };
  const r = LdapSettingsInput.safeParse(raw);
  if (r.success) return { input: raw as LdapSettingsInput };
  const issue = r.error.issues[0]!;
  const path = issue.path.filter((p) => typeof p === "string").join(".");
  const row = issue.path.find((p) => typeof p === "number");
  const label = LABELS[path] ?? LABELS[String(issue.path[0])] ?? path;
  const message = issue.code === "invalid_type" && /number|nan/i.test(issue.message) ? "enter a whole number" : issue.message;
  return { problem: `${label}${row === undefined ? "" : ` (row ${row + 1})`}: ${message}.` };
}
