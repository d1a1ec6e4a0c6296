/**
 * The time half of "every N entries or T seconds": chains that moved since their last
 * checkpoint, which is older than auditCheckpointSeconds, get one now; then every new
 * checkpoint is appended to the JSON Lines sink (auditCheckpointFile), if configured.
 * Syslog/remote sinks are future work (docs/audit.md).
 */
import fs from "node:fs";
import path from "node:path";
import type { Deps } from "../../context.ts";
import { listCheckpoints, writeCheckpoint, type AuditCheckpoint } from "./checkpoints.ts";

/** Checkpoint every chain that moved and whose last checkpoint is older than the configured interval. Returns how many. */
export async function checkpointStaleChains(deps: Pick<Deps, "db" | "kms" | "now" | "config">): Promise<number> {
  const cutoff = deps.now() - deps.config.auditCheckpointSeconds * 1000;
  const stale = await deps.db.selectFrom("audit_heads").select("org_id").whereRef("seq", ">", "checkpoint_seq").where("checkpoint_at", "<=", cutoff).execute();
  let made = 0;
  for (const { org_id } of stale) {
    await deps.db.transaction().execute(async (tx) => {
      // The no-op UPDATE locks the head, so no append of this org slips in between.
      const head = await tx
        .updateTable("audit_heads")
        .set((eb) => ({ seq: eb.ref("seq") }))
        .where("org_id", "=", org_id)
        .returning(["seq", "hash", "checkpoint_seq"])
        .executeTakeFirst();
      if (!head || Number(head.seq) <= Number(head.checkpoint_seq)) return;
      await writeCheckpoint(tx, deps, { orgId: org_id, seq: Number(head.seq), headHash: head.hash });
      made++;
    });
  }
  return made;
}

/** One JSON Lines record of a checkpoint (the sink's and the export's format). */
export function checkpointLine(cp: AuditCheckpoint): string {
  return JSON.stringify({ type: "checkpoint", orgId: cp.orgId, seq: cp.seq, headHash: cp.headHash, at: cp.at, keyId: cp.keyId, signature: cp.signature });
}

/**
 * Append the checkpoints not yet shipped to `file` (fsynced), then advance the sink's
 * cursor. A crash between the two re-ships a few lines; the verifier accepts duplicates.
 */
export async function shipCheckpoints(deps: Pick<Deps, "db">, file: string): Promise<number> {
  const sink = `file:${path.resolve(file)}`;
  const heads = await deps.db
    .selectFrom("audit_heads")
    .leftJoin("audit_sink_cursors", (j) => j.onRef("audit_sink_cursors.org_id", "=", "audit_heads.org_id").on("audit_sink_cursors.sink", "=", sink))
    .select(["audit_heads.org_id as orgId", "audit_sink_cursors.seq as shipped"])
    .execute();
  let n = 0;
  for (const h of heads) {
    const shipped = Number(h.shipped ?? 0);
    const cps = await listCheckpoints(deps.db, h.orgId, shipped + 1);
    if (cps.length === 0) continue;
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const fd = fs.openSync(file, "a", 0o600);
    try {
      fs.writeSync(fd, cps.map((c) => `${checkpointLine(c)}\n`).join(""));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    const last = cps[cps.length - 1] as AuditCheckpoint;
    await deps.db
      .insertInto("audit_sink_cursors")
      .values({ sink, org_id: h.orgId, seq: last.seq })
      .onConflict((oc) => oc.columns(["sink", "org_id"]).doUpdateSet({ seq: last.seq }))
      .execute();
    n += cps.length;
  }
  return n;
}

export interface AuditCheckpointer {
  stop(): Promise<void>;
}

/** Run checkpointStaleChains and shipCheckpoints every `intervalMs` until stopped. */
export function startAuditCheckpointer(deps: Deps, intervalMs = Math.min(deps.config.auditCheckpointSeconds * 1000, 60_000)): AuditCheckpointer {
  let running: Promise<void> | undefined;
  const tick = async () => {
    await checkpointStaleChains(deps);
    if (deps.config.auditCheckpointFile) await shipCheckpoints(deps, deps.config.auditCheckpointFile);
  };
  const timer = setInterval(() => {
    running ??= tick()
      .catch((err: unknown) => deps.log.error({ err }, "audit checkpointer failed"))
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      // Ship what the last appends checkpointed, so a clean shutdown leaves the sink current.
      if (deps.config.auditCheckpointFile)
        await shipCheckpoints(deps, deps.config.auditCheckpointFile).catch((err: unknown) => deps.log.error({ err }, "audit checkpoint shipping failed"));
    },
  };
}
