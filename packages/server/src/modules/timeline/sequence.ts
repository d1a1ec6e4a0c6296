/**
 * The one place that allocates channel timeline seqs. Every kind of channel
 * event — user sends (messages/event-writer.ts), MLS commits (mls/accept-commit.ts),
 * the server's Remove proposals (mls/removals.ts) and encryption resets
 * (mls/reset.ts) — claims its seqs here, in the transaction that inserts the
 * events. One UPDATE bumps `channels.last_seq` and checks the claim's
 * conditions in the same step, so seqs stay gap-free (a rolled-back claim
 * rolls back its bump) and concurrent writers serialise on the channel row.
 */
import type { Tx } from "../../platform/db/index.ts";

export interface SeqRequest {
  channelId: string;
  /** Seqs to claim (default 1): they are `first`..`last` of the result. */
  count?: number;
  /** Only in this org. */
  orgId?: string;
  /** Only while the channel is not archived. */
  active?: boolean;
  /** Only while the channel's group is at this generation. */
  generation?: number;
  /** Only while the channel's group is at this epoch. */
  epoch?: number;
  /** Only when the channel's encryption was last reset at or before this time (or never). */
  lastResetAtMost?: number;
  /**
   * Also move the channel's group in the same step: `epoch` (+1: a commit took this epoch),
   * or `generation` (+1 with epoch 0: the encryption was reset at `at`).
   */
  advance?: { kind: "epoch" } | { kind: "generation"; at: number };
}

/** Claimed seqs and where the channel's group stands after the claim. */
export interface SeqClaim {
  first: number;
  last: number;
  epoch: number;
  generation: number;
}

/** Claim seqs for new events of a channel; undefined when a condition does not hold (nothing changed). */
export async function claimSeqs(tx: Tx, req: SeqRequest): Promise<SeqClaim | undefined> {
  const n = req.count ?? 1;
  const adv = req.advance;
  let q = tx
    .updateTable("channels")
    .set((eb) => ({
      last_seq: eb("last_seq", "+", n),
      ...(adv?.kind === "epoch" ? { epoch: eb("epoch", "+", 1) } : {}),
      ...(adv?.kind === "generation" ? { mls_generation: eb("mls_generation", "+", 1), epoch: 0, mls_reset_at: adv.at } : {}),
    }))
    .where("id", "=", req.channelId);
  if (req.orgId !== undefined) q = q.where("org_id", "=", req.orgId);
  if (req.active) q = q.where("archived_at", "is", null);
  if (req.generation !== undefined) q = q.where("mls_generation", "=", req.generation);
  if (req.epoch !== undefined) q = q.where("epoch", "=", req.epoch);
  const at = req.lastResetAtMost;
  if (at !== undefined) q = q.where((eb) => eb.or([eb("mls_reset_at", "is", null), eb("mls_reset_at", "<=", at)]));
  const r = await q.returning(["last_seq", "epoch", "mls_generation"]).executeTakeFirst();
  if (!r) return undefined;
  const last = Number(r.last_seq);
  return { first: last - n + 1, last, epoch: Number(r.epoch), generation: Number(r.mls_generation) };
}
