/**
 * The IP allow-list field of the session policy: one address or CIDR block per line (commas
 * and spaces separate too). Checked here so a typo is named before the server is asked; the
 * server checks again, and alone knows the admin's own address (it refuses a list that
 * would lock them out).
 */

/** An IPv4 address in dotted decimal, each part 0–255 without leading zeros. */
function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

/** An IPv6 address (the URL parser knows the grammar, zone ids excluded). */
function isIpv6(s: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    return new URL(`http://[${s}]/`).hostname !== "";
  } catch {
    return false;
  }
}

/** Why `entry` is not an address or CIDR block, or undefined when it is one. */
export function ipRangeProblem(entry: string): string | undefined {
  const [addr = "", prefix, extra] = entry.split("/");
  if (extra !== undefined) return `"${entry}" has more than one "/"`;
  const v4 = isIpv4(addr);
  if (!v4 && !isIpv6(addr)) return `"${entry}" is not an IP address or CIDR block (e.g. 203.0.113.7, 10.0.0.0/8, 2001:db8::/32)`;
  if (prefix === undefined) return undefined;
  const max = v4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `"${entry}": the prefix after "/" must be 0 to ${max}`;
  return undefined;
}

/** The entries of the field, and the problems of those that are not addresses or blocks. */
export function parseAllowList(text: string): { ranges: string[]; problems: string[] } {
  const ranges = [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const problems = ranges.flatMap((r) => ipRangeProblem(r) ?? []);
  return { ranges, problems };
}
