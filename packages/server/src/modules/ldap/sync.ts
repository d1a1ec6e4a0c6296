/**
 * The scheduled directory sync. Every minute a server-wide tick (`ldap.sync.due`) enqueues an
 * `ldap.sync` job for each org whose directory is on and whose interval has passed (one per
 * org and period across every node, by dedupe key); an admin can ask for one at once. A sync
 * reads every user and group, then for each Parley account from the directory:
 * - entry still there: name and email, the mapped role and channels, back from a sync's
 *   deactivation (provision.ts, one transaction per account);
 * - entry gone: deactivated like an admin would (sessions end, the server proposes removing
 *   the devices from every MLS group), remembered as the sync's doing.
 * Accounts are created at first sign-in, not by the sync. A directory that answers with no
 * users at all while accounts exist changes nothing (a wrong base or filter must not
 * deactivate everyone). Only one sync of an org runs at a time (a lease on its settings
 * row); syncs are idempotent, so a retried or repeated one changes nothing more.
 */
import type { LdapSyncCounts, LdapSyncStatus } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import type { JobHandler, JobSchedule } from "../../platform/jobs/index.ts";
import { runCommand } from "../../command.ts";
import { idpActor } from "../../core/actor.ts";
import { AppError, badRequest } from "../../core/errors.ts";
import { authorize } from "../access/authorize.ts";
import { enabledDirectory, settingsOfRow } from "./config.ts";
import { DirectoryUnavailable, withDirectory, type DirectoryEntry, type DirectoryGroup } from "./directory.ts";
import { desiredAccess } from "./mapping.ts";
import { applyDirectoryAccount, deactivateDirectoryAccount } from "./provision.ts";
import { claimSyncLease, finishSync, listLdapRows, listLinkedAccounts } from "./store.ts";

const SYNC_JOB = "ldap.sync";
const DUE_JOB = "ldap.sync.due";
/** How long one sync may hold its org before another may start (a crashed node's lease runs out). */
const LEASE_MS = 15 * 60_000;

/** The tick that enqueues due syncs (server-wide, once a minute). */
export const ldapSyncSchedule: JobSchedule = { name: DUE_JOB, everyMs: 60_000, maxAttempts: 1 };

type Trigger = LdapSyncStatus["trigger"];

/** Enqueue a sync for every org whose directory is on and due at `now`. */
export async function enqueueDueSyncs(deps: Deps, now = deps.now()): Promise<number> {
  const rows = await listLdapRows(deps.db);
  let enqueued = 0;
  for (const row of rows) {
    const s = settingsOfRow(deps, row);
    if (!s?.enabled) continue;
    const every = s.syncIntervalMinutes * 60_000;
    if (row.last_sync_at !== null && Number(row.last_sync_at) + every > now) continue;
    await runCommand(deps, null, "ldap.scheduleSync", async (_tx, fx) => {
      const id = await fx.job(
        SYNC_JOB,
        { orgId: row.org_id, trigger: "schedule" },
        { dedupeKey: `${SYNC_JOB}:${row.org_id}@${Math.floor(now / every)}`, maxAttempts: 3 },
      );
      if (id) enqueued++;
    });
  }
  return enqueued;
}

/** An admin asks for a sync now. */
export async function requestLdapSync(deps: Deps, p: Actor): Promise<{ jobId: string }> {
  authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
  if (!(await enabledDirectory(deps, deps.db, p.orgId))) throw badRequest("LDAP is not set up and enabled for this organisation");
  return runCommand(deps, p, "ldap.requestSync", async (_tx, fx) => {
    const jobId = await fx.job(SYNC_JOB, { orgId: p.orgId, trigger: "admin" }, { maxAttempts: 3 });
    if (!jobId) throw new Error("the sync job was not enqueued");
    fx.audit({ action: "org.ldap.sync_requested", target: { kind: "org", id: p.orgId }, result: "success", details: { jobId } });
    return { jobId };
  });
}

const zeroCounts = (): LdapSyncCounts => ({
  entries: 0,
  accounts: 0,
  profilesUpdated: 0,
  rolesChanged: 0,
  channelsJoined: 0,
  channelsLeft: 0,
  deactivated: 0,
  reactivated: 0,
  skipped: 0,
});

