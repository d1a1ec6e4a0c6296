/**
 * Email about unread mentions (issue 13): a user who turned it on and is mentioned gets, after
 * their delay, one email with how many unread mentions they have per channel — names and counts,
 * never content — unless one of their devices was online meanwhile.
 *
 * A send's transaction enqueues one `notify.mention-email` job per mentioned user with email on,
 * due `delayMinutes` after the mention (one per user per delay period: the dedupe key). The job
 * decides when it runs: nothing when the user is online now (gateway presence, across nodes) or
 * a device of theirs was seen since the mention (`devices.last_seen_at`, written when a socket
 * opens or closes and when a session refreshes); later while do-not-disturb is on, or while an
 * email went out less than PARLEY_MENTION_EMAIL_WINDOW_MINUTES ago; otherwise it counts the
 * mentions still unread since the later of the mention and the last email, in channels the user
 * is still a member of, that their levels do not silence (protocol's shouldNotify), and that
 * org policies let them read (the inbox's `readable`, with the user's latest session as the
 * principal). The email and the new `email_sent_at` commit together (a conditional UPDATE, so
 * two jobs racing send one email).
 */
import { isQuiet, shouldNotify, type PresenceStatus } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import type { CommandEffects } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import type { JobHandler } from "../../platform/jobs/index.ts";
import type { NewEvent } from "../timeline/append.ts";
import { runCommand } from "../../command.ts";
import { enqueueJob } from "../../platform/jobs/index.ts";
import { systemActor } from "../../core/actor.ts";
import { principalAccess } from "../access/org-access.ts";
import { mails, queueMail } from "../accounts/mail.ts";
import { readable } from "../inbox/commands.ts";
import { mentionRows } from "../inbox/store.ts";
import { channelLevels, settingsOf } from "./store.ts";
import { ONE_CLICK_PATH, unsubscribeToken } from "./unsubscribe.ts";

export const MENTION_EMAIL_JOB = "notify.mention-email";

/** Most unread mentions one email counts (the newest). */
const MAX_COUNTED = 500;

interface MentionEmailJob {
  orgId: string;
  userId: string;
  /** The first mention this job is about (ms): a device seen since then means the user was back. */
  since: number;
}

/** Whether a user has a connection to some node right now (the gateway's presence). */
export type PresenceOf = (orgId: string, userId: string) => PresenceStatus;

/** In a send's transaction: a mention-email check for each mentioned user with mention email on. */
export async function queueMentionEmails(tx: Tx, fx: Pick<CommandEffects, "job">, fresh: readonly NewEvent[]): Promise<void> {
  const first = new Map<string, MentionEmailJob>();
  for (const { orgId, row } of fresh) {
    if (row.kind !== "message" || row.mentions === "[]") continue;
    for (const userId of JSON.parse(row.mentions) as string[])
      if (userId !== row.sender_id && !first.has(userId)) first.set(userId, { orgId, userId, since: Number(row.created_at) });
  }
  if (!first.size) return;
  const on = await tx
    .selectFrom("notification_settings")
    .select(["user_id", "org_id", "email_delay_minutes"])
    .where("user_id", "in", [...first.keys()])
    .where("email_enabled", "=", 1)
    .execute();
  for (const r of on) {
    const job = first.get(r.user_id);
    if (!job || job.orgId !== r.org_id) continue;
    const delay = Number(r.email_delay_minutes) * 60_000;
    // One check per user per delay period: it counts every mention of the period.
    await fx.job(MENTION_EMAIL_JOB, job, {
      runAt: job.since + delay,
      dedupeKey: `${MENTION_EMAIL_JOB}:${r.user_id}:${Math.floor(job.since / delay)}`,
      maxAttempts: 5,
    });
  }
}

/** The user acting as their latest live session would (for org policies); none for a deactivated user. */
async function offlinePrincipal(deps: Deps, orgId: string, userId: string): Promise<DeviceActor | undefined> {
  const user = await deps.db
    .selectFrom("users as u")
    .innerJoin("orgs as o", "o.id", "u.org_id")
    .select(["u.role", "u.deactivated_at", "o.access_version", "o.suspended_at"])
    .where("u.id", "=", userId)
    .where("u.org_id", "=", orgId)
    .executeTakeFirst();
  if (!user || user.deactivated_at !== null || user.suspended_at !== null) return undefined;
  const session = await deps.db
    .selectFrom("sessions")
    .select(["id", "device_id"])
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .orderBy("last_used_at", "desc")
    .limit(1)
    .executeTakeFirst();
  // Without a session, policies see no MFA and no approved device: the strictest reading.
  const ids = { deviceId: session?.device_id ?? "", sessionId: session?.id ?? "" };
  const access = await principalAccess(deps, Number(user.access_version ?? 0), { orgId, userId, ...ids, ip: "0.0.0.0" });
  return { kind: "device", orgId, userId, ...ids, role: user.role, ...(access ? { access } : {}) };
}

