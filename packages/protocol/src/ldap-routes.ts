/**
 * LDAP and Active Directory (issue 10): an org's directory for sign-in and a scheduled
 * sync of its users and groups. Owners and admins (permission `org.manage_security`) read
 * and write the settings; a role mapping that grants owner or admin, or a directory that
 * signs in owners or admins, needs an owner.
 *
 * Sign-in stays `login` (org, username, password): for an org with LDAP enabled the server
 * looks the username up with its service account, binds as the entry found with the given
 * password, and creates (or updates) the Parley account from the entry. When the directory
 * cannot be reached, `login` answers 503 `idp_unavailable` — except for local owners and
 * admins when `localAdminsWhenDown` is on, who then sign in with their Parley password.
 *
 * The service account's password is write-only: it is stored sealed and never returned.
 * Changing `url` or `bindDn` requires sending it again, so a stored password is never
 * sent to a server it was not entered for.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id, OrgRole, Timestamp, Username } from "./models.ts";

/** No control characters (line breaks, NUL, ...): settings are single-line text. */
const singleLine = (s: string) => ![...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function isLdapUrl(s: string): boolean {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  return (
    (u.protocol === "ldap:" || u.protocol === "ldaps:") &&
    u.hostname !== "" &&
    !u.username &&
    !u.password &&
    (u.pathname === "" || u.pathname === "/") &&
    !u.search &&
    !u.hash
  );
}

/** The directory server: `ldap://host[:port]` or `ldaps://host[:port]`, nothing after the port. */
export const LdapUrl = z
  .string()
  .trim()
  .max(512)
  .refine(isLdapUrl, "an ldap:// or ldaps:// URL with a host and optional port, nothing else (e.g. ldaps://dc1.corp.example:636)");

/** A distinguished name, e.g. `ou=people,dc=example,dc=org` (the server parses it fully). */
export const LdapDn = z
  .string()
  .trim()
  .min(3)
  .max(1024)
  .refine(singleLine, "single line, no control characters")
  .regex(/^[A-Za-z0-9.-]+\s*=/, "a DN such as ou=people,dc=example,dc=org");

/** An attribute name such as `uid`, `sAMAccountName`, `mail`. */
export const LdapAttribute = z
  .string()
  .trim()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, "an attribute name such as uid or sAMAccountName");

/** An RFC 4515 search filter in parentheses (the server parses it fully). */
export const LdapFilter = z
  .string()
  .trim()
  .min(3)
  .max(1024)
  .refine(singleLine, "single line, no control characters")
  .refine((f) => f.startsWith("(") && f.endsWith(")"), "a filter in parentheses, e.g. (objectClass=groupOfNames)");

/** A user filter with `{username}` where the escaped sign-in name goes. */
export const LdapUserFilter = LdapFilter.refine(
  (f) => f.includes("{username}"),
  "the filter must contain {username}, e.g. (&(objectClass=inetOrgPerson)(uid={username}))",
);

/** A CA certificate (or bundle) in PEM, to verify the directory's TLS certificate. */
export const CaPem = z
  .string()
  .trim()
  .max(65_536)
  .refine((p) => p.includes("-----BEGIN CERTIFICATE-----") && p.includes("-----END CERTIFICATE-----"), "PEM certificates (-----BEGIN CERTIFICATE-----)");

/** A directory group, named by its name attribute (e.g. `cn`) or its full DN; compared case-insensitively. */
export const LdapGroupRef = z.string().trim().min(1).max(1024).refine(singleLine, "single line, no control characters");

/** Which attributes of a user entry Parley reads. */
export const LdapAttributes = z.object({
  /** A stable unique id of the entry (`entryUUID` on OpenLDAP, `objectGUID` on AD); the DN when the entry has none. */
  id: LdapAttribute.default("entryUUID"),
  /** The Parley username (lowercased; must be a valid Parley username). */
  username: LdapAttribute.default("uid"),
  displayName: LdapAttribute.default("cn"),
  /** null: do not read email addresses. */
  email: LdapAttribute.nullable().default("mail"),
});

/** Where groups are and how they name their members. */
export const LdapGroups = z.object({
  base: LdapDn,
  filter: LdapFilter.default("(objectClass=groupOfNames)"),
  /** The attribute listing members (`member` for groupOfNames and AD, `memberUid` for posixGroup). */
  memberAttribute: LdapAttribute.default("member"),
  /** What the member attribute holds: the member's DN, or their username (posixGroup). */
  memberValue: z.enum(["dn", "username"]).default("dn"),
  /** The group's name (what mappings may use instead of the DN). */
  nameAttribute: LdapAttribute.default("cn"),
});

/** The org's LDAP settings, as stored and returned (never the service password). */
export const LdapSettings = z.object({
  /** Sign-in and sync use the directory. Off keeps the settings; directory users cannot sign in then. */
  enabled: z.boolean(),
  url: LdapUrl,
  /** Upgrade an ldap:// connection with StartTLS (refused with ldaps://, which is TLS already). */
  startTls: z.boolean().default(false),
  /** Trust these CA certificates for ldaps:// and StartTLS (default: the system's CAs). */
  caPem: CaPem.nullable().default(null),
  /** The service account that searches the directory. */
  bindDn: LdapDn,
  userBase: LdapDn,
  userFilter: LdapUserFilter.default("(&(objectClass=inetOrgPerson)(uid={username}))"),
  attributes: LdapAttributes.default({ id: "entryUUID", username: "uid", displayName: "cn", email: "mail" }),
  /** Groups for the role and channel mappings; null: no groups are read. */
  groups: LdapGroups.nullable().default(null),
  /** Members of a group get its role; with several, the most privileged. Empty: the directory does not manage roles. */
  roleMapping: z
    .array(z.object({ group: LdapGroupRef, role: OrgRole }))
    .max(50)
    .default([]),
  /** Members of a group are added to the channel (public channels). */
  channelMapping: z
    .array(z.object({ group: LdapGroupRef, channelId: Id }))
    .max(200)
    .default([]),
  /** The role of directory users in no mapped group. */
  defaultRole: z.enum(["member", "guest"]).default("member"),
  /** Accounts not from the directory (local accounts) sign in with their Parley password. */
  allowLocalAccounts: z.boolean().default(true),
  /** While the directory is unreachable, local owners and admins may sign in with their Parley password. */
  localAdminsWhenDown: z.boolean().default(true),
  /** Minutes between scheduled syncs. */
  syncIntervalMinutes: z.number().int().min(5).max(10_080).default(60),
  /** Seconds before a directory connection or request gives up. */
  timeoutSeconds: z.number().int().min(1).max(60).default(10),
});
export type LdapSettings = z.infer<typeof LdapSettings>;

