/**
 * Garbage collection of uploads never attached to a message: after 24 hours
 * an unattached upload (complete or not) is deleted, row marked and blob
 * removed. Bounded: one sweep handles at most `batch` files, so a backlog is
 * worked off over several runs instead of one long transaction. The sweep is a
 * periodic durable job (one per period server-wide); should two sweeps overlap
 * anyway, the conditional UPDATE makes a file deleted exactly once.
 */
import type { Deps } from "../../context.ts";
import type { JobHandler, JobSchedule } from "../../platform/jobs/index.ts";
import { runCommand } from "../../command.ts";
import { deleteUnlinked, staleUploads } from "./store.ts";

/** How long an unattached upload is kept. */
export const UNLINKED_UPLOAD_TTL_MS = 24 * 3600_000;

export interface SweepOptions {
  /** The clock (tests pass one). */
  now?: number;
  /** Most files per sweep. */
  batch?: number;
}

/** One sweep; returns the ids of the uploads it deleted (each recorded as `file.deleted` by the system). */
export async function sweepUnlinkedUploads(deps: Deps, opts: SweepOptions = {}): Promise<string[]> {
  const now = opts.now ?? deps.now();
  const candidates = await staleUploads(deps.db, now - UNLINKED_UPLOAD_TTL_MS, opts.batch ?? 500);
  if (!candidates.length) return [];
  const deleted = await runCommand(deps, null, "files.gc", async (tx, fx) => {
    // A send may attach a candidate meanwhile: deleteUnlinked re-checks event_seq IS NULL.
    const rows = await deleteUnlinked(tx, candidates, now);
    for (const f of rows) {
      fx.audit({
        orgId: f.org_id,
        actor: { kind: "system" },
        action: "file.deleted",
        target: { kind: "file", id: f.id },
        result: "success",
        details: { channelId: f.channel_id, uploaderId: f.uploader_id, reason: "upload_expired" },
      });
    }
    return rows.map((f) => f.id);
  });
  await deleteBlobs(deps, deleted);
  return deleted;
}

/** Remove blobs whose rows are already marked deleted (after that commit); failures are logged, not thrown. */
export async function deleteBlobs(deps: Deps, ids: string[]): Promise<void> {
  for (const id of ids) {
    try {
      await deps.blobs.delete(id);
    } catch (err) {
      deps.log.warn({ err, fileId: id }, "deleting a file blob failed");
    }
  }
}

/** The durable job that sweeps (platform/jobs); enqueued once per period by the schedule below. */
const FILE_GC_JOB = "files.gc";

/** One sweep every 10 minutes, server-wide (whichever process claims the period's job). */
export const fileGcSchedule: JobSchedule = { name: FILE_GC_JOB, everyMs: 10 * 60_000, maxAttempts: 3 };

/**
 * The durable job that removes blobs whose rows a command marked deleted (`{ ids }`, enqueued
 * in that command's transaction): unlike the best-effort deleteBlobs, a failure is retried, so
 * rows and blobs end up agreeing even if the process dies right after the commit.
 */
export const DELETE_BLOBS_JOB = "files.delete_blobs";

/** Job handlers of the files module. */
export function fileJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [DELETE_BLOBS_JOB](payload) {
      for (const id of (payload as { ids: string[] }).ids) await deps.blobs.delete(id);
    },
    async [FILE_GC_JOB]() {
      const ids = await sweepUnlinkedUploads(deps);
      if (ids.length) deps.log.info({ count: ids.length }, "deleted unattached uploads");
    },
  };
}
