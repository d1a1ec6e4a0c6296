/**
 * Org policies over the WebSocket (issue 10). A connection receives a channel's frames only
 * while authorize() would let its user read the channel over REST: membership is the
 * registry's channel index, and an org with enabled policies adds Cedar's decision for
 * `channel.read`, taken synchronously from the org's cached state (channel labels included)
 * and remembered per connection until that state is replaced or the UTC hour (the finest
 * time a policy can name) turns. Replay skips the channels a policy forbids, too.
 */
import type { DeviceActor } from "../context.ts";
import { policyDenials } from "../modules/access/authorize.ts";
import { UNKNOWN_ATTRS, type OrgAccessState } from "../modules/access/access-state.ts";
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
    const attrs = state.channels.get(channelId) ?? UNKNOWN_CHANNEL;
    const user = { userId: p.userId, role: p.role, attrs: p.access.attrs ?? UNKNOWN_ATTRS };
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
    const access = await principalAccess(core.deps, version, { orgId, userId: p.userId, deviceId: p.deviceId, sessionId: p.sessionId, ip: c.ip });
    if (access && c.principal) c.principal = { ...c.principal, access } satisfies DeviceActor;
  }
}
