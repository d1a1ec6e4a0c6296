/**
 * Data-subject export (GDPR Art. 15 and 20; docs/gdpr.md): a ZIP of JSON files with everything
 * the server holds about one user, made for the user themselves or by a compliance officer for
 * any user of their org. The export is read first, then recorded (an audit entry and a
 * completed request in the register) in one command, then returned: an export that cannot be
 * recorded is not returned.
 */
import crypto from "node:crypto";
import { strToU8, zipSync, type Zippable } from "fflate";
import type { Actor, Deps } from "../../context.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { runCommand } from "../../command.ts";
import { actingUserId, actorRef } from "../../core/actor.ts";
import { AppError, notFound } from "../../core/errors.ts";
import { getOrg, getUserInOrg } from "../accounts/store.ts";
import { requireCompliance } from "../compliance/holds.ts";
import { avatarFileName, devicesFile, identityProvidersFile, keyLockerFile, profileFile, securityFile, sessionsFile } from "./export-account.ts";
import { auditFile, channelsFile, othersFile, requestsFile, sentEventsFile, streamFile, uploadsFile } from "./export-activity.ts";
import { processingInfo, readmeText } from "./readme.ts";
import { requestRow } from "./requests.ts";

const DAY = 86_400_000;
const days = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v) / DAY));
const pretty = (v: unknown) => strToU8(`${JSON.stringify(v, null, 2)}\n`);

/** The files of one user's export, by name. */
async function exportFiles(deps: Deps, u: UsersTable, by: "self" | "officer", now: number): Promise<Map<string, Uint8Array>> {
  const db = deps.db;
  const org = await getOrg(db, u.org_id);
  const retention = await db.selectFrom("retention_policies").selectAll().where("org_id", "=", u.org_id).where("channel_id", "=", "").executeTakeFirst();
  const avatar = await db.selectFrom("user_avatars").select(["content_type", "data"]).where("user_id", "=", u.id).executeTakeFirst();
  const audit = await auditFile(deps, u);
  const files = new Map<string, Uint8Array>([
    ["README.txt", strToU8(readmeText({ org: org?.name ?? u.org_id, username: u.username, generatedAt: now, by }))],
    ["profile.json", pretty(await profileFile(db, u))],
    ["security.json", pretty(await securityFile(db, u))],
    ["devices.json", pretty(await devicesFile(db, u))],
    ["sessions.json", pretty(await sessionsFile(db, u))],
    ["identity-providers.json", pretty(await identityProvidersFile(db, u))],
    ["key-locker.json", pretty(await keyLockerFile(db, u))],
    ["channels.json", pretty(await channelsFile(db, u))],
    ["events-sent.jsonl", strToU8(await sentEventsFile(db, u))],
    ["uploads.json", pretty(await uploadsFile(db, u))],
    ["mentions-invites.json", pretty(await othersFile(db, u))],
    ["notifications.jsonl", strToU8(await streamFile(db, u))],
    ["audit.jsonl", strToU8(audit.text)],
    ["requests.json", pretty(await requestsFile(db, u))],
    [
      "processing.json",
      pretty(
        processingInfo(
          { name: org?.name ?? "", slug: org?.slug ?? "" },
          { events: days(retention?.events_ms), files: days(retention?.files_ms), audit: days(retention?.audit_ms) },
        ),
      ),
    ],
  ]);
  if (avatar) files.set(avatarFileName(avatar.content_type), new Uint8Array(avatar.data));
  const manifest = {
    format: "parley-gdpr-export/1",
    generatedAt: now,
    org: { id: u.org_id, slug: org?.slug ?? null, name: org?.name ?? null },
    subject: { id: u.id, username: u.username },
    madeBy: by,
    files: [...files].map(([name, data]) => ({ name, bytes: data.length, sha256: crypto.createHash("sha256").update(data).digest("hex") })),
  };
  return new Map([["manifest.json", pretty(manifest)], ...files]);
}

/** Build, record and return a user's export. */
async function exportOf(deps: Deps, p: Actor, u: UsersTable, by: "self" | "officer"): Promise<{ zip: Uint8Array; filename: string }> {
  const now = deps.now();
  const files = await exportFiles(deps, u, by, now);
  const zippable: Zippable = {};
  const mtime = new Date(now);
  for (const [name, data] of files) zippable[name] = [data, { mtime }];
  const zip = zipSync(zippable, { level: 6 });
  await runCommand(deps, p, "gdpr.export", async (tx, fx) => {
    const row = requestRow(u.org_id, u.id, "export", p, now, { status: "completed", decided_by: actorRef(p), decided_at: now });
    await tx.insertInto("gdpr_requests").values(row).execute();
    fx.audit({
      action: "gdpr.exported",
      target: { kind: "user", id: u.id },
      result: "success",
      details: { by, requestId: row.id, files: files.size, bytes: zip.length },
    });
  });
  return { zip, filename: `parley-export-${u.username}-${new Date(now).toISOString().slice(0, 10)}.zip` };
}

/** The caller's own export. */
export async function exportMyData(deps: Deps, p: Actor): Promise<{ zip: Uint8Array; filename: string }> {
  const userId = actingUserId(p);
  if (!userId) throw new AppError("forbidden", "only a signed-in user exports their own data");
  const u = await getUserInOrg(deps.db, p.orgId, userId);
  if (!u) throw notFound("user");
  return exportOf(deps, p, u, "self");
}

/** A compliance officer's export of a user of their org (another org's user: not found). */
export async function exportUserData(deps: Deps, p: Actor, userId: string): Promise<{ zip: Uint8Array; filename: string }> {
  requireCompliance(p);
  const u = await getUserInOrg(deps.db, p.orgId, userId);
  if (!u) throw notFound("user");
  return exportOf(deps, p, u, userId === actingUserId(p) ? "self" : "officer");
}
