/**
 * The per-process cache of each org's custom roles and enabled policies. The org row's
 * `access_version` (migration 0024) is bumped in the transaction of every change to them (or
 * to a channel's labels); resolvePrincipal() already reads the org row, so every request
 * compares versions for free and reloads a stale copy before authorize() runs, on any number
 * of server processes. Gateways, whose connections outlive a request, also reload on the
 * `access.changed` bus message sent after the commit. An org that never had custom roles or
 * policies (version 0) costs nothing: its actors carry no access state (the fast path).
 */
import type { Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import type { CommandEffects } from "../../command.ts";
import { compilePolicySet } from "./cedar.ts";
import type { ChannelAttrs, OrgAccessHolder, OrgAccessState, PrincipalAccess, PrincipalAttrs } from "./access-state.ts";
import { parseLabels } from "./labels.ts";
import { ACCESS_TOPIC, IDENTITY_TOPIC } from "./events.ts";

interface OrgCache {
  entries: Map<string, { holder: OrgAccessHolder; version: number }>;
  loads: Map<string, Promise<{ holder: OrgAccessHolder; version: number }>>;
}
/** Per server (keyed by its Deps, so two test servers in one process keep separate caches). */
const caches = new WeakMap<Deps, OrgCache>();

function cacheOf(deps: Deps): OrgCache {
  let c = caches.get(deps);
  if (!c) caches.set(deps, (c = { entries: new Map(), loads: new Map() }));
  return c;
}

/** Read an org's custom roles and enabled policies (and, with policies, its channels' attributes). */
export async function loadOrgAccess(q: Db | Tx, deps: Deps, orgId: string, version: number, setKey = `${orgId}@${version}`): Promise<OrgAccessState> {
  const [policyRows, roleRows, memberRows] = await Promise.all([
    q.selectFrom("org_policies").select(["id", "name", "text"]).where("org_id", "=", orgId).where("enabled", "=", 1).orderBy("id").execute(),
    q.selectFrom("org_roles").select(["id", "name", "permissions"]).where("org_id", "=", orgId).execute(),
    q.selectFrom("org_role_members").select(["role_id", "user_id"]).where("org_id", "=", orgId).execute(),
  ]);
  const members = new Map<string, string[]>();
  for (const m of memberRows) members.set(m.user_id, [...(members.get(m.user_id) ?? []), m.role_id]);
  const channels = new Map<string, ChannelAttrs>();
  if (policyRows.length > 0) {
    const rows = await q.selectFrom("channels").select(["id", "kind", "labels", "archived_at"]).where("org_id", "=", orgId).execute();
    for (const r of rows) channels.set(r.id, { kind: r.kind, labels: parseLabels(r.labels), archived: r.archived_at !== null });
  }
  return {
    orgId,
    version,
    policies: policyRows,
    policySetId: compilePolicySet(setKey, policyRows),
    roles: new Map(roleRows.map((r) => [r.id, { name: r.name, permissions: new Set(JSON.parse(r.permissions) as string[]) }])),
    members,
    channels,
    now: deps.now,
  };
}

async function reload(deps: Deps, cache: OrgCache, orgId: string): Promise<{ holder: OrgAccessHolder; version: number }> {
  // The version is read before the rows: rows newer than it only cause one more reload later.
  const row = await deps.db.selectFrom("orgs").select("access_version").where("id", "=", orgId).executeTakeFirst();
  const version = Number(row?.access_version ?? 0);
  const state = await loadOrgAccess(deps.db, deps, orgId, version);
  const old = cache.entries.get(orgId);
  // The holder object stays the same, so actors (and open connections) that carry it see the new state.
  const holder = old?.holder ?? { current: state };
  if (!old || old.version <= version) holder.current = state;
  const entry = { holder, version: Math.max(version, old?.version ?? 0) };
  cache.entries.set(orgId, entry);
  return entry;
}

/**
 * The org's holder, fresh as of `version` (the org row's access_version the caller just read);
 * undefined while the org has never had custom roles or policies.
 */
async function orgAccess(deps: Deps, orgId: string, version: number): Promise<OrgAccessHolder | undefined> {
  if (version === 0) return undefined;
  const cache = cacheOf(deps);
  const known = cache.entries.get(orgId);
  if (known && known.version >= version) return known.holder;
  let load = cache.loads.get(orgId);
  if (!load) {
    load = reload(deps, cache, orgId).finally(() => cache.loads.delete(orgId));
    cache.loads.set(orgId, load);
  }
  const loaded = await load;
  if (loaded.version >= version) return loaded.holder;
  // The load in flight began before this version committed: load again.
  return orgAccess(deps, orgId, version);
}

/** The access version this process's cached copy of the org is at (undefined: none cached). */
export function cachedAccessVersion(deps: Deps, orgId: string): number | undefined {
  return cacheOf(deps).entries.get(orgId)?.version;
}

/** Reload an org's cached copy (a gateway, on the `access.changed` message), if this process holds one. */
export async function refreshOrgAccess(deps: Deps, orgId: string, version: number): Promise<void> {
  if (!cacheOf(deps).entries.has(orgId)) return;
  await orgAccess(deps, orgId, version);
}

/** Bump the org's access version inside a command; gateways reload after the commit. */
export async function bumpAccessVersion(tx: Tx, fx: CommandEffects, orgId: string): Promise<void> {
  const row = await tx
    .updateTable("orgs")
    .set((eb) => ({ access_version: eb("access_version", "+", 1) }))
    .where("id", "=", orgId)
    .returning("access_version")
    .executeTakeFirstOrThrow();
  fx.emit(ACCESS_TOPIC, { orgId, version: Number(row.access_version) });
}

/**
 * Users' built-in role or SCIM groups changed inside a command: after the commit, gateways make
 * their open connections pick up the new identity (a connection resolves its principal once, at
 * `hello`; requests resolve it every time).
 */
export function identityChanged(fx: CommandEffects, orgId: string, userIds: readonly string[], what: "role" | "groups"): void {
  const ids = [...new Set(userIds)];
  if (ids.length > 0) fx.emit(IDENTITY_TOPIC, { orgId, userIds: ids, what });
}

/**
 * A channel was created, archived or unarchived: in an org with enabled policies its
 * attributes are part of the cached state gateways decide live frames with, so the version
 * moves (a new channel is then known by its real kind, not guessed).
 */
export async function channelAttrsChanged(tx: Tx, fx: CommandEffects, orgId: string): Promise<void> {
  const enabled = await tx.selectFrom("org_policies").select("id").where("org_id", "=", orgId).where("enabled", "=", 1).limit(1).executeTakeFirst();
  if (enabled) await bumpAccessVersion(tx, fx, orgId);
}

/** The attributes of a signed-in session that policies can name. */
async function principalAttrs(q: Db | Tx, a: { orgId: string; userId: string; deviceId: string; sessionId: string; ip: string }): Promise<PrincipalAttrs> {
  const [session, approval, groups] = await Promise.all([
    q.selectFrom("sessions").select("mfa").where("id", "=", a.sessionId).executeTakeFirst(),
    q.selectFrom("device_approvals").select("device_id").where("device_id", "=", a.deviceId).executeTakeFirst(),
    q
      .selectFrom("scim_group_members as m")
      .innerJoin("scim_groups as g", "g.id", "m.group_id")
      .select("g.display_name")
      .where("m.org_id", "=", a.orgId)
      .where("m.user_id", "=", a.userId)
      .execute(),
  ]);
  return { mfa: Number(session?.mfa ?? 0) === 1, deviceApproved: approval !== undefined, groups: groups.map((g) => g.display_name).sort(), ip: a.ip };
}

/** The access a user's actor carries: undefined for an org on the fast path. */
export async function principalAccess(
  deps: Deps,
  version: number,
  a: { orgId: string; userId: string; deviceId: string; sessionId: string; ip: string },
): Promise<PrincipalAccess | undefined> {
  const org = await orgAccess(deps, a.orgId, version);
  if (!org) return undefined;
  // Only policies read the attributes: an org with custom roles alone does not pay for them.
  return { org, attrs: org.current.policySetId === null ? null : await principalAttrs(deps.db, a) };
}
