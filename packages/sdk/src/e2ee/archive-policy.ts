/**
 * How a device judges the compliance archive policy the server presents (issue 11, ADR 0008):
 * the signature, the organisation, the signer key it pinned on first sight and the highest
 * version it saw; and, per channel, what the signed scope says against what the server claims.
 * Pure functions: the state and the network are compliance-archive.ts's.
 */
import { archiveCovers, archiveKeyFingerprint, verifyArchivePolicy, type ArchivePolicyFields, type ArchiveScope } from "@parley/crypto";
import type { SignedArchivePolicy } from "@parley/protocol";
import { base64ToBytes } from "../codec.ts";
import type { ChannelFacts } from "../history-policies.ts";

/**
 * Why a device refuses to send in a channel: the server's list of archived channels disagrees
 * with the signed policy (`server_mismatch`), or the policy it presents is signed by another key
 * than the pinned one (`signer_changed`), older than one the device saw (`rollback`), or not
 * validly signed for this organisation (`bad_signature`).
 */
export type ArchivePolicyProblemCode = "server_mismatch" | "signer_changed" | "rollback" | "bad_signature";

/** A problem with a channel's archive status, with a sentence for people. */
export interface ArchivePolicyProblem {
  code: ArchivePolicyProblemCode;
  message: string;
}

/** A channel's compliance archive status as this device checked it. */
export interface ArchiveStatus {
  /** The signed policy this device accepted covers the channel: its history keys also go to the org's archive. */
  archived: boolean;
  /** The accepted policy's name ("Acme compliance archive"), version, when the server stored it and its signer key's fingerprint (null without one). */
  policyName: string | null;
  version: number | null;
  since: number | null;
  signerFingerprint: string | null;
  /** Set when the server's claims do not hold up: sending in the channel is refused. */
  problem: ArchivePolicyProblem | null;
}

/** What the client emits when archive statuses change: every known channel's. */
export interface ArchiveStatusNotice {
  statuses: Record<string, ArchiveStatus>;
}

/** A policy this device accepted (it pins its signer key and version). */
export interface AcceptedPolicy {
  signed: SignedArchivePolicy;
  /** When the server stored it (its `storedAt`), if known. */
  storedAt: number | null;
}

/** The policy's fields with its keys as bytes (undefined when they do not decode). */
function policyFields(signed: SignedArchivePolicy): ArchivePolicyFields | undefined {
  try {
    const p = signed.policy;
    return { ...p, archiveKey: base64ToBytes(p.archiveKey), signerKey: base64ToBytes(p.signerKey) };
  } catch {
    return undefined;
  }
}

/**
 * The verdict on the policy the server presents, given the one this device accepted before:
 * `accept` (the first one, or one at least as new, signed by the pinned key) or a problem.
 */
export function judgePolicy(
  orgId: string,
  current: SignedArchivePolicy | null,
  accepted: AcceptedPolicy | undefined,
): { accept: true } | { accept: false; problem: ArchivePolicyProblem & { scope?: ArchiveScope } } {
  const seen = accepted?.signed.policy;
  if (!current) {
    if (!seen) return { accept: true };
    return {
      accept: false,
      problem: { code: "rollback", message: `the server shows no archive policy, but this device already accepted version ${seen.version} ("${seen.name}")` },
    };
  }
  const p = current.policy;
  const refused = (code: ArchivePolicyProblemCode, message: string) => ({ accept: false as const, problem: { code, message, scope: p.scope } });
  const fields = policyFields(current);
  if (p.orgId !== orgId) return refused("bad_signature", "the archive policy the server presents names another organisation");
  let signature: Uint8Array;
  try {
    signature = base64ToBytes(current.signature);
  } catch {
    return refused("bad_signature", "the archive policy the server presents carries an unreadable signature");
  }
  if (!fields || !verifyArchivePolicy(fields, signature)) return refused("bad_signature", "the archive policy the server presents is not validly signed");
  if (seen && p.signerKey !== seen.signerKey) {
    const was = archiveKeyFingerprint(base64ToBytes(seen.signerKey));
    return refused(
      "signer_changed",
      `the archive policy the server presents is signed by another key (${archiveKeyFingerprint(fields.signerKey)}) than the organisation's (${was})`,
    );
  }
  if (seen && p.version < seen.version) {
    return refused("rollback", `the server presents archive policy version ${p.version}, older than version ${seen.version} this device already accepted`);
  }
  return { accept: true };
}

/**
 * One channel's status: the accepted policy's coverage, and a problem when the policy the server
 * presents was refused (for every channel in question: covered by either policy or claimed by
 * the server) or when the server's claim about this channel disagrees with the signed scope.
 */
export function channelStatus(
  channelId: string,
  facts: ChannelFacts | undefined,
  accepted: AcceptedPolicy | undefined,
  judged:
    { claimed: ReadonlySet<string>; problem?: (ArchivePolicyProblem & { scope?: ArchiveScope }) | undefined; mismatched: ReadonlySet<string> } | undefined,
): ArchiveStatus {
  const policy = accepted?.signed.policy;
  const covers = (scope: ArchiveScope | undefined) => !!scope && !!facts && archiveCovers(scope, facts);
  const archived = covers(policy?.scope);
  const claimed = judged?.claimed.has(channelId) ?? false;
  let problem: ArchivePolicyProblem | null = null;
  if (judged?.problem) {
    if (archived || claimed || covers(judged.problem.scope)) problem = { code: judged.problem.code, message: judged.problem.message };
  } else if (judged?.mismatched.has(channelId)) {
    const named = policy ? `the organisation's signed archive policy (version ${policy.version})` : "the organisation has no signed archive policy, which";
    problem = {
      code: "server_mismatch",
      message: claimed
        ? `the server reports this channel as archived, but ${named} does not cover it`
        : `the server reports this channel as not archived, but ${named} covers it`,
    };
  }
  return {
    archived,
    policyName: policy?.name ?? null,
    version: policy?.version ?? null,
    since: accepted?.storedAt ?? null,
    signerFingerprint: policy ? archiveKeyFingerprint(base64ToBytes(policy.signerKey)) : null,
    problem,
  };
}

/** The member channels where the server's claim and the signed scope disagree. */
export function mismatchedChannels(channels: Iterable<ChannelFacts>, accepted: AcceptedPolicy | undefined, claimed: ReadonlySet<string>): Set<string> {
  const scope = accepted?.signed.policy.scope;
  const out = new Set<string>();
  // The server lists only the user's channels: one looked at from outside is not compared.
  for (const f of channels) if (f.member && (!!scope && archiveCovers(scope, f)) !== claimed.has(f.id)) out.add(f.id);
  return out;
}