/** One sync of one org. Returns its status (also stored as the org's last sync), or undefined when the directory is off. */
async function syncDirectory(deps: Deps, orgId: string, trigger: Trigger): Promise<LdapSyncStatus | undefined> {
  const now = deps.now();
  const s = await enabledDirectory(deps, deps.db, orgId);
  if (!s) return undefined;
  if (!(await claimSyncLease(deps.db, orgId, now, now + LEASE_MS))) {
    // Thrown, so the job runs again after a backoff: the request is not lost.
    throw new Error(`another LDAP sync of org ${orgId} is running`);
  }
  const log = deps.log.child({ module: "ldap", orgId });
  let status: LdapSyncStatus | undefined;
  try {
    const counts = zeroCounts();
    const accounts = await listLinkedAccounts(deps.db, orgId);
    const linked = new Set(accounts.map((a) => a.external_id));
    // Everything is read first, then applied: no directory connection idles through the writes.
    let read: { entries: DirectoryEntry[]; groups: Map<string, DirectoryGroup[]> };
    try {
      read = await withDirectory(s, async (d) => {
        const entries = await d.listUsers();
        // Each account's groups by the same search as at sign-in (a group's member list can
        // be partial when read whole: Active Directory hands out 1,500 values at a time).
        const groups = new Map<string, DirectoryGroup[]>();
        for (const e of entries) if (linked.has(e.externalId)) groups.set(e.externalId, await d.groupsOf(e));
        return { entries, groups };
      });
    } catch (err) {
      if (!(err instanceof DirectoryUnavailable)) throw err;
      status = { at: now, ok: false, trigger, message: `${err.stage}: ${err.message}; nothing was changed`, counts: null };
      return status;
    }
    counts.entries = read.entries.length;
    counts.accounts = accounts.length;
    if (read.entries.length === 0 && accounts.some((a) => a.deactivated_at === null)) {
      status = { at: now, ok: false, trigger, message: "the directory returned no users (check the user base and filter); nothing was changed", counts };
      return status;
    }
    const byId = new Map(read.entries.map((e) => [e.externalId, e]));
    for (const a of accounts) {
      const entry = byId.get(a.external_id);
      try {
        if (!entry) {
          const r = await deactivateDirectoryAccount(deps, orgId, a.user_id);
          if (r === "deactivated") counts.deactivated++;
          if (r === "skipped") counts.skipped++;
          continue;
        }
        const access = desiredAccess(s, read.groups.get(entry.externalId) ?? []);
        const out = await applyDirectoryAccount(deps, s, orgId, entry, access, { kind: "sync", userId: a.user_id });
        counts.profilesUpdated += out.profileUpdated ? 1 : 0;
        counts.rolesChanged += out.roleChanged ? 1 : 0;
        counts.reactivated += out.reactivated ? 1 : 0;
        counts.channelsJoined += out.joined;
        counts.channelsLeft += out.left;
        counts.skipped += out.skipped;
      } catch (err) {
        // This account's transaction rolled back; the others go on. The next sync tries it again.
        if (!(err instanceof AppError)) throw err;
        counts.skipped++;
        log.warn({ userId: a.user_id, code: err.code, reason: err.message }, "LDAP sync skipped an account");
      }
    }
    status = { at: now, ok: true, trigger, message: null, counts };
    return status;
  } finally {
    await finishSync(deps.db, orgId, status ? JSON.stringify(status) : null, now);
    if (status) await recordSync(deps, orgId, status);
  }
}

async function recordSync(deps: Deps, orgId: string, status: LdapSyncStatus): Promise<void> {
  deps.metrics.ldap.inc({ operation: "sync", outcome: status.ok ? "ok" : "unavailable" });
  deps.log
    .child({ module: "ldap", orgId })
    .info({ ok: status.ok, trigger: status.trigger, counts: status.counts, reason: status.message }, "LDAP sync finished");
  await runCommand(deps, idpActor(orgId, "ldap"), "ldap.syncFinished", async (_tx, fx) =>
    fx.audit({
      action: status.ok ? "ldap.sync.completed" : "ldap.sync.failed",
      target: { kind: "org", id: orgId },
      result: status.ok ? "success" : "failure",
      details: { trigger: status.trigger, ...(status.counts ? { counts: status.counts } : {}), ...(status.message ? { reason: status.message } : {}) },
    }),
  );
}

/** Job handlers of the LDAP module. */
export function ldapJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [DUE_JOB]() {
      await enqueueDueSyncs(deps);
    },
    async [SYNC_JOB](payload) {
      const { orgId, trigger } = payload as { orgId?: unknown; trigger?: unknown };
      if (typeof orgId !== "string" || (trigger !== "schedule" && trigger !== "admin")) throw new Error("ldap.sync: bad payload");
      await syncDirectory(deps, orgId, trigger);
    },
  };
}
