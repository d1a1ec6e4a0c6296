/**
 * Reading the audit log over the API (`GET /audit`): org owners and admins, their
 * own org only, newest first, filtered and paged by seq. Personal data is opened
 * with the subjects' PII keys; an erased subject reads as such.
 *
 * Every read is itself recorded (`audit.read`, with the filters and how many entries
 * were returned), page by page — as CloudTrail records each LookupEvents call: the
 * log holds usernames and client addresses, so who looked at what is an admin read of
 * personal data. A continuation page is recorded too, or a made-up cursor would be an
 * unrecorded way in. The entry is written after the page is read and before it is
 * returned: a read that cannot be recorded returns nothing.
 */
import type { AuditEntry, AuditPersonalData, RouteQuery, Routes } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { ERASED, piiReader, type PiiReader } from "./pii.ts";
import { pageEntries, type AuditFilter } from "./store.ts";
import type { AuditJson, AuditRecord } from "./types.ts";

type Query = RouteQuery<Routes["listAudit"]>;

async function personalData(reader: PiiReader, r: AuditRecord): Promise<AuditPersonalData | null> {
  if (r.piiSubject === null || r.pii === null) return null;
  try {
    const data = await reader.read(r.piiSubject, r.pii);
    return data === ERASED ? { status: "erased", subject: r.piiSubject } : { status: "clear", subject: r.piiSubject, data };
  } catch {
    // Damaged sealed bytes (verify names the entry): show the rest of the page anyway.
    return { status: "unreadable", subject: r.piiSubject };
  }
}

/** A stored entry as the API returns it. */
async function toAuditEntry(reader: PiiReader, r: AuditRecord): Promise<AuditEntry> {
  return {
    seq: r.seq,
    at: r.at,
    actor: { kind: r.actorKind, userId: r.actorId, deviceId: r.actorDeviceId },
    action: r.action,
    target: r.targetKind === null ? null : { kind: r.targetKind, id: r.targetId },
    result: r.result as AuditEntry["result"],
    details: JSON.parse(r.details) as Record<string, unknown>,
    personal: await personalData(reader, r),
    hash: r.hash,
  };
}

/** One page of the actor's org's audit log (owners and admins), recorded as `audit.read`. */
export async function listAuditEntries(deps: Deps, actor: Actor, q: Query): Promise<{ entries: AuditEntry[]; nextCursor: number | null }> {
  authorize(actor, "org.read_audit", { type: "org", orgId: actor.orgId });
  const filter: AuditFilter = { actorId: q.actor, action: q.action, targetId: q.target, from: q.from, to: q.to, before: q.cursor };
  // One more than asked: whether there is a next page, without a count.
  const records = await pageEntries(deps.db, actor.orgId, filter, q.limit + 1);
  const page = records.slice(0, q.limit);
  const reader = piiReader(deps.db, deps.kms, actor.orgId);
  let entries: AuditEntry[];
  try {
    entries = [];
    for (const r of page) entries.push(await toAuditEntry(reader, r));
  } finally {
    reader.close();
  }
  const asked: Record<string, AuditJson> = {};
  for (const k of ["actor", "action", "target", "from", "to", "cursor"] as const) if (q[k] !== undefined) asked[k] = q[k];
  await runCommand(deps, actor, "audit.read", async (_tx, fx) => {
    fx.audit({
      action: "audit.read",
      target: { kind: "org", id: actor.orgId },
      result: "success",
      details: { filter: asked, limit: q.limit, returned: page.length },
    });
  });
  return { entries, nextCursor: records.length > q.limit ? (page[page.length - 1] as AuditRecord).seq : null };
}
