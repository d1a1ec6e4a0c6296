/**
 * The permission matrix: the one place that says which org role may do what.
 * Channel-level rules (membership, channel admin) are applied by authorize().
 */
import type { OrgPermission, OrgRole } from "@parley/protocol";

export const ORG_PERMISSIONS = {
  /** Create and revoke invite links. */
  "org.invite": ["owner", "admin"],
  /** List all users, deactivate/reactivate, see and revoke their devices. */
  "org.manage_users": ["owner", "admin"],
  /** Change roles (grants of owner/admin further need owner). */
  "org.manage_roles": ["owner", "admin"],
  /** Grant or revoke owner and admin. */
  "org.manage_admins": ["owner"],
  /** See the directory of users. */
  "org.list_users": ["owner", "admin", "member", "guest"],
  /** Create public channels. */
  "channel.create_public": ["owner", "admin", "member"],
  /** Create private channels. */
  "channel.create_private": ["owner", "admin", "member"],
  /** Open DMs and group DMs. */
  "channel.open_dm": ["owner", "admin", "member", "guest"],
  /** Browse and join public channels. */
  "channel.browse": ["owner", "admin", "member"],
  /** Manage any channel (rename, archive, kick) without being its admin. */
  "channel.manage_any": ["owner", "admin"],
  /** Read the org's audit log (with its personal data). */
  "org.read_audit": ["owner", "admin"],
  /** Upload and delete the org's custom emoji. */
  "org.manage_emoji": ["owner", "admin"],
  /** Set the org's security policies (password policy). */
  "org.manage_security": ["owner", "admin"],
  /**
   * Retention, legal holds and (later) the compliance archive: owners, and compliance
   * officers given it through a custom role (admins do not have it: separation of duties).
   */
  "org.manage_compliance": ["owner"],
  /** Choose the org's MLS cipher suite. */
  "e2ee.configure": ["owner", "admin"],
  /** Use the device and KeyPackage directories (register own device key, read bindings, claim KeyPackages). */
  "e2ee.directory": ["owner", "admin", "member", "guest"],
} as const satisfies Record<string, readonly OrgRole[]>;

export type OrgAction = keyof typeof ORG_PERMISSIONS;

// The protocol's catalogue (OrgPermission, which custom roles and Cedar policies name) and this matrix list the same permissions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const catalogueMatches: Same<OrgAction, OrgPermission> = true;
void catalogueMatches;

/** Channel-scoped actions, checked against membership and channel role. */
export type ChannelAction =
  | "channel.read" // see events, members, threads
  | "channel.post" // send events
  | "channel.manage" // rename, topic, archive, set member roles, labels, history (channel admins)
  | "channel.invite" // add members (not readers)
  | "channel.kick" // remove others (channel admins; moderators remove members and readers)
  | "channel.moderate"; // delete others' messages (channel admins and moderators)

export function roleAllows(role: OrgRole, action: OrgAction): boolean {
  return (ORG_PERMISSIONS[action] as readonly OrgRole[]).includes(role);
}
