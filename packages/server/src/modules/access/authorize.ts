/**
 * authorize(): the one policy check used by every route and frame. Lookups
 * that load a resource take the principal so another org's rows are
 * invisible (they 404, never 403, so their existence is not leaked).
 *
 * Two steps, both synchronous: the built-in role matrix (permissions.ts),
 * widened by the user's custom org roles, decides first; when it allows and
 * the user's org has enabled policies, Cedar (cedar.ts) may still forbid.
 * Org policies only ever take away. System, SCIM and IdP actors are not users:
 * policies do not apply to them.
 */
import type { ChannelRole } from "@parley/protocol";
import type { Actor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { roleAllows, type ChannelAction, type OrgAction } from "./permissions.ts";
import { cedarDenials, type CedarResource } from "./cedar.ts";
import { UNKNOWN_ATTRS, type ChannelAttrs, type OrgAccessState, type PrincipalAttrs } from "./access-state.ts";
import { parseLabels } from "./labels.ts";

/** What authorize() needs to know about a channel and the caller's place in it. */
export interface ChannelResource {
  id: string;
  orgId: string;
  kind: "public" | "private" | "dm" | "group_dm";
  archived: boolean;
  /** The channel's labels (org policies name them as resource.labels). */
  labels: readonly string[];
  /** The caller's channel role, or null if not a member. */
  myRole: ChannelRole | null;
}

export type Resource = { type: "org"; orgId: string } | { type: "channel"; channel: ChannelResource };

/** The ChannelResource of a channel row for a caller with channel role `myRole`. */
export function channelResourceOf(
  row: { id: string; org_id: string; kind: ChannelResource["kind"]; archived_at: number | null; labels?: string | null },
  myRole: ChannelResource["myRole"],
): ChannelResource {
  return { id: row.id, orgId: row.org_id, kind: row.kind, archived: row.archived_at !== null, labels: parseLabels(row.labels), myRole };
}

/** The built-in role allows it, or one of the user's custom org roles does. */
export function actorAllows(p: Actor, action: OrgAction): boolean {
  if (roleAllows(p.role, action)) return true;
  if (p.kind !== "device" || !p.access) return false;
  const state = p.access.org.current;
  for (const id of state.members.get(p.userId) ?? []) if (state.roles.get(id)?.permissions.has(action)) return true;
  return false;
}

/** Names of the custom roles a user holds (Cedar's principal.customRoles). */
export function customRoleNames(state: OrgAccessState, userId: string): string[] {
  return (state.members.get(userId) ?? []).flatMap((id) => state.roles.get(id)?.name ?? []).sort();
}

/** Throws AppError("forbidden" | "not_found" | "channel_archived") unless allowed. */
export function authorize(p: Actor, action: OrgAction | ChannelAction, resource: Resource): void {
  roleDecision(p, action, resource);
  if (p.kind !== "device" || !p.access) return;
  const state = p.access.org.current;
  if (state.policySetId === null) return;
  const denied = policyDenials(state, { userId: p.userId, role: p.role, attrs: p.access.attrs ?? UNKNOWN_ATTRS }, action, resource);
  if (denied.length > 0) throw policyForbidden(action, denied);
}

/** The names of the org policies that forbid `action` on `resource` to this user (empty: allowed). */
export function policyDenials(
  state: OrgAccessState,
  user: { userId: string; role: string; attrs: PrincipalAttrs },
  action: OrgAction | ChannelAction,
  resource: Resource | { type: "channel-attrs"; id: string; attrs: ChannelAttrs },
): string[] {
  if (state.policySetId === null) return [];
  const r: CedarResource =
    resource.type === "org"
      ? { type: "org", orgId: resource.orgId }
      : resource.type === "channel"
        ? { type: "channel", orgId: state.orgId, id: resource.channel.id, attrs: resource.channel }
        : { type: "channel", orgId: state.orgId, id: resource.id, attrs: resource.attrs };
  const principal = { userId: user.userId, orgId: state.orgId, role: user.role, customRoles: customRoleNames(state, user.userId), ...user.attrs };
  const ids = cedarDenials(state.policySetId, principal, action, r, { ip: user.attrs.ip, at: state.now() });
  return ids.map((id) => state.policies.find((x) => x.id === id)?.name ?? id);
}

/** The error of a policy denial: the existing "forbidden", naming the org policies. */
function policyForbidden(action: string, names: readonly string[]): AppError {
  const list = names.map((n) => `"${n}"`).join(", ");
  return new AppError("forbidden", `your organisation's policy ${list} forbids ${action}`, { policies: [...names] });
}

function roleDecision(p: Actor, action: OrgAction | ChannelAction, resource: Resource): void {
  if (resource.type === "org") {
    if (resource.orgId !== p.orgId) throw new AppError("not_found", "not found");
    if (!actorAllows(p, action as OrgAction)) throw new AppError("forbidden", `your role (${p.role}) may not ${action}`);
    return;
  }
  const ch = resource.channel;
  if (ch.orgId !== p.orgId) throw new AppError("not_found", "channel not found");
  const member = ch.myRole !== null;
  const orgAdmin = actorAllows(p, "channel.manage_any");
  // A SCIM client (modules/scim/mapping.ts) or the LDAP sync (modules/ldap) adds members to the channels an admin mapped
  // their groups to, private ones included.
  const provisioning = (p.kind === "scim" || p.kind === "idp") && orgAdmin && (action === "channel.invite" || action === "channel.kick");
  // Non-members may not learn anything about private channels and DMs.
  if (
    !member &&
    ch.kind !== "public" &&
    !provisioning &&
    !(orgAdmin && (action === "channel.manage" || action === "channel.kick" || action === "channel.moderate"))
  ) {
    throw new AppError("not_found", "channel not found");
  }
  switch (action) {
    case "channel.read":
      if (!member && !(ch.kind === "public" && actorAllows(p, "channel.browse"))) throw new AppError("forbidden", "join the channel first");
      return;
    case "channel.post":
      if (!member) throw new AppError("forbidden", "join the channel first");
      if (ch.myRole === "reader") throw new AppError("forbidden", "readers of this channel may not post");
      if (ch.archived) throw new AppError("channel_archived", "the channel is archived; unarchive it to post");
      return;
    case "channel.invite":
      if (ch.kind === "dm") throw new AppError("bad_request", "a DM has exactly two members; open a group DM instead");
      if (ch.archived) throw new AppError("channel_archived", "the channel is archived");
      if (ch.kind === "public" && member && ch.myRole !== "reader" && p.role !== "guest") return;
      if (ch.myRole === "admin" || ch.myRole === "moderator" || orgAdmin) return;
      if (ch.kind === "group_dm" && member) return;
      throw new AppError("forbidden", "only channel admins and moderators may invite to this channel");
    case "channel.kick":
    case "channel.moderate":
      if (ch.kind === "dm" || ch.kind === "group_dm") {
        throw new AppError(
          action === "channel.kick" ? "bad_request" : "forbidden",
          action === "channel.kick" ? "members cannot be removed from a DM" : "only the sender may delete this",
        );
      }
      // Moderators remove members and readers only: removeMember checks the target's role.
      if (ch.myRole === "admin" || ch.myRole === "moderator" || orgAdmin) return;
      throw new AppError("forbidden", "only channel admins and moderators may do this");
    case "channel.manage":
      if ((ch.kind === "dm" || ch.kind === "group_dm") && member) return; // group DM members may name it
      if (ch.myRole === "admin" || orgAdmin) return;
      throw new AppError("forbidden", "only channel admins may do this");
    default:
      if (!actorAllows(p, action)) throw new AppError("forbidden", `your role (${p.role}) may not ${action}`);
  }
}
