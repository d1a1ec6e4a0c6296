/**
 * The org's session policy: an idle timeout (never longer than the server's
 * PARLEY_REFRESH_TOKEN_TTL), an absolute timeout counted from sign-in, and an IP
 * allow-list checked at every sign-in, refresh, API request and WebSocket hello. The
 * policy is read through a short cache (a few seconds) because requests check it; a
 * change on this node takes effect at once, on others within the cache's age. Access
 * tokens live PARLEY_ACCESS_TOKEN_TTL, so a timeout ends a session within that.
 */
import net from "node:net";
import { SessionPolicy as SessionPolicySchema, type SessionPolicy } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { Db, Tx } from "../../platform/db/index.ts";
import { runCommand } from "../../command.ts";
import { AppError, badRequest } from "../../core/errors.ts";
import { validated } from "../../core/validate.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, setOrgSettings } from "../e2ee/store.ts";

const DEFAULT: SessionPolicy = { idleTimeoutMinutes: null, absoluteTimeoutHours: null, ipAllowList: [] };
const CACHE_MS = 5_000;
const cache = new Map<string, { policy: SessionPolicy; at: number }>();

export async function sessionPolicyOf(q: Db | Tx, orgId: string): Promise<SessionPolicy> {
  const parsed = SessionPolicySchema.safeParse((await orgSettings(q, orgId)).sessionPolicy);
  return parsed.success ? parsed.data : DEFAULT;
}

/** The policy through the short cache (request-time checks). */
async function cachedPolicy(deps: Deps, orgId: string): Promise<SessionPolicy> {
  const hit = cache.get(orgId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.policy;
  const policy = await sessionPolicyOf(deps.db, orgId);
  cache.set(orgId, { policy, at: Date.now() });
  return policy;
}

/** How long an idle session lives under the policy, ms. */
export function idleLifetimeMs(deps: Deps, policy: SessionPolicy): number {
  const server = deps.config.refreshTokenTtl * 1000;
  return policy.idleTimeoutMinutes === null ? server : Math.min(server, policy.idleTimeoutMinutes * 60_000);
}

/** Whether a session that began at `createdAt` has outlived the absolute timeout. */
export function pastAbsoluteTimeout(policy: SessionPolicy, createdAt: number, now: number): boolean {
  return policy.absoluteTimeoutHours !== null && createdAt + policy.absoluteTimeoutHours * 3_600_000 <= now;
}

/** `::ffff:1.2.3.4` is 1.2.3.4. */
const plainIp = (ip: string) => ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");

function allowListOf(ranges: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const r of ranges) {
    const [addr = "", bits] = r.split("/");
    const type = net.isIPv6(addr) ? "ipv6" : "ipv4";
    if (!net.isIP(addr)) throw badRequest(`"${r}" is not an IP address or CIDR block`);
    if (bits === undefined) list.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (prefix > (type === "ipv6" ? 128 : 32)) throw badRequest(`"${r}" has a prefix longer than the address`);
      list.addSubnet(addr, prefix, type);
    }
  }
  return list;
}

function allowed(ranges: string[], ip: string): boolean {
  if (ranges.length === 0) return true;
  const addr = plainIp(ip);
  if (!net.isIP(addr)) return false;
  return allowListOf(ranges).check(addr, net.isIPv6(addr) ? "ipv6" : "ipv4");
}

/** Throws ip_not_allowed when the org's allow-list does not include `ip`. */
export async function checkIpAllowed(deps: Deps, orgId: string, ip: string): Promise<void> {
  const policy = await cachedPolicy(deps, orgId);
  if (!allowed(policy.ipAllowList, ip)) {
    throw new AppError("ip_not_allowed", "your organisation allows access only from its own networks; connect through one (e.g. the VPN)");
  }
}

export async function getSessionPolicy(deps: Deps, p: Actor): Promise<SessionPolicy> {
  return sessionPolicyOf(deps.db, p.orgId);
}

/** Change the policy (admins). An allow-list that would shut out the caller's own address is refused. */
export async function setSessionPolicy(deps: Deps, p: Actor, raw: SessionPolicy, ip: string | undefined): Promise<SessionPolicy> {
  const policy = validated(SessionPolicySchema, raw);
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  allowListOf(policy.ipAllowList); // every entry parses
  if (ip !== undefined && !allowed(policy.ipAllowList, ip)) {
    throw badRequest(`the allow-list does not include your own address (${plainIp(ip)}): you would lock yourself out`);
  }
  return runCommand(deps, p, "accounts.setSessionPolicy", async (tx, fx) => {
    const settings = await orgSettings(tx, p.orgId);
    const before = await sessionPolicyOf(tx, p.orgId);
    await setOrgSettings(tx, p.orgId, { ...settings, sessionPolicy: policy });
    fx.audit({ action: "org.session_policy.changed", target: { kind: "org", id: p.orgId }, result: "success", details: { from: before, to: policy } });
    fx.run(() => cache.delete(p.orgId));
    return policy;
  });
}
