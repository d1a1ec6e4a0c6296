/**
 * Dry-run: "who could do X on Y". Every active user of the org is run through the same
 * authorize() as a real request (role matrix, custom roles, channel membership, then the
 * org's enabled policies), once as things stand and once with a draft policy added (or in
 * place of the one it edits). Nothing is stored; nothing cached changes.
 */
import { ChannelActionName, type DryRunUser, type PolicyAction } from "@parley/protocol";
import type { Actor, Deps, DeviceActor } from "../../context.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { findChannel } from "../channels/store.ts";
import { authorize, channelResourceOf, customRoleNames, type Resource } from "./authorize.ts";
import type { ChannelAction, OrgAction } from "./permissions.ts";
import type { OrgAccessState, PrincipalAttrs } from "./access-state.ts";
import { loadOrgAccess } from "./org-access.ts";
import { assumedAttrs, requireValidText, withPolicies } from "./policies.ts";

const CHANNEL_ACTIONS: ReadonlySet<string> = new Set(ChannelActionName.options);

export interface DryRunInput {
  action: PolicyAction;
  channelId?: string | undefined;
  draft?: { text: string; replaces?: string | undefined } | undefined;
  context?:
    | { ip?: string | undefined; hour?: number | undefined; weekday?: number | undefined; mfa?: boolean | undefined; deviceApproved?: boolean | undefined }
    | undefined;
}

/** A moment in the current week with the asked UTC weekday and hour (defaults: now). */
function momentOf(now: number, hour?: number, weekday?: number): number {
  const d = new Date(now);
  if (weekday !== undefined) d.setUTCDate(d.getUTCDate() + (weekday - d.getUTCDay()));
  if (hour !== undefined) d.setUTCHours(hour);
  return d.getTime();
}

function decide(state: OrgAccessState, user: { id: string; role: DeviceActor["role"] }, attrs: PrincipalAttrs, action: PolicyAction, resource: Resource) {
  const actor: DeviceActor = {
    kind: "device",
    orgId: state.orgId,
    userId: user.id,
    deviceId: "dry-run",
    sessionId: "dry-run",
    role: user.role,
    access: { org: { current: state }, attrs },
  };
  try {
    authorize(actor, action as OrgAction | ChannelAction, resource);
    return { allowed: true, reason: null, deniedBy: [] as string[] };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const policies = (err.details as { policies?: string[] } | undefined)?.policies ?? [];
    return { allowed: false, reason: err.message, deniedBy: policies };
  }
}

export async function dryRunPolicy(
  deps: Deps,
  p: Actor,
  input: DryRunInput,
): Promise<{ action: PolicyAction; channelId: string | null; users: DryRunUser[]; affected: string[] }> {
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  const isChannel = CHANNEL_ACTIONS.has(input.action);
  if (isChannel && !input.channelId) throw new AppError("bad_request", `${input.action} is a channel action: name the channel (channelId)`);
  if (!isChannel && input.channelId) throw new AppError("bad_request", `${input.action} is an org action: it takes no channelId`);
  if (input.draft) requireValidText(input.draft.text);
  const channel = input.channelId ? await findChannel(deps.db, p.orgId, input.channelId) : undefined;
  if (input.channelId && !channel) throw notFound("channel");

  const at = momentOf(deps.now(), input.context?.hour, input.context?.weekday);
  const current = { ...(await loadOrgAccess(deps.db, deps, p.orgId, -1, `dry-run:${p.orgId}:current`)), now: () => at };
  if (input.draft?.replaces && !current.policies.some((x) => x.id === input.draft!.replaces)) {
    const exists = await deps.db
      .selectFrom("org_policies")
      .select("id")
      .where("org_id", "=", p.orgId)
      .where("id", "=", input.draft.replaces)
      .executeTakeFirst();
    if (!exists) throw notFound("policy");
  }
  const draft = input.draft
    ? withPolicies(
        current,
        [...current.policies.filter((x) => x.id !== input.draft!.replaces), { id: "draft", name: "(draft)", text: input.draft.text }],
        `dry-run:${p.orgId}:draft`,
      )
    : current;

  const users = await deps.db
    .selectFrom("users")
    .select(["id", "username", "display_name", "role"])
    .where("org_id", "=", p.orgId)
    .where("deactivated_at", "is", null)
    .orderBy("username")
    .execute();
  const roles = channel
    ? new Map(
        (await deps.db.selectFrom("channel_members").select(["user_id", "role"]).where("channel_id", "=", channel.id).execute()).map((m) => [
          m.user_id,
          m.role,
        ]),
      )
    : new Map<string, "admin" | "member">();
  const attrs = await assumedAttrs(
    deps.db,
    p.orgId,
    users.map((u) => u.id),
    {
      ip: input.context?.ip ?? "0.0.0.0",
      mfa: input.context?.mfa,
      deviceApproved: input.context?.deviceApproved,
    },
  );

  const out: DryRunUser[] = [];
  for (const u of users) {
    const resource: Resource = channel ? { type: "channel", channel: channelResourceOf(channel, roles.get(u.id) ?? null) } : { type: "org", orgId: p.orgId };
    const now = decide(current, u, attrs.get(u.id)!, input.action, resource);
    const then = input.draft ? decide(draft, u, attrs.get(u.id)!, input.action, resource) : now;
    out.push({
      userId: u.id,
      username: u.username,
      displayName: u.display_name,
      role: u.role,
      customRoles: customRoleNames(current, u.id),
      allowed: now.allowed,
      allowedWithDraft: then.allowed,
      deniedBy: then.deniedBy,
      reason: then.reason,
    });
  }
  const affected = input.draft ? out.filter((u) => u.allowed !== u.allowedWithDraft) : out.filter((u) => u.deniedBy.length > 0);
  return { action: input.action, channelId: channel?.id ?? null, users: out, affected: affected.map((u) => u.userId) };
}
