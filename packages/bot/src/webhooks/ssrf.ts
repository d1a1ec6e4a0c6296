/**
 * The SSRF guard of outgoing webhooks: a target URL must be http(s) without credentials, and
 * every address its host resolves to must be a public unicast address — loopback, private,
 * carrier-grade NAT, link-local, unique-local, multicast, unspecified, reserved and
 * documentation ranges are refused, in IPv4, IPv6 and IPv4 embedded in IPv6 (v4-mapped,
 * NAT64). The connection then goes to the address that was checked (no second lookup a DNS
 * rebind could change). An explicit allowlist of `host:port` lets on-premises targets through.
 */
import dns from "node:dns/promises";
import net from "node:net";

const V4_BLOCKED: Array<[string, number, string]> = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "private"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];
const V6_BLOCKED: Array<[string, number, string]> = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fe80::", 10, "link-local"],
  ["fec0::", 10, "site-local"],
  ["fc00::", 7, "unique-local"],
  ["ff00::", 8, "multicast"],
  ["2001:db8::", 32, "reserved"],
  ["100::", 64, "reserved"],
];

function lists(): Map<string, net.BlockList> {
  const byKind = new Map<string, net.BlockList>();
  const add = (addr: string, prefix: number, kind: string, type: "ipv4" | "ipv6") => {
    const l = byKind.get(kind) ?? new net.BlockList();
    l.addSubnet(addr, prefix, type);
    byKind.set(kind, l);
  };
  for (const [a, p, k] of V4_BLOCKED) add(a, p, k, "ipv4");
  for (const [a, p, k] of V6_BLOCKED) add(a, p, k, "ipv6");
  return byKind;
}
const BLOCKED = lists();

/** The IPv4 address inside a v4-mapped (::ffff:a.b.c.d), v4-compatible or NAT64 (64:ff9b::/96) IPv6 address. */
function embeddedV4(ip: string): string | undefined {
  const s = new net.SocketAddress({ address: ip, family: "ipv6" }).address.toLowerCase();
  const m = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) return m[1];
  const hex = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(s);
  if (!hex) return undefined;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why `ip` may not be a webhook target (loopback, private, …), or undefined for a public address. */
export function blockedReason(ip: string): string | undefined {
  const family = net.isIP(ip);
  if (family === 0) return "not an IP address";
  if (family === 6) {
    const v4 = embeddedV4(ip);
    if (v4) return blockedReason(v4) ?? undefined;
  }
  const type = family === 4 ? "ipv4" : "ipv6";
  for (const [kind, list] of BLOCKED) if (list.check(ip, type)) return kind;
  return undefined;
}

/** A refused target; `reason` is stable (bad_url, not_http, credentials, unresolvable, blocked_address). */
export class TargetRefused extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A checked target: connect to `address`, present `host` (Host header, TLS server name). */
export interface CheckedTarget {
  url: URL;
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
}

/** `host:port` of a URL as the allowlist names it (IPv6 in brackets). */
export function hostPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

/** Check `target` and resolve it to one address it may connect to; throws {@link TargetRefused}. */
export async function checkTarget(target: string, allow: readonly string[] = []): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TargetRefused("bad_url", "the target is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new TargetRefused("not_http", "the target must be an http or https URL");
  if (url.username || url.password) throw new TargetRefused("credentials", "the target URL must not carry credentials");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  let addresses: Array<{ address: string; family: number }>;
  if (net.isIP(host)) addresses = [{ address: host, family: net.isIP(host) }];
  else {
    try {
      addresses = await dns.lookup(host, { all: true, verbatim: true });
    } catch (err) {
      throw new TargetRefused("unresolvable", `${host} does not resolve (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (addresses.length === 0) throw new TargetRefused("unresolvable", `${host} does not resolve`);
  if (!allow.includes(hostPort(url))) {
    // Every address must pass: a name that resolves to one public and one private address is refused.
    for (const a of addresses) {
      const why = blockedReason(a.address);
      if (why) throw new TargetRefused("blocked_address", `${host} resolves to ${a.address} (${why}): refused`);
    }
  }
  const first = addresses[0]!;
  return { url, host, port, address: first.address, family: first.family === 6 ? 6 : 4 };
}
