/**
 * The shapes authorize() reads beyond an actor's built-in role: the org's compiled custom
 * roles and policies (one per org per server process, replaced when the org's access
 * version moves) and the signed-in user's attributes that policies may name. Plain types
 * only, so the actor type (core/actor.ts) can name them without an import cycle.
 */

/** An enabled org policy as authorize() names it in a denial. */
export interface CompiledPolicy {
  id: string;
  name: string;
  text: string;
}

/** What Cedar sees of a channel when no request loaded it (the gateway's fan-out). */
export interface ChannelAttrs {
  kind: "public" | "private" | "dm" | "group_dm";
  labels: readonly string[];
  archived: boolean;
}

/** An org's custom roles and enabled policies, as loaded at `version`. */
export interface OrgAccessState {
  orgId: string;
  version: number;
  /** Enabled policies (id order); empty: the fast path, Cedar is not called. */
  policies: readonly CompiledPolicy[];
  /** The pre-parsed Cedar policy set's id (modules/access/cedar.ts), or null without policies. */
  policySetId: string | null;
  /** Custom roles by id: their names (Cedar's principal.customRoles) and permissions. */
  roles: ReadonlyMap<string, { name: string; permissions: ReadonlySet<string> }>;
  /** Custom role ids per user. */
  members: ReadonlyMap<string, readonly string[]>;
  /** The org's channels' attributes (only loaded while policies are enabled). */
  channels: ReadonlyMap<string, ChannelAttrs>;
  /** The server's clock (Deps.now), for the context's hour and weekday. */
  now(): number;
}

/** One org's state in one server process: `current` is replaced in place when it reloads. */
export interface OrgAccessHolder {
  current: OrgAccessState;
}

/** A signed-in user's attributes that policies can name (principal.mfa, …, context.ip). */
export interface PrincipalAttrs {
  /** The session was opened with a second factor (or an IdP that reported MFA). */
  mfa: boolean;
  /** The device holds an approval (ADR 0007 cross-signing). */
  deviceApproved: boolean;
  /** Names of the SCIM groups the user is in. */
  groups: readonly string[];
  /** The address the request or connection came from. */
  ip: string;
}

/** Carried by a user's actor when their org has custom roles or policies. */
export interface PrincipalAccess {
  org: OrgAccessHolder;
  /** Null when the org had no enabled policies as the actor was made (then the defaults below apply). */
  attrs: PrincipalAttrs | null;
}

/** The attributes assumed when none were loaded: no second factor, no approval, no groups, address unknown. */
export const UNKNOWN_ATTRS: PrincipalAttrs = { mfa: false, deviceApproved: false, groups: [], ip: "0.0.0.0" };
