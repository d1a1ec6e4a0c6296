/**
 * JSON Lines export of the audit log, and reading one back for verification
 * (docs/audit.md "Export format"). Lines, in order:
 *   {"type":"audit-export","version":1,"createdAt":ms,"since":ms|null}
 *   per org: {"type":"entry",...every hashed field; pii as base64 or null} in seq order,
 *            then {"type":"checkpoint",...} for checkpoints at or after its first seq
 *   {"type":"end","orgs":{"<orgId>":{"entries":n,"lastSeq":n,"lastHash":"…"}}}
 * The end line is what lets a verifier tell a complete export from a truncated one.
 */
import { once } from "node:events";
import fs from "node:fs";
import readline from "node:readline";
import type { Kysely } from "kysely";
import type { Database } from "../../platform/db/tables.ts";
import type { Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { systemActor } from "../../core/actor.ts";
import { checkpointLine } from "./checkpointer.ts";
import { listCheckpoints, type AuditCheckpoint } from "./checkpoints.ts";
import { auditOrgIds, iterateEntries } from "./store.ts";
import type { AuditRecord } from "./types.ts";

/** One JSON line of an entry. */
function entryLine(r: AuditRecord): string {
  return JSON.stringify({ type: "entry", ...r, pii: r.pii === null ? null : Buffer.from(r.pii).toString("base64") });
}

export interface ExportOptions {
  orgIds?: string[];
  sinceMs?: number;
  /** Called every 10,000 entries and at the end of each org. */
  onProgress?: (p: { orgId: string; entries: number }) => void;
}

/** What an export held: entries in all, and per org its count and last entry (as its end line says). */
export interface ExportSummary {
  entries: number;
  orgs: Record<string, { entries: number; lastSeq: number; lastHash: string }>;
}

/** Write the export to `out` (a stream that is ended by the caller). */
export async function writeAuditExport(db: Kysely<Database>, out: NodeJS.WritableStream, opts: ExportOptions = {}): Promise<ExportSummary> {
  const write = async (line: string) => {
    // A stream that failed (disk full, closed pipe) never drains: stop with its error instead of waiting.
    const failed = (out as { errored?: Error | null }).errored;
    if (failed) throw failed;
    if (!out.write(`${line}\n`)) await once(out, "drain");
  };
  await write(JSON.stringify({ type: "audit-export", version: 1, createdAt: Date.now(), since: opts.sinceMs ?? null }));
  const ends: Record<string, { entries: number; lastSeq: number; lastHash: string }> = {};
  let total = 0;
  for (const orgId of opts.orgIds ?? (await auditOrgIds(db))) {
    let n = 0;
    let first: number | undefined;
    let last: AuditRecord | undefined;
    let buf: string[] = [];
    for await (const r of iterateEntries(db, orgId, opts.sinceMs === undefined ? {} : { sinceMs: opts.sinceMs })) {
      first ??= r.seq;
      last = r;
      n++;
      buf.push(entryLine(r));
      if (buf.length >= 1000) {
        await write(buf.join("\n"));
        buf = [];
      }
      if (n % 10_000 === 0) opts.onProgress?.({ orgId, entries: n });
    }
    if (buf.length) await write(buf.join("\n"));
    if (!last || first === undefined) continue;
    for (const cp of await listCheckpoints(db, orgId, first)) if (cp.seq <= last.seq) await write(checkpointLine(cp));
    ends[orgId] = { entries: n, lastSeq: last.seq, lastHash: last.hash };
    total += n;
    opts.onProgress?.({ orgId, entries: n });
  }
  await write(JSON.stringify({ type: "end", orgs: ends }));
  return { entries: total, orgs: ends };
}

/**
 * An operator's export (`parley audit export`): writeAuditExport, then one
 * `audit.exported` entry per org whose entries left the database, by the system actor
 * (the CLI). Recorded once the export is written (with `end`, once `out` is ended and
 * flushed), so it says what was exported; the next export carries the record of this one.
 */
export async function exportAuditLog(deps: Deps, out: NodeJS.WritableStream, opts: ExportOptions & { end?: boolean } = {}): Promise<ExportSummary> {
  const summary = await writeAuditExport(deps.db, out, opts);
  // A file is ended (and flushed) first: an export that did not reach the disk is not recorded.
  if (opts.end) await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  for (const [orgId, end] of Object.entries(summary.orgs)) {
    await runCommand(deps, systemActor(orgId), "audit.export", async (_tx, fx) => {
      fx.audit({
        action: "audit.exported",
        target: { kind: "org", id: orgId },
        result: "success",
        details: { format: "jsonl", since: opts.sinceMs ?? null, entries: end.entries, lastSeq: end.lastSeq },
      });
    });
  }
  return summary;
}

/** An export read back: entries and checkpoints per org, and whether it is complete. */
export interface ParsedExport {
  entries: Map<string, AuditRecord[]>;
  checkpoints: Map<string, AuditCheckpoint[]>;
  /** The end line's per-org summary, or null when the file has none (truncated). */
  end: Record<string, { entries: number; lastSeq: number; lastHash: string }> | null;
  /** Why the file is not a complete export, if it is not. */
  truncation: string | null;
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Parse a JSON Lines file of entries and/or checkpoints (an export, or a checkpoint sink file). */
export async function readAuditJsonl(file: string): Promise<ParsedExport> {
  const parsed: ParsedExport = { entries: new Map(), checkpoints: new Map(), end: null, truncation: null };
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let sawHeader = false;
  let afterEnd = false;
  for await (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      parsed.truncation ??= `line ${n} is not complete JSON (the file was cut off or damaged)`;
      continue;
    }
    if (afterEnd) parsed.truncation ??= `line ${n} follows the end line`;
    if (o.type === "audit-export") sawHeader = true;
    else if (o.type === "entry") {
      const r = o as unknown as AuditRecord & { pii: string | null };
      push(parsed.entries, r.orgId, { ...r, pii: r.pii === null ? null : new Uint8Array(Buffer.from(r.pii, "base64")) });
    } else if (o.type === "checkpoint") {
      const c = o as unknown as AuditCheckpoint;
      push(parsed.checkpoints, c.orgId, { orgId: c.orgId, seq: c.seq, headHash: c.headHash, at: c.at, keyId: c.keyId, signature: c.signature });
    } else if (o.type === "end") {
      parsed.end = o.orgs as ParsedExport["end"];
      afterEnd = true;
    }
  }
  if (sawHeader && !parsed.end) parsed.truncation ??= "the export has no end line: it was cut off";
  return parsed;
}
