/**
 * What the directory says a user should be in Parley: their role (from the role mapping,
 * the most privileged matching group wins) and the channels the channel mapping puts them
 * in. A mapping names a group by its name attribute or its DN, case-insensitively.
 */
import type { LdapSettings, OrgRole } from "@parley/protocol";
import { normalizeDn, type DirectoryGroup } from "./directory.ts";

/** Most privileged first. */
const RANK: readonly OrgRole[] = ["owner", "admin", "member", "guest"];

/** What the directory decides for one user. */
export interface DesiredAccess {
  /** The role the mapping gives; null when the org maps no roles (the directory does not manage them). */
  role: OrgRole | null;
  /** Channels the mapping puts the user in. */
  channelIds: string[];
}

function matches(ref: string, g: Pick<DirectoryGroup, "dn" | "name">): boolean {
  const r = ref.trim().toLowerCase();
  return r === g.name?.toLowerCase() || normalizeDn(ref) === normalizeDn(g.dn);
}

export function desiredAccess(
  s: Pick<LdapSettings, "roleMapping" | "channelMapping" | "defaultRole">,
  groups: Array<Pick<DirectoryGroup, "dn" | "name">>,
): DesiredAccess {
  const inGroup = (ref: string) => groups.some((g) => matches(ref, g));
  let role: OrgRole | null = null;
  if (s.roleMapping.length) {
    const granted = s.roleMapping.filter((m) => inGroup(m.group)).map((m) => m.role);
    role = RANK.find((r) => granted.includes(r)) ?? s.defaultRole;
  }
  const channelIds = [...new Set(s.channelMapping.filter((m) => inGroup(m.group)).map((m) => m.channelId))];
  return { role, channelIds };
}

/** Whether a role mapping grants owner or admin (setting one needs an owner). */
export function grantsPrivilege(s: Pick<LdapSettings, "roleMapping">): boolean {
  return s.roleMapping.some((m) => m.role === "owner" || m.role === "admin");
}