const checkSettings = <T extends { url: string; startTls: boolean; groups: unknown; roleMapping: unknown[]; channelMapping: unknown[] }>(
  s: T,
  ctx: z.RefinementCtx,
) => {
  if (s.startTls && s.url.startsWith("ldaps:"))
    ctx.addIssue({ code: "custom", path: ["startTls"], message: "ldaps:// is TLS already; StartTLS is for ldap:// URLs" });
  if (!s.groups && (s.roleMapping.length || s.channelMapping.length)) {
    ctx.addIssue({ code: "custom", path: ["groups"], message: "role and channel mappings need groups: set groups.base" });
  }
};

/** What an admin sends to save the settings. */
export const LdapSettingsInput = LdapSettings.extend({
  /** The service account's password: required the first time and whenever `url` or `bindDn` changes; omitted keeps the stored one. */
  bindPassword: z.string().min(1).max(1024).optional(),
}).superRefine(checkSettings);
export type LdapSettingsInput = z.input<typeof LdapSettingsInput>;

/** Counts of one sync. */
export const LdapSyncCounts = z.object({
  /** User entries the directory returned. */
  entries: z.number().int().nonnegative(),
  /** Parley accounts linked to the directory that were checked. */
  accounts: z.number().int().nonnegative(),
  profilesUpdated: z.number().int().nonnegative(),
  rolesChanged: z.number().int().nonnegative(),
  channelsJoined: z.number().int().nonnegative(),
  channelsLeft: z.number().int().nonnegative(),
  deactivated: z.number().int().nonnegative(),
  reactivated: z.number().int().nonnegative(),
  /** Changes refused (e.g. demoting the last owner, an email another account uses); the audit log says which. */
  skipped: z.number().int().nonnegative(),
});
export type LdapSyncCounts = z.infer<typeof LdapSyncCounts>;

/** The last sync's outcome. */
export const LdapSyncStatus = z.object({
  at: Timestamp,
  ok: z.boolean(),
  trigger: z.enum(["schedule", "admin"]),
  /** Why it failed (nothing was changed then), or null. */
  message: z.string().nullable(),
  counts: LdapSyncCounts.nullable(),
});
export type LdapSyncStatus = z.infer<typeof LdapSyncStatus>;

/** The org's LDAP settings and sync state. */
export const LdapConfig = z.object({
  /** null when the org has no directory configured. */
  settings: LdapSettings.nullable(),
  /** Whether a service password is stored (it is never returned). */
  bindPasswordSet: z.boolean(),
  updatedAt: Timestamp.nullable(),
  lastSync: LdapSyncStatus.nullable(),
});
export type LdapConfig = z.infer<typeof LdapConfig>;

/** What a connection test found. */
export const LdapTestResult = z.object({
  ok: z.boolean(),
  /** The step that failed, or `done`. */
  stage: z.enum(["connect", "tls", "bind", "search_user", "search_groups", "done"]),
  message: z.string(),
  /** With `username`: the entry found and what Parley would make of it. */
  user: z
    .object({
      dn: z.string(),
      username: z.string().nullable(),
      displayName: z.string().nullable(),
      email: z.string().nullable(),
      groups: z.array(z.string()),
      role: OrgRole,
    })
    .nullable(),
});
export type LdapTestResult = z.infer<typeof LdapTestResult>;

export const ldapRoutes = {
  getLdap: route({
    method: "GET",
    path: "/ldap",
    tag: "ldap",
    auth: "user",
    summary: "The org's LDAP / Active Directory settings and last sync (owners and admins; never the service password)",
    response: LdapConfig,
    // Admin settings are not for caches (and name the service password's presence).
    noStore: true,
  }),
  setLdap: route({
    method: "PUT",
    path: "/ldap",
    tag: "ldap",
    auth: "user",
    summary:
      "Save the org's LDAP / Active Directory settings (owners and admins; owners only for mappings that grant owner or admin, or when the directory signs in owners or admins)",
    body: LdapSettingsInput,
    response: LdapConfig,
    // Admin settings are not for caches (and name the service password's presence).
    noStore: true,
  }),
  testLdap: route({
    method: "POST",
    path: "/ldap/test",
    tag: "ldap",
    auth: "user",
    summary:
      "Try the directory: connect, TLS, the service bind, a search (and with `username`, look that user up); `settings` tests unsaved settings. Never changes anything",
    body: z.object({ settings: LdapSettingsInput.optional(), username: Username.optional() }),
    response: LdapTestResult,
  }),
  syncLdap: route({
    method: "POST",
    path: "/ldap/sync",
    tag: "ldap",
    auth: "user",
    status: 202,
    summary: "Sync the directory's users and groups now (a durable job; its outcome shows as lastSync)",
    response: z.object({ jobId: Id }),
  }),
} as const;
