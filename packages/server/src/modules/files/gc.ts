/**
 * Garbage collection of uploads never attached to a message: after 24 hours
 * an unattached upload (complete or not) is deleted, row marked and blob
 * removed. Bounded: one sweep handles at most `batch` files, so a backlog is
 * worked off over several runs instead of one long transaction. Every node
 * may sweep; the conditional UPDATE makes a file deleted exactly once.
 */
import type { Deps } from "../../context.ts";
import { deleteUnlinked, staleUploads } from "./store.ts";

/** How long an unattached upload is kept. */
export const UNLINKED_UPLOAD_TTL_MS = 24 * 3600_000;

export interface SweepOptions {
  /** The clock (tests pass one). */
  now?: number;
  /** Most files per sweep. */
  batch?: number;
}

/** One sweep; returns the ids of the uploads it deleted. */
export async function sweepUnlinkedUploads(deps: Deps, opts: SweepOptions = {}): Promise<string[]> {
  const now = opts.now ?? deps.now();
  const candidates = await staleUploads(deps.db, now - UNLINKED_UPLOAD_TTL_MS, opts.batch ?? 500);
  // A send may attach a candidate meanwhile: deleteUnlinked re-checks event_seq IS NULL.
  const deleted = await deleteUnlinked(deps.db, candidates, now);
  await deleteBlobs(deps, deleted);
  return deleted;
}

/** Remove blobs whose rows are already marked deleted (after that commit); failures are logged, not thrown. */
export async function deleteBlobs(deps: Deps, ids: string[]): Promise<void> {
  for (const id of ids) {
    try { await deps.blobs.delete(id); } catch (err) { deps.log.warn({ err, fileId: id }, "deleting a file blob failed"); }
  }
}

export interface FileSweeper { stop(): Promise<void> }

/** Sweep every `intervalMs` (first run after one interval) until stopped. */
export function startFileSweeper(deps: Deps, intervalMs = 10 * 60_000): FileSweeper {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = sweepUnlinkedUploads(deps)
      .then((ids) => { if (ids.length) deps.log.info({ count: ids.length }, "deleted unattached uploads"); })
      .catch((err) => deps.log.warn({ err }, "upload sweep failed"))
      .finally(() => { running = undefined; });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
