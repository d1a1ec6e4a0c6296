/**
 * What the app says about a channel's compliance archive status (ADR 0008): the badge's tooltip,
 * the security panel's line, and the warning when sending is blocked.
 */
import type { ArchiveStatus } from "@parley/sdk";

/** The warning shown wherever sending is blocked (composer, security panel). */
const ARCHIVE_BLOCKED = "Sending is blocked: the server reports this channel's archive status differently from your organisation's signed policy.";

const date = (ms: number) => new Date(ms).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });

/** The badge's tooltip: which archive receives the channel's history keys. */
export function archiveTooltip(s: ArchiveStatus): string {
  return `Archived for compliance: this channel's messages are also readable by your organisation's compliance officers through "${s.policyName ?? "the archive"}" (signed policy, version ${s.version ?? "?"}).`;
}

/** The security panel's line: the archive's name, policy version, since when, and the signer key to compare. */
export function archiveLine(s: ArchiveStatus): string {
  const since = s.since !== null ? `, since ${date(s.since)}` : "";
  return `Archived by "${s.policyName ?? "the archive"}" (policy version ${s.version ?? "?"}${since}). Signer key ${s.signerFingerprint ?? "unknown"}.`;
}

/** The problem in one paragraph (undefined when there is none). */
export function archiveProblemText(s: ArchiveStatus | undefined): string | undefined {
  if (!s?.problem) return undefined;
  const why = s.problem.message.charAt(0).toUpperCase() + s.problem.message.slice(1);
  return `${ARCHIVE_BLOCKED} ${why}.`;
}
