/**
 * What the IdP's claims say about a user: their username, name, email and groups (from the
 * claim names the provider is configured with), the role the group mapping gives (the most
 * privileged matching group wins) and the channels it puts them in.
 */
import { DisplayName, Email, Username, type SsoAccessSettings, type SsoClaims, type OrgRole } from "@parley/protocol";

/** Most privileged first. */
const RANK: readonly OrgRole[] = ["owner", "admin", "member", "guest"];

/** A claim by name; a dotted name reads nested objects (`realm_access.roles`) when no claim has the whole name. */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let cur: unknown = claims;
  for (const part of name.split(".")) {
    if (cur === null || typeof cur !== "object" || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const text = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/** The user as the claims describe them. */
export interface ClaimedProfile {
  username: string | null;
  displayName: string | null;
  /** The address, when the IdP says it is verified (an unverified one is never used). */
  verifiedEmail: string | null;
  groups: string[];
}

export function profileOf(s: { claims: SsoClaims }, claims: Record<string, unknown>): ClaimedProfile {
  const rawGroups = claimAt(claims, s.claims.groups);
  const groups = Array.isArray(rawGroups)
    ? rawGroups.filter((g): g is string => typeof g === "string")
    : typeof rawGroups === "string"
      ? rawGroups.split(/\s+/).filter(Boolean)
      : [];
  const email = Email.safeParse(text(claimAt(claims, s.claims.email)) ?? "");
  const verified = claims.email_verified === true || claims.email_verified === "true";
  const name = DisplayName.safeParse((text(claimAt(claims, s.claims.name)) ?? "").slice(0, 80));
  return {
    username: text(claimAt(claims, s.claims.username)),
    displayName: name.success ? name.data : null,
    verifiedEmail: email.success && verified ? email.data : null,
    groups: [...new Set(groups)].slice(0, 500),
  };
}

/** What the mappings decide for one user. */
export interface DesiredAccess {
  /** The role the mapping gives; null when the provider maps no roles. */
  role: OrgRole | null;
  channelIds: string[];
}

export function desiredAccess(s: Pick<SsoAccessSettings, "roleMapping" | "channelMapping" | "defaultRole">, groups: string[]): DesiredAccess {
  const inGroup = (g: string) => groups.includes(g);
  let role: OrgRole | null = null;
  if (s.roleMapping.length) {
    const granted = s.roleMapping.filter((m) => inGroup(m.group)).map((m) => m.role);
    role = RANK.find((r) => granted.includes(r)) ?? s.defaultRole;
  }
  const channelIds = [...new Set(s.channelMapping.filter((m) => inGroup(m.group)).map((m) => m.channelId))];
  return { role, channelIds };
}

/** Whether a role mapping grants owner or admin (saving one needs an owner). */
export function grantsPrivilege(s: Pick<SsoAccessSettings, "roleMapping">): boolean {
  return s.roleMapping.some((m) => m.role === "owner" || m.role === "admin");
}

/**
 * A Parley username from a claim: lowercased, the domain of an email-like value dropped,
 * every character a username may not have turned into `-`, trimmed to 40. Null when nothing
 * usable is left.
 */
export function usernameFrom(raw: string | null): string | null {
  if (!raw) return null;
  let u = raw
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
  if (u.includes("@")) u = u.slice(0, u.indexOf("@"));
  u = u
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .replace(/-{2,}/g, "-")
    .slice(0, 40)
    .replace(/[-.]+$/, "");
  return Username.safeParse(u).success ? u : null;
}

/** `base`, then `base-2`, `base-3`… (each trimmed to fit 40 characters). */
export function usernameCandidates(base: string, n = 50): string[] {
  const out = [base];
  for (let i = 2; i <= n; i++) {
    const suffix = `-${i}`;
    out.push(base.slice(0, 40 - suffix.length) + suffix);
  }
  return out;
}
