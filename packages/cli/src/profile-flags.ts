/**
 * `parley account profile`'s status, title and time-zone flags -> the updateMe body, and a
 * status as one line. A status is set as a whole (the server replaces it when any part is
 * named), so the flags name all of its parts at once.
 */
import { STATUS_DURATIONS, statusEndsAt, type StatusDuration, type User } from "@parley/protocol";
import { str, type Opts } from "./command.ts";
import { UsageError } from "./errors.ts";
import { when } from "./render.ts";

export const PROFILE_USAGE =
  "[--display-name NAME] [--status TEXT] [--status-emoji EMOJI] [--status-until WHEN] [--clear-status] [--title TEXT | --clear-title] [--time-zone TZ | --clear-time-zone] [--avatar FILE | --remove-avatar]";

/** --status-until: a "clear after" choice, or a date-time the JavaScript Date parses (local time when no zone is given). */
function untilArg(value: string, now: Date, usage: string): number {
  if ((STATUS_DURATIONS as readonly string[]).includes(value)) return statusEndsAt(value as StatusDuration, now);
  const at = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?(Z|[+-]\d{2}:\d{2})?$/.test(value) ? new Date(value.replace(" ", "T")).getTime() : NaN;
  if (Number.isNaN(at)) throw new UsageError(`--status-until takes ${STATUS_DURATIONS.join(", ")} or a date-time such as 2026-12-24T18:00 (usage: ${usage})`);
  return at;
}

function exclusive(opts: Opts, a: string, b: string, usage: string): void {
  if (opts[a] !== undefined && opts[b]) throw new UsageError(`--${a} and --${b} exclude each other (usage: ${usage})`);
}

/** The profile fields the flags change (none named: an empty object). */
export function profileChange(opts: Opts, usage: string, now: Date): Record<string, string | number | null> {
  for (const part of ["status", "status-emoji", "status-until"]) exclusive(opts, part, "clear-status", usage);
  exclusive(opts, "title", "clear-title", usage);
  exclusive(opts, "time-zone", "clear-time-zone", usage);
  const out: Record<string, string | number | null> = {};
  const text = str(opts, "status");
  const emoji = str(opts, "status-emoji");
  const until = str(opts, "status-until");
  // An empty --status clears it, as --clear-status does.
  if (opts["clear-status"] || text === "") out.statusText = null;
  else if (text !== undefined || emoji !== undefined || until !== undefined) {
    if (text === undefined && emoji === undefined) throw new UsageError(`--status-until needs --status or --status-emoji (usage: ${usage})`);
    out.statusText = text ?? null;
    out.statusEmoji = emoji || null;
    out.statusExpiresAt = until === undefined ? null : untilArg(until, now, usage);
  }
  const title = str(opts, "title");
  if (opts["clear-title"] || title === "") out.title = null;
  else if (title !== undefined) out.title = title;
  const tz = str(opts, "time-zone");
  if (opts["clear-time-zone"] || tz === "") out.timeZone = null;
  else if (tz !== undefined) out.timeZone = tz;
  return out;
}

/** "🌴 On leave (until 2026-12-24 18:00)", or "" for no status. */
export function statusLine(u: User): string {
  const body = [u.statusEmoji, u.statusText].filter(Boolean).join(" ");
  if (!body) return "";
  return u.statusExpiresAt ? `${body} (until ${when(u.statusExpiresAt)})` : body;
}
