/**
 * The own profile (issue 13): display name, status (emoji, text, expiry), title and time
 * zone; and the sweep that clears ended statuses. An ended status already reads as none
 * (views.ts); the sweep makes the row agree and tells the user's devices.
 */
import { STATUS_MAX_DURATION_MS, type User } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError, notFound } from "../../core/errors.ts";
import type { JobHandler, JobSchedule } from "../../platform/jobs/index.ts";
import type { UsersTable } from "../../platform/db/tables.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { getUserInOrg } from "./store.ts";
import { statusExpired, toUser, toUserWithEmail } from "./views.ts";

/** What PATCH /me may change; null clears a field, undefined leaves it. */
export interface ProfileChange {
  displayName?: string | undefined;
  statusText?: string | null | undefined;
  statusEmoji?: string | null | undefined;
  statusExpiresAt?: number | null | undefined;
  title?: string | null | undefined;
  timeZone?: string | null | undefined;
}

type ProfileColumns = Pick<UsersTable, "display_name" | "status_text" | "status_emoji" | "status_expires_at" | "title" | "time_zone">;

/** The field names a change touches, as the audit entry lists them. */
const FIELD: Record<keyof ProfileColumns, string> = {
  display_name: "displayName",
  status_text: "statusText",
  status_emoji: "statusEmoji",
  status_expires_at: "statusExpiresAt",
  title: "title",
  time_zone: "timeZone",
};

/** The row's profile columns after `input`, as of `now`. */
function nextProfile(row: UsersTable, input: ProfileChange, now: number): ProfileColumns {
  const ended = statusExpired(row, now);
  const current = {
    status_text: ended ? null : row.status_text,
    status_emoji: ended ? null : row.status_emoji,
    status_expires_at: ended || row.status_expires_at === null ? null : Number(row.status_expires_at),
  };
  const statusNamed = input.statusText !== undefined || input.statusEmoji !== undefined || input.statusExpiresAt !== undefined;
  // A status is set as one: naming any part replaces it. An empty text is no text; no text and no emoji is no status.
  const text = statusNamed ? input.statusText || null : current.status_text;
  const emoji = statusNamed ? (input.statusEmoji ?? null) : current.status_emoji;
  const empty = text === null && emoji === null;
  const expires = statusNamed ? (input.statusExpiresAt ?? null) : current.status_expires_at;
  if (statusNamed && !empty && expires !== null && (expires <= now || expires > now + STATUS_MAX_DURATION_MS)) {
    throw new AppError("validation_failed", "statusExpiresAt: must be in the future and at most a year ahead", {
      issues: [{ path: ["statusExpiresAt"], message: "must be in the future and at most a year ahead", code: "custom" }],
    });
  }
  return {
    display_name: input.displayName ?? row.display_name,
    status_text: text,
    status_emoji: emoji,
    status_expires_at: empty ? null : expires,
    title: input.title === undefined ? row.title : input.title || null,
    time_zone: input.timeZone === undefined ? row.time_zone : input.timeZone,
  };
}

/** Change own profile. Nothing is written when the input is refused or changes nothing. */
export async function updateMe(deps: Deps, p: DeviceActor, input: ProfileChange): Promise<User> {
  return runCommand(deps, p, "accounts.updateMe", async (tx, fx) => {
    const row = await getUserInOrg(tx, p.orgId, p.userId);
    if (!row) throw notFound("user");
    const now = deps.now();
    const next = nextProfile(row, input, now);
    const changed = (Object.keys(next) as Array<keyof ProfileColumns>).filter((k) => {
      const before = k === "status_expires_at" && row[k] !== null ? Number(row[k]) : row[k];
      return before !== next[k];
    });
    const merged = { ...row, ...next };
    if (changed.length === 0) return toUserWithEmail(merged, now);
    await tx.updateTable("users").set(next).where("id", "=", p.userId).execute();
    const fields = changed.map((k) => FIELD[k]);
    // A changed display name is how an impersonation starts: recorded, the values kept in the sealed part.
    fx.audit({
      action: "user.profile.updated",
      target: { kind: "user", id: p.userId },
      result: "success",
      details: { fields },
      pii: {
        subject: p.userId,
        data: {
          ...(changed.includes("display_name") ? { from: row.display_name, to: next.display_name } : {}),
          ...(changed.includes("status_text") ? { status: next.status_text ?? "" } : {}),
          ...(changed.includes("status_emoji") ? { emoji: next.status_emoji ?? "" } : {}),
          ...(changed.includes("title") ? { title: next.title ?? "" } : {}),
          ...(changed.includes("time_zone") ? { timeZone: next.time_zone ?? "" } : {}),
        },
      },
    });
    await appendUserStream(tx, fx, { orgId: p.orgId, userId: p.userId, kind: "user.updated", data: { user: toUser(merged, now) }, now });
    return toUserWithEmail(merged, now);
  });
}

/** Most ended statuses one sweep clears (the next sweep takes the rest). */
const SWEEP_BATCH = 500;

/** Clear statuses that ended by `now`, each user's devices told through their stream. Returns how many. */
export async function clearEndedStatuses(deps: Deps, now = deps.now()): Promise<number> {
  const due = await deps.db
    .selectFrom("users")
    .select(["id", "org_id"])
    .where("status_expires_at", "is not", null)
    .where("status_expires_at", "<=", now)
    .orderBy("status_expires_at")
    .limit(SWEEP_BATCH)
    .execute();
  let cleared = 0;
  for (const u of due) {
    await runCommand(deps, null, "accounts.clearEndedStatus", async (tx, fx) => {
      const row = await getUserInOrg(tx, u.org_id, u.id);
      // Re-read: the user may have set a new status since the select.
      if (!row || !statusExpired(row, now)) return;
      const next = { status_text: null, status_emoji: null, status_expires_at: null };
      await tx.updateTable("users").set(next).where("id", "=", u.id).execute();
      await appendUserStream(tx, fx, { orgId: u.org_id, userId: u.id, kind: "user.updated", data: { user: toUser({ ...row, ...next }, now) }, now });
      cleared++;
    });
  }
  return cleared;
}

const SWEEP_JOB = "accounts.clear_ended_statuses";
/** Every minute: a status set "for 30 minutes" ends within a minute of its time for everyone. */
export const statusSweepSchedule: JobSchedule = { name: SWEEP_JOB, everyMs: 60_000, maxAttempts: 1 };

export function profileJobHandlers(deps: Deps): Record<string, JobHandler> {
  return {
    async [SWEEP_JOB]() {
      await clearEndedStatuses(deps);
    },
  };
}