/** Unread mentions since `after` the user should hear of, counted per channel (name, count), most first. */
async function unreadCounts(deps: Deps, p: DeviceActor, after: number, s: Parameters<typeof shouldNotify>[2], now: number) {
  const rows = (await mentionRows(deps.db, p.orgId, p.userId, { before: undefined, limit: MAX_COUNTED, unreadOnly: true })).filter((m) => m.createdAt > after);
  const items = await readable(deps, p, rows);
  if (!items.length) return [];
  const ids = [...new Set(items.map((m) => m.channelId))];
  const channels = await deps.db.selectFrom("channels").select(["id", "kind", "name"]).where("id", "in", ids).execute();
  const out: Array<{ name: string; count: number }> = [];
  for (const c of channels) {
    const override = (await channelLevels(deps.db, c.id, [p.userId])).get(p.userId);
    const direct = c.kind === "dm" || c.kind === "group_dm";
    const count = items.filter(
      (m) => m.channelId === c.id && shouldNotify(p.userId, { senderId: m.senderId, mentions: [p.userId], direct }, s, override, now),
    ).length;
    if (count) out.push({ name: direct ? (c.kind === "dm" ? "a direct message" : "a group conversation") : `#${c.name}`, count });
  }
  return out.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

async function checkMentionEmail(deps: Deps, presenceOf: PresenceOf, job: MentionEmailJob): Promise<void> {
  const now = deps.now();
  const later = (at: number, why: string) =>
    enqueueJob(deps.db, MENTION_EMAIL_JOB, job, { runAt: at, now, dedupeKey: `${MENTION_EMAIL_JOB}:${job.userId}:${why}:${at}`, maxAttempts: 5 });
  const s = (await settingsOf(deps.db, job.orgId, [job.userId])).get(job.userId)!;
  if (!s.email.enabled || !deps.mail.configured) return;
  if (presenceOf(job.orgId, job.userId) !== "offline") return;
  const seen = await deps.db
    .selectFrom("devices")
    .select((eb) => eb.fn.max("last_seen_at").as("at"))
    .where("user_id", "=", job.userId)
    .executeTakeFirst();
  if (seen?.at != null && Number(seen.at) >= job.since) return;
  if (isQuiet(s, now)) {
    await later(now + s.email.delayMinutes * 60_000, "quiet");
    return;
  }
  const row = await deps.db.selectFrom("notification_settings").select("email_sent_at").where("user_id", "=", job.userId).executeTakeFirst();
  const sentAt = row?.email_sent_at == null ? null : Number(row.email_sent_at);
  const windowMs = deps.config.mentionEmailWindowMinutes * 60_000;
  if (sentAt !== null && now < sentAt + windowMs) {
    await later(sentAt + windowMs, "window");
    return;
  }
  const p = await offlinePrincipal(deps, job.orgId, job.userId);
  if (!p) return;
  const channels = await unreadCounts(deps, p, Math.max(job.since - 1, sentAt ?? -1), s, now);
  if (!channels.length) return;
  const who = await deps.db
    .selectFrom("users as u")
    .innerJoin("orgs as o", "o.id", "u.org_id")
    .select(["u.email", "u.username", "o.name as orgName"])
    .where("u.id", "=", job.userId)
    .executeTakeFirstOrThrow();
  if (!who.email) return;
  const email = who.email;
  const token = await unsubscribeToken(deps, job.orgId, job.userId);
  const base = deps.publicUrl.get().replace(/\/$/, "");
  await runCommand(deps, systemActor(job.orgId, "server"), MENTION_EMAIL_JOB, async (tx, fx) => {
    const claimed = await tx
      .updateTable("notification_settings")
      .set({ email_sent_at: now })
      .where("user_id", "=", job.userId)
      .where("email_enabled", "=", 1)
      .where((eb) => eb.or([eb("email_sent_at", "is", null), eb("email_sent_at", "<=", now - windowMs)]))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return; // another check sent one, or email was turned off meanwhile
    await queueMail(
      deps,
      fx,
      mails.mentions(email, {
        orgName: who.orgName,
        username: who.username,
        channels,
        url: `${base}/inbox`,
        unsubscribeUrl: `${base}/unsubscribe#token=${token}`,
        oneClickUrl: `${base}${ONE_CLICK_PATH}?token=${token}`,
      }),
    );
  });
}

export function mentionEmailJobHandlers(deps: Deps, presenceOf: PresenceOf): Record<string, JobHandler> {
  return { [MENTION_EMAIL_JOB]: (payload) => checkMentionEmail(deps, presenceOf, payload as MentionEmailJob) };
}
