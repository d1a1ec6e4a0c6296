/**
 * Org policies over the WebSocket (issue 10). A connection receives a channel's frames only
 * while authorize() would let its user read the channel over REST: membership is the
 * registry's channel index, and an org with enabled policies adds Cedar's decision for
 * `channel.read`, taken synchronously from the org's cached state (channel labels included)
 * and remembered per connection until that state is replaced or the UTC hour (the finest
 * time a policy can name) turns. Replay skips the channels a policy forbids, too.
 *
 * A connection resolves its principal once, at `hello`: when a user's built-in role or SCIM
 * groups change, their connections are closed (renewIdentities) and come back with a fresh one.
 */
import { CLOSE_CODES } from "@parley/protocol";
import type { DeviceActor } from "../context.ts";
import { policyDenials } from "../modules/access/authorize.ts";
import type { OrgAccessState } from "../modules/access/access-state.ts";
import { principalAccess } from "../modules/access/org-access.ts";
import type { Conn } from "./connection.ts";
import type { GatewayCore } from "./core.ts";

const HOUR = 3_600_000;
/**
 * A channel the cached state does not know: creating (or archiving) a channel in an org with
 * enabled policies moves the org's access version (channelAttrsChanged), so this covers only
 * the moment before the reload lands — unlabelled, as every new channel is.
 */
const UNKNOWN_CHANNEL = { kind: "private", labels: [], archived: false } as const;

interface ReadCache {
  state: OrgAccessState;
  hour: number;
  allowed: Map<string, boolean>;
}
const caches = new WeakMap<Conn, ReadCache>();

/** May this connection's user read the channel (policies only: membership is the caller's business)? */
export function policyAllowsRead(c: Conn, channelId: string): boolean {
  const p = c.principal;
  if (!p?.access) return true;
  const state = p.access.org.current;
  if (state.policySetId === null) return true;
  const hour = Math.floor(state.now() / HOUR);
  let cache = caches.get(c);
  if (!cache || cache.state !== state || cache.hour !== hour) caches.set(c, (cache = { state, hour, allowed: new Map() }));
  let ok = cache.allowed.get(channelId);
  if (ok === undefined) {
    // Policies apply but this connection's attributes are not loaded yet (its org had none when
    // it connected; refreshConnAccess is reading them). No guess is safe both ways (a policy may
    // forbid a group as well as the lack of a second factor), so nothing is delivered until
    // they are, and nothing is remembered: the SDK's gap fill fetches a skipped event over REST
    // (decided per request) when a later one arrives, or replay does on reconnect.
    if (p.access.attrs === null) return false;
    const attrs = state.channels.get(channelId) ?? UNKNOWN_CHANNEL;
    const user = { userId: p.userId, role: p.role, attrs: p.access.attrs };
    ok = policyDenials(state, user, "channel.read", { type: "channel-attrs", id: channelId, attrs }).length === 0;
    cache.allowed.set(channelId, ok);
  }
  return ok;
}

/**
 * After an org's access changed (and this process reloaded it): connections made while the
 * org had no custom roles or policies get its state, and those without attributes get them
 * when policies now apply.
 */
export async function refreshConnAccess(core: GatewayCore, orgId: string, version: number): Promise<void> {
  const set = core.registry.byOrg.get(orgId);
  if (!set) return;
  for (const c of [...set]) {
    const p = c.principal;
    if (!p || c.closing) continue;
    if (p.access && (p.access.attrs !== null || p.access.org.current.policySetId === null)) continue;
    loading.add(c);
    try {
      const access = await principalAccess(core.deps, version, { orgId, userId: p.userId, deviceId: p.deviceId, sessionId: p.sessionId, ip: c.ip });
      if (access && c.principal) c.principal = { ...c.principal, access } satisfies DeviceActor;
    } finally {
      loading.delete(c);
    }
  }
}

/** Connections whose attributes refreshConnAccess is reading (a group change meanwhile may not be in them). */
const loading = new WeakSet<Conn>();

/**
 * Users' built-in role or SCIM groups changed (the `access.identity` message, sent after the
 * commit): their connections here still carry the role and groups of their `hello`, which
 * policies and client frames would go on deciding with. Each is closed with 1012, which the
 * SDK reconnects on at once (replaying from its cursors with a freshly resolved principal);
 * a closing connection is written nothing more. Groups are only read as policy attributes,
 * so a group change spares connections that never loaded them: they read fresh ones when
 * policies first need them.
 */
export function renewIdentities(core: GatewayCore, m: { orgId: string; userIds: readonly string[]; what: "role" | "groups" }): void {
  for (const userId of m.userIds) {
    const set = core.registry.byUser.get(userId);
    if (!set) continue;
    for (const c of [...set]) {
      const p = c.principal;
      if (!p || c.closing || p.orgId !== m.orgId) continue;
      if (m.what === "groups" && !p.access?.attrs && !loading.has(c)) continue;
      core.log.info({ conn: c.id, user: p.userId, what: m.what }, "closing a connection whose identity changed");
      core.close(c, CLOSE_CODES.serviceRestart, "identity_changed");
    }
  }
}
