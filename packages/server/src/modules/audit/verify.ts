/**
 * Chain verification: recompute every entry's hash, check seqs are 1, 2, 3, ... with no
 * gap, each entry chains to the previous one, the chain ends where its head (or the
 * export's end line) says, and every checkpoint is signed by a trusted audit key and
 * matches the entry at its seq. Stops an org at its first bad entry and names it.
 */
import { GENESIS_HASH, entryHash } from "./canonical.ts";
import { checkpointSignatureValid, type AuditCheckpoint } from "./checkpoints.ts";
import type { AuditRecord } from "./types.ts";

/** What can be wrong (stable codes; docs/audit.md explains each). */
export type AuditProblemKind =
  | "entry_altered"
  | "chain_broken"
  | "seq_gap"
  | "seq_order"
  | "bad_start"
  | "head_mismatch"
  | "export_truncated"
  | "checkpoint_unknown_key"
  | "checkpoint_bad_signature"
  | "checkpoint_mismatch"
  | "checkpoint_beyond_end";

export interface AuditProblem {
  orgId: string;
  /** The entry (or checkpoint) seq the problem is at; null when it is about the whole chain. */
  seq: number | null;
  kind: AuditProblemKind;
  message: string;
}

export interface OrgVerification {
  orgId: string;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  /** Checkpoints whose signature and hash were checked and matched. */
  checkpointsMatched: number;
  /** False when the chain was checked from a later seq (an export made with --since). */
  anchored: boolean;
}

/** Where a chain must end: the head row in the database, or an export's end line. */
export interface ChainEnd {
  seq: number;
  hash: string;
  source: "head" | "export";
}

export interface VerifyChainOptions {
  checkpoints: AuditCheckpoint[];
  /** Audit public keys the verifier trusts, by key id. */
  trustedKeys: Map<string, Uint8Array>;
  end?: ChainEnd | undefined;
  /** Accept a chain that starts after seq 1 (a partial export): its first prev_hash is taken on trust. */
  allowPartial?: boolean;
  /**
   * The org's entries up to this seq were pruned by retention (audit_prune_floors): the chain
   * must start at the next seq, chained to the hash of the signed checkpoint at this seq.
   */
  prunedTo?: number | undefined;
}

const NONE: readonly AuditCheckpoint[] = [];

/**
 * What is wrong with entry `r` read after `prev` (undefined for the first entry read), if
 * anything: its place in the chain, then its own hash. Runs once per entry: no allocation
 * unless there is a problem.
 */
function entryProblem(
  r: AuditRecord,
  prev: AuditRecord | undefined,
  allowPartial: boolean,
  start: { seq: number; hash: string },
): { kind: AuditProblemKind; message: string } | undefined {
  if (!prev) {
    if (start.seq > 0 && (r.seq !== start.seq + 1 || r.prevHash !== start.hash)) {
      return {
        kind: "bad_start",
        message: `entries up to seq ${start.seq} were pruned by retention, so the chain must go on at seq ${start.seq + 1} from the signed checkpoint's hash; it starts at seq ${r.seq}${r.seq === start.seq + 1 ? " with another prev_hash" : ""}`,
      };
    }
    if (start.seq === 0 && (r.seq !== 1 || r.prevHash !== GENESIS_HASH) && !(allowPartial && r.seq > 1)) {
      return { kind: "bad_start", message: `the chain starts at seq ${r.seq} instead of seq 1 chained to the genesis hash: entries before it were deleted` };
    }
  } else if (r.seq > prev.seq + 1) {
    return { kind: "seq_gap", message: `entries ${prev.seq + 1}..${r.seq - 1} are missing (deleted) before seq ${r.seq}` };
  } else if (r.seq <= prev.seq) {
    return { kind: "seq_order", message: `seq ${r.seq} follows seq ${prev.seq}: entries were reordered or duplicated` };
  } else if (r.prevHash !== prev.hash) {
    return { kind: "chain_broken", message: `prev_hash does not match the hash of entry ${prev.seq}: entry ${prev.seq} was replaced, or this one was moved` };
  }
  if (entryHash(r) !== r.hash) {
    return { kind: "entry_altered", message: `the entry's fields do not hash to its stored hash: it was edited (or reordered) after it was written` };
  }
  return undefined;
}

