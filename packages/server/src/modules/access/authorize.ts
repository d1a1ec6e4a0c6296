/**
 * authorize(): the one policy check used by every route and frame. Lookups
 * that load a resource take the principal so another org's rows are
 * invisible (they 404, never 403, so their existence is not leaked).
 */
import type { Actor } from "../../context.ts";
import { AppError } from "../../core/errors.ts";
import { roleAllows, type ChannelAction, type OrgAction } from "./permissions.ts";

/** What authorize() needs to know about a channel and the caller's place in it. */
export interface ChannelResource {
  orgId: string;
  kind: "public" | "private" | "dm" | "group_dm";
  archived: boolean;
  /** The caller's channel role, or null if not a member. */
  myRole: "admin" | "member" | null;
}

export type Resource = { type: "org"; orgId: string } | { type: "channel"; channel: ChannelResource };

/** Throws AppError("forbidden" | "not_found" | "channel_archived") unless allowed. */
export function authorize(p: Actor, action: OrgAction | ChannelAction, resource: Resource): void {
  if (resource.type === "org") {
    if (resource.orgId !== p.orgId) throw new AppError("not_found", "not found");
    if (!roleAllows(p.role, action as OrgAction)) throw new AppError("forbidden", `your role (${p.role}) may not ${action}`);
    return;
  }
  const ch = resource.channel;
  if (ch.orgId !== p.orgId) throw new AppError("not_found", "channel not found");
  const member = ch.myRole !== null;
  const orgAdmin = roleAllows(p.role, "channel.manage_any");
  // A SCIM client (modules/scim/mapping.ts) or the LDAP sync (modules/ldap) adds members to the channels an admin mapped
  // their groups to, private ones included.
  const provisioning = (p.kind === "scim" || p.kind === "idp") && orgAdmin && (action === "channel.invite" || action === "channel.kick");
  // Non-members may not learn anything about private channels and DMs.
  if (!member && ch.kind !== "public" && !provisioning && !(orgAdmin && (action === "channel.manage" || action === "channel.kick"))) {
    throw new AppError("not_found", "channel not found");
  }
  switch (action) {
    case "channel.read":
      if (!member && !(ch.kind === "public" && roleAllows(p.role, "channel.browse"))) throw new AppError("forbidden", "join the channel first");
      return;
    case "channel.post":
      if (!member) throw new AppError("forbidden", "join the channel first");
      if (ch.archived) throw new AppError("channel_archived", "the channel is archived; unarchive it to post");
      return;
    case "channel.invite":
      if (ch.kind === "dm") throw new AppError("bad_request", "a DM has exactly two members; open a group DM instead");
      if (ch.archived) throw new AppError("channel_archived", "the channel is archived");
      if (ch.kind === "public" && member && p.role !== "guest") return;
      if (ch.myRole === "admin" || orgAdmin) return;
      if (ch.kind === "group_dm" && member) return;
      throw new AppError("forbidden", "only channel admins may invite to this channel");
    case "channel.manage":
    case "channel.kick":
      if (ch.kind === "dm" || ch.kind === "group_dm") {
        if (action === "channel.kick") throw new AppError("bad_request", "members cannot be removed from a DM");
        if (member) return; // group DM members may name it
      }
      if (ch.myRole === "admin" || orgAdmin) return;
      throw new AppError("forbidden", "only channel admins may do this");
    default:
      if (!roleAllows(p.role, action)) throw new AppError("forbidden", `your role (${p.role}) may not ${action}`);
  }
}
