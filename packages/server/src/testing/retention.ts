/**
 * Retention for tests of other packages (the SDK's, the browsers'): make events look old, then
 * run the org's retention now instead of waiting for the hourly job.
 */
import type { RetentionRun } from "@parley/protocol";
import { runRetention } from "../modules/compliance/retention-run.ts";
import type { ParleyServer } from "../server.ts";

const DAY_MS = 86_400_000;

/** Back-date events of a channel (and their files) by `days`, so retention sees them as old. */
export async function backdateEvents(server: Pick<ParleyServer, "deps">, channelId: string, seqs: readonly number[], days: number): Promise<void> {
  if (seqs.length === 0) return;
  const at = Date.now() - days * DAY_MS;
  const db = server.deps.db;
  await db.updateTable("events").set({ created_at: at }).where("channel_id", "=", channelId).where("seq", "in", seqs).execute();
  await db.updateTable("files").set({ created_at: at }).where("channel_id", "=", channelId).where("event_seq", "in", seqs).execute();
}

/** Apply the org's retention policy now; what it removed. */
export function runRetentionNow(server: Pick<ParleyServer, "deps">, orgId: string): Promise<RetentionRun> {
  return runRetention(server.deps, orgId);
}