/** Verify one org's entries, given in pages in the order they are stored/exported. */
export async function verifyOrgChain(
  orgId: string,
  pages: AsyncIterable<readonly AuditRecord[]> | Iterable<readonly AuditRecord[]>,
  opts: VerifyChainOptions,
): Promise<{ result: OrgVerification; problems: AuditProblem[] }> {
  const problems: AuditProblem[] = [];
  const result: OrgVerification = { orgId, entries: 0, firstSeq: null, lastSeq: null, lastHash: null, checkpointsMatched: 0, anchored: true };
  const at = new Map<number, AuditCheckpoint[]>();
  for (const cp of opts.checkpoints) {
    const key = opts.trustedKeys.get(cp.keyId);
    if (!key) {
      problems.push({
        orgId,
        seq: cp.seq,
        kind: "checkpoint_unknown_key",
        message: `checkpoint at seq ${cp.seq} is signed by key ${cp.keyId}, which is not a trusted audit key of this server`,
      });
    } else if (cp.orgId !== orgId || !checkpointSignatureValid(cp, key)) {
      problems.push({
        orgId,
        seq: cp.seq,
        kind: "checkpoint_bad_signature",
        message: `checkpoint at seq ${cp.seq} does not carry a valid signature by ${cp.keyId}`,
      });
    } else {
      at.set(cp.seq, [...(at.get(cp.seq) ?? []), cp]);
    }
  }
  let chainProblem: AuditProblem | undefined;
  // Where the chain starts: the genesis, or the signed checkpoint retention pruned down to.
  const start = { seq: 0, hash: GENESIS_HASH };
  if (opts.prunedTo) {
    const cp = at.get(opts.prunedTo)?.[0];
    if (cp) Object.assign(start, { seq: opts.prunedTo, hash: cp.headHash });
    else
      chainProblem = {
        orgId,
        seq: opts.prunedTo,
        kind: "bad_start",
        message: `entries up to seq ${opts.prunedTo} were pruned, but no validly signed checkpoint at that seq anchors the rest of the chain`,
      };
  }
  let prev: AuditRecord | undefined;
  chain: for await (const page of chainProblem ? [] : pages) {
    for (const r of page) {
      if (!prev) {
        result.firstSeq = r.seq;
        result.anchored = !(opts.allowPartial && r.seq > 1);
      }
      const problem = entryProblem(r, prev, opts.allowPartial === true, start);
      if (problem) {
        chainProblem = { orgId, seq: r.seq, ...problem };
        break chain;
      }
      // Most entries have no checkpoint: look up without allocating an empty list.
      for (const cp of at.get(r.seq) ?? NONE) {
        if (cp.headHash === r.hash) result.checkpointsMatched++;
        else {
          chainProblem = {
            orgId,
            seq: r.seq,
            kind: "checkpoint_mismatch",
            message: `the signed checkpoint at seq ${r.seq} (made ${new Date(cp.at).toISOString()}) has head hash ${cp.headHash.slice(0, 16)}…, the entry's hash is ${r.hash.slice(0, 16)}…: the chain was rewritten up to here`,
          };
        }
      }
      result.entries++;
      prev = r;
      if (chainProblem) break chain;
    }
  }
  if (chainProblem) return { result, problems: [chainProblem, ...problems] };
  result.lastSeq = prev?.seq ?? null;
  result.lastHash = prev?.hash ?? null;
  const lastSeq = prev?.seq ?? start.seq;
  const lastHash = prev?.hash ?? start.hash;
  const end = opts.end;
  if (end && (end.seq !== lastSeq || end.hash !== lastHash)) {
    const where = end.source === "head" ? "the chain head" : "the export's end line";
    const kind: AuditProblemKind = end.source === "head" ? "head_mismatch" : "export_truncated";
    const message =
      end.seq > lastSeq
        ? `${where} says seq ${end.seq}, the chain ends at ${lastSeq}: entries ${lastSeq + 1}..${end.seq} were deleted`
        : end.seq < lastSeq
          ? `the chain runs to seq ${lastSeq} but ${where} says ${end.seq}: entries after ${end.seq} were inserted`
          : `the last entry's hash does not match ${where}: entry ${lastSeq} was replaced`;
    problems.unshift({ orgId, seq: Math.min(end.seq, lastSeq) + (end.seq === lastSeq ? 0 : 1), kind, message });
  }
  for (const [seq, cps] of at) {
    if (seq > lastSeq && seq > start.seq) {
      problems.push({
        orgId,
        seq,
        kind: "checkpoint_beyond_end",
        message: `a signed checkpoint covers seq ${seq} (made ${new Date((cps[0] as AuditCheckpoint).at).toISOString()}) but the chain ends at ${lastSeq}: entries were deleted from the end`,
      });
    }
  }
  return { result, problems };
}
