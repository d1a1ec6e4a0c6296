/**
 * The words of the Compliance tab's archive, exports and GDPR sections: what a signed archive
 * scope covers, the signer key's fingerprint (as members' security panels show it), an export's
 * period and manifest hash, a data-subject request's kind and status, and how a refused
 * erasure reads (a legal hold names its matters).
 */
import { archiveKeyFingerprint } from "@parley/crypto";
import type { ArchivePolicy, ChannelKind, GdprRequest } from "@parley/protocol";
import { base64ToBytes, isParleyError } from "@parley/sdk";
import { describeAccessError } from "./access-text.ts";

const KIND_TEXT: Record<ChannelKind, string> = {
  public: "public channels",
  private: "private channels",
  dm: "direct messages",
  group_dm: "group direct messages",
};

/** What the scope covers, one line per rule ("All private channels", "Channels labelled regulated", "#trading, #deals"). */
export function scopeLines(scope: ArchivePolicy["scope"], channelName: (id: string) => string): string[] {
  const lines: string[] = [];
  if (scope.kinds.length) lines.push(`All ${scope.kinds.map((k) => KIND_TEXT[k]).join(", ")}`);
  if (scope.labels.length) lines.push(`Channels labelled ${scope.labels.join(", ")}`);
  if (scope.channelIds.length) lines.push(`The channels ${scope.channelIds.map(channelName).join(", ")}`);
  return lines.length ? lines : ["No channel: the scope is empty"];
}

/** The signer key's fingerprint, the one members see in a channel's security panel ("3fa2 9c01 …"). */
export function signerFingerprint(policy: ArchivePolicy): string {
  return archiveKeyFingerprint(base64ToBytes(policy.signerKey));
}

const DAY = 86_400_000;

/** A point of an export's period in UTC, as the CLI reads `--from` / `--to` (the time only when it is not midnight). */
function utc(ms: number): string {
  return new Date(ms).toLocaleString("en-GB", {
    timeZone: "UTC",
    dateStyle: "medium",
    ...(ms % DAY === 0 ? {} : { timeStyle: "short" }),
  });
}

/** An export's period: `from` inclusive, `to` exclusive (UTC). */
export function periodOf(from: number | null, to: number | null): string {
  if (from === null && to === null) return "All time";
  if (to === null) return `From ${utc(from!)} (UTC)`;
  if (from === null) return `Before ${utc(to)} (UTC)`;
  return `${utc(from)} – ${utc(to)} (UTC, end excluded)`;
}

/** The start of a SHA-256 (hex), enough to tell bundles apart at a glance. */
export const shortHash = (hex: string) => (hex.length > 16 ? `${hex.slice(0, 16)}…` : hex);

/** "Erasure" / "Export". */
export const requestKind = (r: GdprRequest) => (r.kind === "erase" ? "Erasure" : "Export");

/** "Pending" / "Completed" / "Declined". */
export const requestStatus = (r: GdprRequest) => ({ pending: "Pending", completed: "Completed", declined: "Declined" })[r.status];

/** Whether the list shows the user as erased (a completed erasure, or the pseudonymous username). */
export const isErased = (requests: readonly GdprRequest[], userId: string) =>
  requests.some((r) => r.userId === userId && ((r.kind === "erase" && r.status === "completed") || r.username.startsWith("erased-")));

/** The legal matters named by a `legal_hold` refusal. */
function heldMatters(err: unknown): string[] {
  const matters = (isParleyError(err, "legal_hold") ? (err.details as { matters?: unknown } | undefined)?.matters : undefined) ?? [];
  return Array.isArray(matters) ? matters.filter((m): m is string => typeof m === "string") : [];
}

/** Why an erasure was refused. */
export function describeEraseError(err: unknown, username: string): string {
  if (isParleyError(err, "legal_hold")) {
    const matters = heldMatters(err);
    const named = matters.length ? ` (${matters.map((m) => `“${m}”`).join(", ")})` : "";
    return `Refused: a legal hold covers @${username}${named}. Nothing was erased. Release the hold when the matter closes, or decline the request saying why.`;
  }
  if (isParleyError(err, "already_erased")) return `@${username} was already erased.`;
  const confirmField = isParleyError(err, "bad_request") && (err.details as { field?: unknown } | undefined)?.field === "confirm";
  if (confirmField || isParleyError(err, "validation_failed")) return `Type @${username}'s current username to confirm.`;
  // e.g. an officer erasing themselves: the server's sentence says what to do instead.
  if (isParleyError(err, "bad_request")) return `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}.`;
  if (isParleyError(err, "not_found")) return "This user no longer exists.";
  return describeAccessError(err);
}

/** Why a decline was refused. */
export function describeDeclineError(err: unknown): string {
  if (isParleyError(err, "gdpr_request_closed")) return "This request was already answered: reload the list.";
  if (isParleyError(err, "not_found")) return "This request no longer exists.";
  return describeAccessError(err);
}
